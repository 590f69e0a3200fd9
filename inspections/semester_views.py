"""The semester compliance report's page (its figures per county and stage, two charts) and the list page behind
its figures. Every figure links to the list of the records it counts: this module's list page, or the special
inspection and rectification reports; the page and each list download as xlsx (`liuzhou_pairing.reports`)."""

from typing import Any

from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.choices import Kind
from activities.models import Activity
from activities.selectors import ComplianceRow
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.reports import ReportColumn, Table
from liuzhou_pairing.scope import scope_of
from pairings.choices import WorkPlanStatus
from pairings.models import WorkPlan
from pairings.selectors import LateAgreement
from schools.choices import Stage
from schools.models import County

from . import charts
from .semester_report import CITY_ADMINISTERED, Figures, SemesterReport, semester_report
from .views import SemesterReportView

# The lists behind the figures: what=… → (title, the records of a row).
LISTS: dict[str, tuple[Any, Any]] = {
    "pairings": (gettext_lazy("Pairings active in the semester"), lambda f: f.pairings),
    "compliant": (gettext_lazy("Compliant pairings"), lambda f: f.compliant),
    "not_compliant": (gettext_lazy("Pairings not compliant"), lambda f: f.not_compliant),
    "silent": (gettext_lazy("Pairings with no confirmed activity"), lambda f: f.silent),
    "short": (gettext_lazy("Pairings short of the norm"), None),  # with ?kind=
    "pending": (gettext_lazy("Activities awaiting the partner's confirmation"), lambda f: f.pending),
    "flagged": (gettext_lazy("Activities with flagged evidence"), lambda f: f.flagged),
    "uncovered": (gettext_lazy("Public schools in no pairing"), lambda f: f.uncovered),
    "agreements": (gettext_lazy("Agreements unsigned or signed late"), lambda f: f.agreements),
    "work_plans": (gettext_lazy("Work plans missing or late"), lambda f: f.work_plans or []),
}
PAIRING_LISTS = {"pairings", "compliant", "not_compliant", "silent", "short"}


def _yes(value: bool) -> str:
    return _("yes") if value else ""


