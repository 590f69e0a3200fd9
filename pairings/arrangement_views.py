"""The six arrangement tables (R27) as pages and as workbooks ready to print and stamp: each page and its
`?format=xlsx` come from the same selector rows of `pairings.arrangement`. The tables per county (d–f) have a
county choice for the city; a county bureau reads its own. Each sheet carries the table's official name, the
filing unit (柳州市教育局 for the city's tables, the county bureau for a county's) and the stamp block.

`arrangement_tables(kind, cycle=, user=, county=)` builds a table's sheets for the page, its download, the
`export_tables` command and the tables a county attaches to its work plan alike, so that they cannot disagree."""

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.reports import Choice, ReportColumn, Table
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.xlsx import Sheet
from schools.models import County

from .arrangement import (
    COMPULSORY_ALL_TIERS,
    PRESCHOOL_COUNTY_TOWNSHIP,
    PRESCHOOL_TOWNSHIP_VILLAGE,
    TablePairing,
    county_arrangement,
    district_arrangement,
    high_school_arrangement,
    special_arrangement,
)
from .choices import Tier
from .models import Cycle, Pairing
from .views import CycleReportView

ALL_COUNTIES = "all"


@dataclass
class OfficialTable(Table):
    """A table of the plan, printed and stamped: its sheet has the official name as its title, the filing unit's
    line, the print setup and the signature block."""

    official_name: str = ""
    unit: str = ""

    def sheet(self, heading: str) -> Sheet:
        sheet = super().sheet(heading)
        sheet.title = self.official_name
        sheet.unit = self.unit
        sheet.printable = True
        sheet.stamp = True
        return sheet


def bureau_name(county: County | None) -> str:
    """Return the filing unit of a table: the county's bureau (融水县教育局), or the city's for none."""
    if county is None:
        return _("Liuzhou education bureau")
    return _("%(county)s education bureau") % {"county": county_display_name(county)}


def place(obj: Any) -> str:
    return obj.name if obj is not None else ""


def contact_and_phone(person: str, phone: str) -> str:
    return " ".join(part for part in (person, phone) if part)


def helper_contact(p: Pairing | TablePairing) -> tuple[str, str]:
    return p.helper_contact or p.helper.contact_person, p.helper_phone or p.helper.contact_phone


def recipient_contact(p: Pairing | TablePairing) -> tuple[str, str]:
    return p.recipient_contact or p.recipient.contact_person, p.recipient_phone or p.recipient.contact_phone


def col(header: str, value, kind: str = "text") -> ReportColumn:
    return ReportColumn(header, value, kind)


# The rows a table's page shows at most; the workbook holds them all.
PAGE_ROWS = 500


class ArrangementView(CycleReportView):
    """One arrangement table of the plan: its official name is the page's title, the file's stem and sheet title.

    `build` makes its tables for a cycle, a reader and, optionally, the county whose bureau's view is wanted; the
    page and its download call it with the request's user, `arrangement_tables` with anyone's."""

    kind: str  # the table's key in ARRANGEMENT_KINDS
    county: County | None = None

    def tables(self) -> list[Table]:
        return self.build(cycle=self.cycle, user=self.request.user, county=self.county)

    @classmethod
    def build(cls, *, cycle: Cycle, user, county: County | None = None) -> list[Table]:
        raise NotImplementedError

    @classmethod
    def table(
        cls, columns: list[ReportColumn], rows: list, *, user, county: County | None, name: str = ""
    ) -> OfficialTable:
        """Return a table to print and stamp, filed by `county`'s bureau, else by the user's: its county bureau,
        or the city bureau."""
        if county is None and scope_of(user).county_id:
            county = County.objects.get(pk=scope_of(user).county_id)
        official_name = str(cls.title)
        return OfficialTable(
            name or official_name,
            columns,
            rows,
            empty=_("No pairing is arranged."),
            sheet_name=name or official_name,
            page_limit=PAGE_ROWS,
            official_name=official_name,
            unit=bureau_name(county),
        )


