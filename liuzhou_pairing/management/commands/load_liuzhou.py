"""Load Liuzhou's real areas and the schools the plan names; a second run changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from liuzhou_pairing.loading import LoadReport
from liuzhou_pairing.steps import load_steps


class Command(BaseCommand):
    help = (
        "Load Liuzhou's administrative areas, the schools named in 柳教基〔2016〕68号 and its city-fixed "
        "arrangements (idempotent)."
    )

    def handle(self, *args, **options) -> None:
        report = LoadReport()
        with transaction.atomic():
            # Each app's reference data, in dependency order (registered in the apps' ready()).
            for step in load_steps():
                step(report=report)
        for kind in sorted(set(report.created) | set(report.updated)):
            self.stdout.write(f"{kind}: {report.created.get(kind, 0)} created, {report.updated.get(kind, 0)} updated")
        self.stdout.write(self.style.SUCCESS("Liuzhou data loaded." if report.changed else "Nothing to change."))
