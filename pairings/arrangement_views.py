"""The six arrangement tables (R27) as pages and as workbooks ready to print and stamp: each page and its
`?format=xlsx` come from the same selector rows of `pairings.arrangement`. The tables per county (d–f) have a
county choice for the city; a county bureau reads its own. Each sheet carries the table's official name, the
filing unit (柳州市教育局 for the city's tables, the county bureau for a county's) and the stamp block."""

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
    county_arrangement,
    district_arrangement,
    high_school_arrangement,
    special_arrangement,
)
from .models import Pairing
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


def helper_contact(p: Pairing) -> tuple[str, str]:
    return p.helper_contact or p.helper.contact_person, p.helper_phone or p.helper.contact_phone


def recipient_contact(p: Pairing) -> tuple[str, str]:
    return p.recipient_contact or p.recipient.contact_person, p.recipient_phone or p.recipient.contact_phone


def col(header: str, value, kind: str = "text") -> ReportColumn:
    return ReportColumn(header, value, kind)


class ArrangementView(CycleReportView):
    """One arrangement table of the plan: its official name is the page's title, the file's stem and sheet title."""

    def official_name(self) -> str:
        return str(self.title)

    def unit(self) -> str:
        """Return the filing unit of the user's tables: its county bureau, or the city bureau."""
        county_id = scope_of(self.request.user).county_id
        return bureau_name(County.objects.get(pk=county_id) if county_id else None)

    def table(self, columns: list[ReportColumn], rows: list, *, name: str = "", unit: str = "") -> OfficialTable:
        return OfficialTable(
            name or self.official_name(),
            columns,
            rows,
            empty=_("No pairing is arranged."),
            sheet_name=name or self.official_name(),
            official_name=self.official_name(),
            unit=unit or self.unit(),
        )


class DistrictArrangementView(ArrangementView):
    title = gettext_lazy("District pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_districts"
    description = gettext_lazy("The urban districts and the counties they help, as the city arranged them.")

    def tables(self) -> list[Table]:
        rows = district_arrangement(cycle=self.cycle, user=self.request.user)
        columns = [
            col(pgettext("arrangement table", "helper district"), lambda d: county_display_name(d.helper_county)),
            col(pgettext("arrangement table", "recipient county"), lambda d: county_display_name(d.recipient_county)),
        ]
        return [self.table(columns, rows)]


class HighSchoolArrangementView(ArrangementView):
    title = gettext_lazy("High-school pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_high_schools"
    description = gettext_lazy("Every active high-school pairing, the pairs fixed by the city first.")

    def tables(self) -> list[Table]:
        rows = high_school_arrangement(cycle=self.cycle, user=self.request.user)
        contact = pgettext("arrangement table", "contact person and phone")
        columns = [
            col(pgettext("arrangement table", "helper school"), lambda p: p.helper.name),
            col(contact, lambda p: contact_and_phone(*helper_contact(p))),
            col(pgettext("arrangement table", "recipient school"), lambda p: p.recipient.name),
            col(contact, lambda p: contact_and_phone(*recipient_contact(p))),
        ]
        return [self.table(columns, rows)]


class SpecialArrangementView(ArrangementView):
    title = gettext_lazy("Special-education pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_special"
    description = gettext_lazy("The special-education pairings with the school that leads and guides them.")

    def tables(self) -> list[Table]:
        rows = special_arrangement(cycle=self.cycle, user=self.request.user)
        columns = [
            col(pgettext("arrangement table", "lead school"), lambda p: place(p.lead_school)),
            col(pgettext("arrangement table", "helper school"), lambda p: p.helper.name),
            col(pgettext("arrangement table", "recipient school"), lambda p: p.recipient.name),
        ]
        return [self.table(columns, rows)]


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

    def period(self) -> str:
        last = self.cycle.last_day
        return f"—{last.year}年{last.month}月"

    def tables(self) -> list[Table]:
        stage, tiers = self.stage_and_tiers
        groups = county_arrangement(cycle=self.cycle, user=self.request.user, stage=stage, tiers=tiers,
                                    county=self.county)  # fmt: skip
        until = self.period()

        def helper(r):
            return r[1].helper

        def recipient(r):
            return r[1].recipient

        def remarks(r) -> str:
            return _("fixed by the city") if r[1].is_city_fixed else ""

        columns = [
            col(pgettext("arrangement table", "No."), lambda r: r[0], "int"),
            col(pgettext("arrangement table", "tier"), lambda r: r[1].get_tier_display()),
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
            self.table(
                columns,
                list(enumerate(group.pairings, start=1)),
                name=county_display_name(group.county),
                unit=bureau_name(group.county),
            )
            for group in groups
        ]


class PreschoolCountyTownshipView(CountyArrangementView):
    title = pgettext_lazy("arrangement table", "Liuzhou county–township preschool pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_preschool_county_township"
    description = gettext_lazy("Preschool pairings of the county–township tier, per county.")
    stage_and_tiers = PRESCHOOL_COUNTY_TOWNSHIP


class PreschoolTownshipVillageView(CountyArrangementView):
    title = pgettext_lazy("arrangement table", "Liuzhou township–village preschool pairing arrangement table")
    stem = title
    url_name = "pairings:arrangement_preschool_township_village"
    description = gettext_lazy("Preschool pairings of the township–village tier, per county.")
    stage_and_tiers = PRESCHOOL_TOWNSHIP_VILLAGE


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


ARRANGEMENT_TABLES = [
    DistrictArrangementView,
    HighSchoolArrangementView,
    SpecialArrangementView,
    PreschoolCountyTownshipView,
    PreschoolTownshipVillageView,
    CompulsoryArrangementView,
]