class DistrictArrangementView(ArrangementView):
    title = gettext_lazy("District pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_districts"
    description = gettext_lazy("The urban districts and the counties they help, as the city arranged them.")
    kind = "districts"

    @classmethod
    def build(cls, *, cycle: Cycle, user, county: County | None = None) -> list[Table]:
        rows = district_arrangement(cycle=cycle, user=user, county=county)
        columns = [
            col(pgettext("arrangement table", "helper district"), lambda d: county_display_name(d.helper_county)),
            col(pgettext("arrangement table", "recipient county"), lambda d: county_display_name(d.recipient_county)),
        ]
        return [cls.table(columns, rows, user=user, county=county)]


class HighSchoolArrangementView(ArrangementView):
    title = gettext_lazy("High-school pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_high_schools"
    description = gettext_lazy("Every active high-school pairing, the pairs fixed by the city first.")
    kind = "high_schools"

    @classmethod
    def build(cls, *, cycle: Cycle, user, county: County | None = None) -> list[Table]:
        rows = high_school_arrangement(cycle=cycle, user=user, county=county)
        contact = pgettext("arrangement table", "contact person and phone")
        columns = [
            col(pgettext("arrangement table", "helper school"), lambda p: p.helper.name),
            col(contact, lambda p: contact_and_phone(*helper_contact(p))),
            col(pgettext("arrangement table", "recipient school"), lambda p: p.recipient.name),
            col(contact, lambda p: contact_and_phone(*recipient_contact(p))),
        ]
        return [cls.table(columns, rows, user=user, county=county)]


class SpecialArrangementView(ArrangementView):
    title = gettext_lazy("Special-education pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_special"
    description = gettext_lazy("The special-education pairings with the school that leads and guides them.")
    kind = "special"

    @classmethod
    def build(cls, *, cycle: Cycle, user, county: County | None = None) -> list[Table]:
        rows = special_arrangement(cycle=cycle, user=user, county=county)
        columns = [
            col(pgettext("arrangement table", "lead school"), lambda p: place(p.lead_school)),
            col(pgettext("arrangement table", "helper school"), lambda p: p.helper.name),
            col(pgettext("arrangement table", "recipient school"), lambda p: p.recipient.name),
        ]
        return [cls.table(columns, rows, user=user, county=county)]


class CountyArrangementView(ArrangementView):
    """A table per county (d–f): the city chooses a county or all of them (a sheet each); a county bureau reads
    its own."""

    stage_and_tiers: tuple[str, tuple[str, ...]]

    def setup_report(self) -> None:
        super().setup_report()
        scope = scope_of(self.request.user)
        counties = County.objects.order_by("code")
        if not scope.everything:
            counties = counties.filter(pk=scope.county_id)
        self.counties = list(counties)
        chosen = self.request.GET.get("county") or (ALL_COUNTIES if scope.everything else "")
        if chosen == ALL_COUNTIES and scope.everything:
            self.county = None
        elif not chosen and len(self.counties) == 1:
            self.county = self.counties[0]
        else:
            self.county = next((c for c in self.counties if str(c.pk) == chosen), None)
            if self.county is None:
                raise Http404(_("No such county."))

    def choices(self) -> list[Choice]:
        options = [(str(c.pk), county_display_name(c), c == self.county) for c in self.counties]
        if scope_of(self.request.user).everything:
            options.insert(0, (ALL_COUNTIES, _("every county (a sheet each)"), self.county is None))
        return [*super().choices(), Choice("county", _("county (district)"), options)]

    @classmethod
    def build(cls, *, cycle: Cycle, user, county: County | None = None) -> list[Table]:
        stage, tiers = cls.stage_and_tiers
        groups = county_arrangement(cycle=cycle, user=user, stage=stage, tiers=tiers, county=county)
        last = cycle.last_day
        until = f"—{last.year}年{last.month}月"
        tiers = {value: str(label) for value, label in Tier.choices}  # get_tier_display, translated once

        def helper(r):
            return r[1].helper

        def recipient(r):
            return r[1].recipient

        def remarks(r) -> str:
            return _("fixed by the city") if r[1].is_city_fixed else ""

        columns = [
            col(pgettext("arrangement table", "No."), lambda r: r[0], "int"),
            col(pgettext("arrangement table", "tier"), lambda r: tiers[r[1].tier]),
            col(pgettext("arrangement table", "helper school"), lambda r: helper(r).name),
            col(pgettext("arrangement table", "county (district)"), lambda r: county_display_name(helper(r).county)),
            col(pgettext("arrangement table", "township"), lambda r: place(helper(r).township)),
            col(pgettext("arrangement table", "contact person"), lambda r: helper_contact(r[1])[0]),
            col(pgettext("arrangement table", "contact phone"), lambda r: helper_contact(r[1])[1]),
            col(pgettext("arrangement table", "recipient school"), lambda r: recipient(r).name),
            col(
                pgettext("arrangement table", "county (district)"), lambda r: county_display_name(recipient(r).county)
            ),
            col(pgettext("arrangement table", "township"), lambda r: place(recipient(r).township)),
            col(pgettext("arrangement table", "village"), lambda r: place(recipient(r).village)),
            col(pgettext("arrangement table", "contact person"), lambda r: recipient_contact(r[1])[0]),
            col(pgettext("arrangement table", "contact phone"), lambda r: recipient_contact(r[1])[1]),
            col(
                pgettext("arrangement table", "pairing period"),
                lambda r: f"{r[1].starts_on.year}年{r[1].starts_on.month}月{until}",
            ),
            col(pgettext("arrangement table", "remarks"), remarks),
        ]
        return [
            cls.table(
                columns,
                list(enumerate(group.pairings, start=1)),
                user=user,
                county=group.county,
                name=county_display_name(group.county),
            )
            for group in groups
        ]


class PreschoolCountyTownshipView(CountyArrangementView):
    title = pgettext_lazy("arrangement table", "Liuzhou county–township preschool pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_preschool_county_township"
    description = gettext_lazy("Preschool pairings of the county–township tier, per county.")
    stage_and_tiers = PRESCHOOL_COUNTY_TOWNSHIP
    kind = "preschool_county_township"


class PreschoolTownshipVillageView(CountyArrangementView):
    title = pgettext_lazy("arrangement table", "Liuzhou township–village preschool pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_preschool_township_village"
    description = gettext_lazy("Preschool pairings of the township–village tier, per county.")
    stage_and_tiers = PRESCHOOL_TOWNSHIP_VILLAGE
    kind = "preschool_township_village"


class CompulsoryArrangementView(CountyArrangementView):
    title = pgettext_lazy(
        "arrangement table", "Liuzhou three-tier primary and secondary school pairing arrangement table"
    )
    stem = title
    url_name = "pairings:arrangement_compulsory"
    description = gettext_lazy(
        "Compulsory-stage pairings of all three tiers, per county; a city–county pairing is in the tables of both "
        "the helper district and the recipient county."
    )
    stage_and_tiers = COMPULSORY_ALL_TIERS
    kind = "compulsory"


ARRANGEMENT_TABLES = [
    DistrictArrangementView,
    HighSchoolArrangementView,
    SpecialArrangementView,
    PreschoolCountyTownshipView,
    PreschoolTownshipVillageView,
    CompulsoryArrangementView,
]

ARRANGEMENT_KINDS: dict[str, type[ArrangementView]] = {view.kind: view for view in ARRANGEMENT_TABLES}


def arrangement_tables(kind: str, *, cycle: Cycle, user, county: County | None = None) -> list[Table]:
    """Return the tables of arrangement table `kind` of `cycle` as `user` reads them on its page: with `county`,
    only what that county's bureau reads (the tables per county: that county's; the others: the pairs it is part
    of). The page, its download, the export command and a work plan's attached tables all come from here."""
    return ARRANGEMENT_KINDS[kind].build(cycle=cycle, user=user, county=county)


def arrangement_sheets(kind: str, *, cycle: Cycle, user, county: County | None = None) -> list[Sheet]:
    """Return the sheets of the workbook of arrangement table `kind` (see `arrangement_tables`), as its page's
    download writes them."""
    view = ARRANGEMENT_KINDS[kind]
    heading = f"{view.title}（{cycle.name}）"
    return [table.sheet(heading) for table in arrangement_tables(kind, cycle=cycle, user=user, county=county)]


def arrangement_stem(kind: str) -> str:
    """Return the file name's stem of arrangement table `kind`: its official name."""
    return str(ARRANGEMENT_KINDS[kind].stem)


def county_arrangement_sheets(*, cycle: Cycle, user, county: County) -> list[Sheet]:
    """Return the six tables a county files with its work plan, one workbook: a sheet per table, named by its
    official name (the tables per county hold that county's sheet)."""
    sheets = []
    for kind, view in ARRANGEMENT_KINDS.items():
        for sheet in arrangement_sheets(kind, cycle=cycle, user=user, county=county):
            sheet.name = str(view.title)[:31]
            sheets.append(sheet)
    return sheets
