"""Generate a synthetic school landscape with its pairings over the real areas (replaces earlier demo data)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from liuzhou_pairing.steps import DEMO_SCALES, demo_steps


def refresh_statistics() -> None:
    """Let PostgreSQL's planner see what a step just wrote in bulk (ANALYZE; it may run inside the transaction and
    counts the transaction's own rows). Without it, queries over the freshly written tables can get plans that run
    for many minutes, such as a nested loop over an activity's participants."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = (
        "Create synthetic demo schools (named 【演示】…, marked is_demo) over Liuzhou's real areas, with pairings "
        "made through the rules engine. Same seed, same data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives the same data")
        parser.add_argument(
            "--scale", choices=DEMO_SCALES, default="liuzhou", help="liuzhou (~2,500 schools) or region (~14x)"
        )

    def handle(self, *args, seed: int, scale: str, **options) -> None:
        steps = demo_steps()
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            with transaction.atomic():
                # Demo data of later apps depends on earlier ones: clear from the last, then generate in order.
                for step in reversed(steps):
                    if step.clear is not None:
                        step.clear()
                for step in steps:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    count = step.generate(seed=seed, scale=scale)
                    refresh_statistics()
                    # A step may add a note to its count (count, note), such as a date it moved.
                    count, note = count if isinstance(count, tuple) else (count, "")
                    # Wall time, and this process's own CPU time (on a shared machine the two part ways).
                    took = f"{time.perf_counter() - started:.1f} s, {time.process_time() - started_cpu:.1f} s CPU"
                    self.stdout.write(f"{step.generate.__name__}: {count} ({took})" + (f"; {note}" if note else ""))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        took = f"{(time.perf_counter() - began) / 60:.1f} min, {(time.process_time() - began_cpu) / 60:.1f} min CPU"
        self.stdout.write(self.style.SUCCESS(f"Demo data generated (seed {seed}, scale {scale}) in {took}."))
