"""Write the arrangement tables of a cycle as workbooks: python manage.py export_tables --cycle 2016 --out DIR

Without --county, the city's six tables (those per county a sheet per county); with --county, the six a county
bureau reads and files (those per county, its own sheet). The files are those the pages download, without the date.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.xlsx import write_workbook
from pairings.arrangement_views import ARRANGEMENT_KINDS, arrangement_sheets, arrangement_stem
from pairings.models import Cycle
from schools.models import County


def find_cycle(value: str) -> Cycle:
    """Find a cycle by its name or its first academic year (2016)."""
    cycles = list(Cycle.objects.order_by("first_academic_year", "first_term"))
    matches = [c for c in cycles if value in (c.name, str(c.first_academic_year))]
    if len(matches) != 1:
        names = "、".join(f"{c.name}（{c.first_academic_year}）" for c in cycles) or _("none")
        message = (
            _("Unknown cycle “%(value)s”; one of: %(names)s.")
            if not matches
            else _("“%(value)s” names more than one cycle; give its name, one of: %(names)s.")
        )
        raise CommandError(message % {"value": value, "names": names})
    return matches[0]


def find_county(value: str) -> County:
    """Find a county-level unit by its code or any of its names, as people write them: 融水苗族自治县, 融水县 or
    融水 (the start of a name, when only one county's names start so)."""
    value = value.strip()
    counties = list(County.objects.order_by("code"))
    matches = [c for c in counties if value == c.code or value in c.all_names()]
    if not matches and value:
        matches = [c for c in counties if any(name.startswith(value) for name in c.all_names())]
    if len(matches) != 1:
        names = "、".join(county_display_name(c) for c in counties)
        message = (
            _("Unknown county “%(value)s”; one of: %(names)s.")
            if not matches
            else _("“%(value)s” names more than one county; one of: %(names)s.")
        )
        raise CommandError(message % {"value": value, "names": names})
    return matches[0]


class Command(BaseCommand):
    help = (
        "Write the six arrangement tables of a cycle as .xlsx files into a folder: the city's, or with --county "
        "those a county bureau files."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cycle", required=True, help="the cycle, by its name or first year (2016)")
        parser.add_argument("--county", help="a county-level unit, by name (融水, 融水县, 融水苗族自治县) or code")
        parser.add_argument("--out", required=True, help="the folder to write to (created if missing)")

    def handle(self, *args: Any, **options: Any) -> None:
        cycle = find_cycle(options["cycle"])
        county = find_county(options["county"]) if options["county"] else None
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(
                _("Cannot create the folder %(path)s: %(error)s") % {"path": out, "error": error}
            ) from error
        for kind in ARRANGEMENT_KINDS:
            sheets = arrangement_sheets(kind, cycle=cycle, user=SYSTEM, county=county)
            path = out / f"{arrangement_stem(kind)}.xlsx"
            counts = write_workbook(path, sheets)
            self.stdout.write(_("%(path)s: %(rows)s rows") % {"path": path, "rows": sum(counts)})
