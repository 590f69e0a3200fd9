"""Report pages over the inspections' selectors: the special inspection per county (R31), the assessment input per
school (R29) and the rectification list per county. Each page and its xlsx download come from the same selector
rows (`liuzhou_pairing.reports`); each reads one semester, by default the current one."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.selectors import ComplianceRow
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.reports import Choice, ReportColumn, ReportView, Table
from liuzhou_pairing.scope import Scope, scope_of
from pairings.models import Semester
from pairings.selectors import current_semester, find_semesters
from schools.models import County

from .choices import FindingStatus
from .models import Finding, Inspection
from .selectors import (
    AssessmentRow,
    SpecialInspection,
    assessment_input,
    finding_county,
    rectification_list,
    special_inspections_signed,
)


def inspection_url(inspection: Inspection) -> str:
    return reverse("admin:inspections_inspection_change", args=[inspection.pk])


def user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def inspection_name(inspection: Inspection | None) -> str:
    if inspection is None:
        return ""
    return f"{inspection.get_level_display()} · {inspection.date:%Y-%m-%d}"


class SemesterReportView(ReportView):
    """A report over one semester: `?semester=2016-1`, by default the current one (the latest that has started);
    an unknown semester is 404; before any semester is set up, the tables are empty and say so. Those who see every
    county may narrow it to one (`?county=<id>`) when the report says so (`county_filter`)."""

    semester: Semester | None
    county: County | None = None
    county_filter = False

    def setup_report(self) -> None:
        self.semesters = list(Semester.objects.order_by("-starts_on", "-cycle_id"))
        chosen = self.request.GET.get("semester")
        if chosen:
            try:
                semester = find_semesters(chosen)[-1]
            except ValidationError:
                raise Http404(_("No such semester.")) from None
        else:
            semester = current_semester(today=self.today()) or (self.semesters[-1] if self.semesters else None)
        self.semester = semester
        self.counties = []
        if self.county_filter and scope_of(self.request.user).everything:
            self.counties = list(County.objects.order_by("code"))
            county = self.request.GET.get("county")
            if county:
                self.county = next((c for c in self.counties if str(c.pk) == county), None)
                if self.county is None:
                    raise Http404(_("No such county."))

    def choices(self) -> list[Choice]:
        seen: set[str] = set()
        options = []
        for semester in self.semesters:
            if semester.token not in seen:
                seen.add(semester.token)
                options.append((semester.token, semester.label, semester == self.semester))
        choices = [Choice("semester", _("semester"), options)] if options else []
        if self.counties:
            counties = [("", _("all counties"), self.county is None)]
            counties += [(str(c.pk), county_display_name(c), c == self.county) for c in self.counties]
            choices.append(Choice("county", _("county (district)"), counties))
        return choices

    def heading(self) -> str:
        if self.semester is None:
            return str(self.title)
        county = self.county
        if county is None and scope_of(self.request.user).county_id:  # a county reads its own: its name heads it
            county = County.objects.filter(pk=scope_of(self.request.user).county_id).first()
        place = f"{county_display_name(county)}，" if county else ""
        return f"{self.title}（{place}{self.semester.label}）"

    def empty(self, text: str) -> str:
        """What an empty table says: `text`, or that no semester is set up yet."""
        return text if self.semester is not None else _("No semester has been set up yet.")


class SpecialInspectionReport(SemesterReportView):
    title = gettext_lazy("Special inspections by county")
    stem = gettext_lazy("special inspections")
    url_name = "inspections:special"
    description = gettext_lazy(
        "Whether each county had its special inspection this semester: a signed inspection of the county bureau "
        "marked as the special inspection."
    )

    county_filter = True

    def tables(self) -> list[Table]:
        rows = special_inspections_signed(semester=self.semester, user=self.request.user) if self.semester else []
        if self.county is not None:
            rows = [row for row in rows if row.county.pk == self.county.pk]

        def done_level(row: SpecialInspection) -> str:
            return "" if row.done else "danger"

        def signed_on(row: SpecialInspection):
            if row.inspection is None or row.inspection.signed_at is None:
                return None
            return timezone.localtime(row.inspection.signed_at).date()

        def signer(row: SpecialInspection) -> str:
            if row.inspection is None:
                return ""
            return user_name(row.inspection.signed_by) or _("the system")  # signed by a command, not a user

        columns = [
            ReportColumn(_("county (district)"), lambda r: county_display_name(r.county)),
            ReportColumn(_("special inspection"), lambda r: _("done") if r.done else _("missing"), level=done_level),
            ReportColumn(
                _("inspection"),
                lambda r: inspection_name(r.inspection),
                link=lambda r: inspection_url(r.inspection) if r.inspection else None,
            ),
            ReportColumn(_("inspecting unit"), lambda r: r.inspection.inspecting_unit if r.inspection else ""),
            ReportColumn(_("inspectors"), lambda r: r.inspection.inspectors if r.inspection else ""),
            ReportColumn(_("signed by"), signer),
            ReportColumn(_("date signed"), signed_on, "date"),
        ]
        return [Table(_("Special inspections"), columns, rows, empty=self.empty(_("No county to show.")))]


def may_read_unit_reports(scope: Scope) -> bool:
    return scope.everything or bool(scope.county_id) or bool(scope.school_id)


def _short_norms(row: ComplianceRow) -> str:
    """The norms a pairing did not meet, by the plan's short terms: 送教 1/2、联合教研 0/2."""
    if not row.norms:
        return _("no norms set")
    return "、".join(f"{n.label} {n.count}/{n.required}" for n in row.norms.values() if not n.met)


def _partner(row: ComplianceRow, school_id: int) -> str:
    return row.recipient.name if row.helper.pk == school_id else row.helper.name