class SemesterComplianceReport(SemesterReportView):
    title = gettext_lazy("Semester compliance report")
    stem = gettext_lazy("semester compliance report")
    url_name = "inspections:semester"
    description = gettext_lazy(
        "Per county and stage: the pairings active in the semester and how many met every norm, those short of "
        "each norm or with no confirmed activity, activities awaiting the partner or with flagged evidence, "
        "schools in no pairing, late agreements and work plans, the special inspection and the findings still to "
        "rectify. Pairings count in their recipient's county. Every figure opens the list behind it."
    )
    county_filter = True
    template_name = "inspections/semester_report.html"
    report: SemesterReport | None = None

    def row_county(self, row: Figures) -> str:
        """The county a row's links name: its own, or on the total row the county the report is narrowed to."""
        if row.total:
            return str(self.county.pk) if self.county is not None else ""
        return row.county_key

    def list_url(self, what: str, row: Figures, **extra: str) -> str:
        params = {"what": what, "semester": self.semester.token}
        if self.row_county(row):
            params["county"] = self.row_county(row)
        if row.stage:
            params["stage"] = row.stage
        params.update(extra)
        return f"{reverse('inspections:semester_list')}?{urlencode(params)}"

    def report_url(self, name: str, row: Figures) -> str:
        params = {"semester": self.semester.token}
        county = self.row_county(row)
        if county and county != CITY_ADMINISTERED:
            params["county"] = county
        return f"{reverse(name)}?{urlencode(params)}"

    def place(self, row: Figures) -> str:
        if row.total:
            return _("whole city") if scope_of(self.request.user).everything and self.county is None else _("total")
        return county_display_name(row.county)

    def stage_name(self, row: Figures) -> str:
        return row.stage_label if row.stage else (_("all stages") if not row.total else "")

    def count(self, header: str, what: str, figure, level: str = "danger") -> ReportColumn:
        """A column of a count linking to its list; `figure(row)` is the records or None (not counted there)."""

        def value(row: Figures):
            records = figure(row)
            return None if records is None else len(records)

        return ReportColumn(
            header,
            value,
            "int",
            level=lambda r: level if value(r) else "",
            link=lambda r: self.list_url(what, r) if value(r) is not None else None,
        )

    def rectification_url(self, row: Figures) -> str | None:
        return self.report_url("inspections:rectification", row) if row.rectification is not None else None

    def special(self, row: Figures) -> str | None:
        if row.special is None or not row.special:
            return None
        if row.total:
            return f"{row.specials_done}/{len(row.special)}"
        return _("done") if row.specials_done else _("missing")

    def tables(self) -> list[Table]:
        rows: list[Figures] = []
        kinds: list[str] = []
        if self.semester is not None:
            self.report = semester_report(
                user=self.request.user, semester=self.semester, county=self.county, today=self.today()
            )
            rows, kinds = self.report.rows(), self.report.kinds
        first = [
            ReportColumn(_("county (district)"), self.place),
            ReportColumn(_("stage"), self.stage_name),
        ]
        figures = [
            *first,
            self.count(_("pairings"), "pairings", lambda r: r.pairings, level=""),
            self.count(_("compliant"), "compliant", lambda r: r.compliant, level=""),
            ReportColumn(
                _("compliant share"), lambda r: r.share, "percent", link=lambda r: self.list_url("pairings", r)
            ),
            self.count(_("not compliant"), "not_compliant", lambda r: r.not_compliant),
            self.count(_("no confirmed activity"), "silent", lambda r: r.silent),
            self.count(_("awaiting the partner"), "pending", lambda r: r.pending, level="warning"),
            self.count(_("flagged evidence"), "flagged", lambda r: r.flagged, level="warning"),
            self.count(_("unpaired schools"), "uncovered", lambda r: r.uncovered),
            self.count(_("agreements unsigned or late"), "agreements", lambda r: r.agreements),
            self.count(_("work plans missing or late"), "work_plans", lambda r: r.work_plans),
            ReportColumn(
                _("special inspection"),
                self.special,
                level=lambda r: "danger" if r.specials_missing else "",
                link=lambda r: self.report_url("inspections:special", r) if self.special(r) else None,
            ),
            ReportColumn(
                _("findings to rectify"),
                lambda r: r.findings_open,
                "int",
                level=lambda r: "warning" if r.findings_open else "",
                link=self.rectification_url,
            ),
            ReportColumn(
                _("findings overdue"),
                lambda r: r.findings_overdue,
                "int",
                level=lambda r: "danger" if r.findings_overdue else "",
                link=self.rectification_url,
            ),
        ]
        shortfall = [*first, self.count(_("pairings"), "pairings", lambda r: r.pairings, level="")]
        for kind in kinds:
            shortfall.append(
                ReportColumn(
                    str(Kind(kind).label),
                    lambda r, kind=kind: len(r.short_of(kind)),
                    "int",
                    level=lambda r, kind=kind: "danger" if r.short_of(kind) else "",
                    link=lambda r, kind=kind: self.list_url("short", r, kind=kind),
                )
            )
        empty = self.empty(_("No county to show."))
        return [
            Table(_("Compliance by county and stage"), figures, rows, empty=empty, sheet_name=_("by county")),
            Table(
                _("Pairings short of each norm"),
                shortfall,
                rows if kinds else [],
                empty=self.empty(_("The city has set no norms for this cycle.")) if rows else empty,
                sheet_name=_("short of each norm"),
            ),
        ]

    def extra_context(self) -> dict[str, Any]:
        if self.report is None or not self.report.total.pairings:
            return {"charts": []}
        return {
            "charts": [
                (
                    _("Compliant share by county") if len(self.report.counties) > 1 else _("Compliant share by stage"),
                    charts.compliance_by_county(self.report),
                ),
                (_("Compliant share over the semesters"), charts.compliance_trend(self.report)),
            ]
        }


