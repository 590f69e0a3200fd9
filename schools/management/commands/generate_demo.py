"""Generate a synthetic school landscape over the real areas (replaces earlier demo data)."""

from django.core.management.base import BaseCommand, CommandError

from schools.demo import SCALES


class Command(BaseCommand):
    help = "Create synthetic demo schools (marked 【演示】, is_demo) over Liuzhou's real areas. Same seed, same data."

    # Later apps add their demo steps (pairings, activities …), each called with seed and scale.
    steps = ["schools.demo.demo_schools_generate"]

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives the same data")
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="liuzhou",
            help="liuzhou (~2,500 schools) or region (~14x)",
        )

    def handle(self, *args, seed: int, scale: str, **options) -> None:
        from django.utils.module_loading import import_string

        for step in self.steps:
            try:
                count = import_string(step)(seed=seed, scale=scale)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{step}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Demo data generated (seed {seed}, scale {scale})."))