class AssessmentReport(SemesterReportView):
    title = gettext_lazy("Assessment input by school")
    stem = gettext_lazy("assessment input")
    url_name = "inspections:assessment"
    description = gettext_lazy(
        "For the annual assessment: each school's pairings in the semester and how many met every norm, the latest "
        "signed inspection of the school or its pairings, and its findings still to be rectified."
    )
    county_filter = True

    @classmethod
    def allowed(cls, scope: Scope) -> bool:
        return may_read_unit_reports(scope)

    def tables(self) -> list[Table]:
        rows = []
        if self.semester is not None:
            rows = assessment_input(
                semester=self.semester, user=self.request.user, county=self.county, today=self.today()
            )

        def partners(row: AssessmentRow) -> str:
            parts = []
            if row.as_helper:
                names = "、".join(_partner(p, row.school.pk) for p in row.as_helper)
                parts.append(_("helps: %(schools)s") % {"schools": names})
            if row.as_recipient:
                names = "、".join(_partner(p, row.school.pk) for p in row.as_recipient)
                parts.append(_("helped by: %(schools)s") % {"schools": names})
            return "；".join(parts)

        def short(row: AssessmentRow) -> str:
            return "；".join(f"{_partner(p, row.school.pk)}（{_short_norms(p)}）" for p in row.short)

        def latest(row: AssessmentRow) -> str:
            if row.inspection is None:
                return ""
            return f"{row.inspection.get_rating_display()} · {inspection_name(row.inspection)}"

        columns = [
            ReportColumn(
                _("school"),
                lambda r: r.school.name,
                link=lambda r: reverse("admin:schools_school_change", args=[r.school.pk]),
            ),
            ReportColumn(_("county (district)"), lambda r: county_display_name(r.county)),
            ReportColumn(_("pairings in the semester"), partners),
            ReportColumn(_("number of pairings"), lambda r: len(r.pairings), "int"),
            ReportColumn(_("compliant"), lambda r: r.compliant, "int"),
            ReportColumn(
                _("pairings not compliant"), lambda r: len(r.short), "int", level=lambda r: "danger" if r.short else ""
            ),
            ReportColumn(_("norms not met"), short, level=lambda r: "danger" if r.short else ""),
            ReportColumn(
                _("latest signed inspection"),
                latest,
                link=lambda r: inspection_url(r.inspection) if r.inspection else None,
            ),
            ReportColumn(
                _("findings to rectify"),
                lambda r: r.open_findings,
                "int",
                level=lambda r: "warning" if r.open_findings else "",
            ),
            ReportColumn(
                _("overdue findings"),
                lambda r: r.overdue_findings,
                "int",
                level=lambda r: "danger" if r.overdue_findings else "",
            ),
        ]
        return [
            Table(_("Assessment input"), columns, rows, empty=self.empty(_("No school in a pairing this semester.")))
        ]


class RectificationReport(SemesterReportView):
    title = gettext_lazy("Rectification list")
    stem = gettext_lazy("rectification list")
    url_name = "inspections:rectification"
    description = gettext_lazy(
        "Findings of the semester's signed inspections, and those of earlier semesters still to be fixed, by "
        "county: how many are open, rectified, verified, reopened and overdue, then each finding with its "
        "responsible unit and deadline."
    )
    county_filter = True

    @classmethod
    def allowed(cls, scope: Scope) -> bool:
        return may_read_unit_reports(scope)

    def tables(self) -> list[Table]:
        counts, findings = [], []
        if self.semester is not None:
            counts, findings = rectification_list(
                semester=self.semester, user=self.request.user, county=self.county, today=self.today()
            )
        today = self.today()

        def overdue(finding: Finding) -> bool:
            return finding.is_overdue(today)

        summary = [
            ReportColumn(_("county (district)"), lambda c: county_display_name(c.county)),
            ReportColumn(_("findings"), lambda c: c.total, "int"),
            ReportColumn(str(FindingStatus.OPEN.label), lambda c: c.open, "int"),
            ReportColumn(str(FindingStatus.RECTIFIED.label), lambda c: c.rectified, "int"),
            ReportColumn(str(FindingStatus.VERIFIED.label), lambda c: c.verified, "int"),
            ReportColumn(str(FindingStatus.REOPENED.label), lambda c: c.reopened, "int"),
            ReportColumn(
                _("overdue"), lambda c: c.overdue, "int", level=lambda c: "danger" if c.overdue else ""
            ),
        ]  # fmt: skip
        detail = [
            ReportColumn(_("county (district)"), lambda f: county_display_name(finding_county(f))),
            ReportColumn(_("responsible"), lambda f: str(f.responsible)),
            ReportColumn(
                _("finding"), lambda f: f.text, link=lambda f: reverse("admin:inspections_finding_change", args=[f.pk])
            ),
            ReportColumn(_("inspection"), lambda f: str(f.inspection)),
            ReportColumn(_("rectify by"), lambda f: f.deadline, "date"),
            ReportColumn(_("status"), lambda f: f.get_status_display()),
            ReportColumn(
                _("overdue"),
                lambda f: _("overdue") if overdue(f) else "",
                level=lambda f: "danger" if overdue(f) else "",
            ),
        ]
        tables = []
        if not scope_of(self.request.user).school_id:
            by_county = Table(_("Findings by county"), summary, counts, empty=self.empty(_("No county to show.")))
            tables.append(by_county)
        tables.append(Table(_("Findings"), detail, findings, empty=self.empty(_("No finding this semester."))))
        return tables


REPORTS = [SpecialInspectionReport, AssessmentReport, RectificationReport]