class SemesterComplianceList(SemesterReportView):
    """The records behind one figure of the semester report: `?what=…&county=…&stage=…&semester=…` (and `kind`
    for the pairings short of a norm), read from the same selector, so that the list has as many rows as the
    figure says."""

    title = gettext_lazy("Semester compliance report")
    stem = gettext_lazy("semester compliance list")
    url_name = "inspections:semester_list"
    county_filter = True
    template_name = "inspections/semester_report.html"

    def setup_report(self) -> None:
        get = self.request.GET
        self.what = get.get("what", "")
        self.stage = get.get("stage", "")
        self.kind = get.get("kind", "")
        if self.what not in LISTS or (self.stage and self.stage not in Stage.values):
            raise Http404(_("No such list."))
        if self.what == "short" and self.kind not in Kind.values:
            raise Http404(_("No such list."))
        self.city_administered = get.get("county") == CITY_ADMINISTERED and scope_of(self.request.user).everything
        if get.get("county") == CITY_ADMINISTERED:
            query = get.copy()
            del query["county"]
            self.request.GET = QueryDict(query.urlencode())
        super().setup_report()
        self.stem = self.list_title()  # the file is named after what it lists

    def extra_context(self) -> dict[str, Any]:
        """The list's own parameters, kept when the semester or county is changed above it."""
        hidden = [("what", self.what), ("stage", self.stage), ("kind", self.kind if self.what == "short" else "")]
        return {"hidden": [(name, value) for name, value in hidden if value]}

    def list_title(self) -> str:
        title, _records = LISTS[self.what]
        if self.what == "short":
            return _("Pairings short of the norm: %(kind)s") % {"kind": Kind(self.kind).label}
        return str(title)

    def heading(self) -> str:
        if self.semester is None:
            return self.list_title()
        place = ""
        if self.city_administered:
            place = county_display_name(None) + "，"
        elif self.county is not None:
            place = county_display_name(self.county) + "，"
        elif scope_of(self.request.user).county_id:  # a county's lists are its own
            place = county_display_name(County.objects.get(pk=scope_of(self.request.user).county_id)) + "，"
        stage = f"{Stage(self.stage).label}，" if self.stage else ""
        return f"{self.list_title()}（{place}{stage}{self.semester.label}）"

    def records(self) -> tuple[list[Any], list[str]]:
        if self.semester is None:
            return [], []
        report = semester_report(
            user=self.request.user, semester=self.semester, county=self.county, today=self.today(), trend=False
        )
        scope = scope_of(self.request.user)
        if self.city_administered:
            key = CITY_ADMINISTERED
        elif self.county is not None:
            key = str(self.county.pk)
        elif not scope.everything and scope.county_id:
            key = str(scope.county_id)  # a county's lists are its own county's rows, whatever was asked
        else:
            key = ""
        row = report.find(key, self.stage)
        if row is None:
            return [], report.kinds
        if self.what == "short":
            return row.short_of(self.kind), report.kinds
        return LISTS[self.what][1](row), report.kinds

    def tables(self) -> list[Table]:
        records, kinds = self.records()
        if self.what in PAIRING_LISTS:
            columns = self.pairing_columns(kinds)
        elif self.what in ("pending", "flagged"):
            columns = self.activity_columns()
        elif self.what == "uncovered":
            columns = self.school_columns()
        elif self.what == "agreements":
            columns = self.agreement_columns()
        else:
            columns = self.work_plan_columns()
        return [Table(self.list_title(), columns, records, empty=self.empty(_("Nothing to list.")))]

    def pairing_columns(self, kinds: list[str]) -> list[ReportColumn]:
        def norm(row: ComplianceRow, kind: str) -> str:
            found = row.norms.get(kind)
            return f"{found.count}/{found.required}" if found else ""

        def norm_level(row: ComplianceRow, kind: str) -> str:
            found = row.norms.get(kind)
            return "danger" if found and not found.met else ""

        columns = [
            ReportColumn(_("county (district)"), lambda r: county_display_name(r.county)),
            ReportColumn(
                _("helper"),
                lambda r: r.helper.name,
                link=lambda r: reverse("admin:pairings_pairing_change", args=[r.pairing.pk]),
            ),
            ReportColumn(_("recipient"), lambda r: r.recipient.name),
            ReportColumn(_("stage"), lambda r: r.pairing.get_stage_display()),
            ReportColumn(_("tier"), lambda r: r.pairing.get_tier_display()),
            ReportColumn(
                _("compliant"),
                lambda r: _("yes") if r.compliant else _("no"),
                level=lambda r: "" if r.compliant else "danger",
            ),
            ReportColumn(
                _("no confirmed activity"),
                lambda r: _yes(r.silent),
                level=lambda r: "danger" if r.silent else "",
                link=lambda r: self.activities_url(r),
            ),
        ]
        for kind in kinds:
            columns.append(
                ReportColumn(
                    str(Kind(kind).label),
                    lambda r, kind=kind: norm(r, kind),
                    level=lambda r, kind=kind: norm_level(r, kind),
                )
            )
        return columns

    def activities_url(self, row: ComplianceRow) -> str:
        return (
            f"{reverse('admin:activities_activity_changelist')}"
            f"?pairing__id__exact={row.pairing.pk}&semester__id__exact={self.semester.pk}"
        )

    def activity_columns(self) -> list[ReportColumn]:
        def flags(activity: Activity) -> str:
            found = []
            if getattr(activity, "reused", False):
                found.append(_("reused files"))
            if getattr(activity, "doubtful_photos", False):
                found.append(_("doubtful photo dates"))
            return "、".join(found)

        columns = [
            ReportColumn(
                _("date"),
                lambda a: a.date,
                "date",
                link=lambda a: reverse("admin:activities_activity_change", args=[a.pk]),
            ),
            ReportColumn(_("helper"), lambda a: a.pairing.helper.name),
            ReportColumn(_("recipient"), lambda a: a.pairing.recipient.name),
            ReportColumn(_("kind"), lambda a: a.get_kind_display()),
            ReportColumn(_("status"), lambda a: a.get_status_display()),
            ReportColumn(_("entered by"), lambda a: a.get_entered_by_display()),
        ]
        if self.what == "flagged":
            columns.append(ReportColumn(_("evidence flags"), flags, level=lambda a: "warning"))
        return columns

    def school_columns(self) -> list[ReportColumn]:
        return [
            ReportColumn(_("county (district)"), lambda u: county_display_name(u.county)),
            ReportColumn(_("stage"), lambda u: str(Stage(u.stage).label)),
            ReportColumn(
                _("school"),
                lambda u: u.school.name,
                level=lambda u: "danger",
                link=lambda u: reverse("admin:schools_school_change", args=[u.school.pk]),
            ),
            ReportColumn(_("school type"), lambda u: u.school.get_school_type_display()),
        ]

    def agreement_columns(self) -> list[ReportColumn]:
        cycle = self.semester.cycle if self.semester else None

        def state(row: LateAgreement) -> str:
            return _("not signed, overdue") if row.unsigned else _("signed late")

        return [
            ReportColumn(
                _("helper"),
                lambda r: r.pairing.helper.name,
                link=lambda r: reverse("admin:pairings_pairing_change", args=[r.pairing.pk]),
            ),
            ReportColumn(_("recipient"), lambda r: r.pairing.recipient.name),
            ReportColumn(_("county"), lambda r: county_display_name(r.pairing.recipient.county)),
            ReportColumn(_("stage"), lambda r: r.pairing.get_stage_display()),
            ReportColumn(_("deadline"), lambda r: cycle.agreement_deadline, "date"),
            ReportColumn(_("signed on"), lambda r: r.signed_on, "date"),
            ReportColumn(_("state"), state, level=lambda r: "danger" if r.unsigned else "warning"),
        ]

    def work_plan_columns(self) -> list[ReportColumn]:
        def missing(plan: WorkPlan) -> bool:
            return plan.status == WorkPlanStatus.MISSING

        return [
            ReportColumn(
                _("unit"),
                lambda p: county_display_name(p.county) if p.county_id else p.school.name,
                link=lambda p: reverse("admin:pairings_workplan_change", args=[p.pk]),
            ),
            ReportColumn(_("status"), lambda p: p.get_status_display()),
            ReportColumn(_("deadline"), lambda p: p.due_on, "date"),
            ReportColumn(_("submitted on"), lambda p: p.submitted_on, "date"),
            ReportColumn(
                _("state"),
                lambda p: _("not submitted, overdue") if missing(p) else _("submitted late"),
                level=lambda p: "danger" if missing(p) else "warning",
            ),
        ]


REPORTS = [SemesterComplianceReport]
