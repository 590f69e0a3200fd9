"""Generate a synthetic school landscape with its pairings over the real areas (replaces earlier demo data)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from schools.demo import SCALES


class Command(BaseCommand):
    help = (
        "Create synthetic demo schools (named 【演示】…, marked is_demo) over Liuzhou's real areas, with pairings "
        "made through the rules engine. Same seed, same data."
    )

    # Demo data of later apps depends on earlier ones: clear in this order, then generate in `steps` order.
    clears = ["pairings.demo.demo_pairings_clear"]
    steps = ["schools.demo.demo_schools_generate", "pairings.demo.demo_pairings_generate"]

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives the same data")
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="liuzhou", help="liuzhou (~2,500 schools) or region (~14x)"
        )

    def handle(self, *args, seed: int, scale: str, **options) -> None:
        try:
            with transaction.atomic():
                for clear in self.clears:
                    import_string(clear)()
                for step in self.steps:
                    count = import_string(step)(seed=seed, scale=scale)
                    self.stdout.write(f"{step.rsplit('.', 1)[-1]}: {count}")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Demo data generated (seed {seed}, scale {scale})."))
