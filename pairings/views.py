"""Report pages over the pairings' selectors: coverage (R1), warnings per county, late agreements (R26) and late
work plans (R25). Each page and its xlsx download come from the same selector rows (`liuzhou_pairing.reports`)."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.reports import Choice, ReportColumn, ReportView, Table
from liuzhou_pairing.scope import Scope

from .choices import WorkPlanStatus
from .models import Cycle, Pairing, WorkPlan
from .rules import warning_message
from .selectors import (
    CoverageRow,
    LateAgreement,
    coverage,
    current_cycle,
    late_agreements,
    late_work_plans,
    warnings_by_county,
)


def pairing_url(pairing: Pairing) -> str:
    return reverse("admin:pairings_pairing_change", args=[pairing.pk])


class CycleReportView(ReportView):
    """A report over one cycle: `?cycle=<id>`, by default the current one; an unknown cycle is 404."""

    cycle: Cycle

    def setup_report(self) -> None:
        self.cycles = list(Cycle.objects.order_by("-first_academic_year", "-first_term"))
        chosen = self.request.GET.get("cycle")
        if chosen:
            cycle = next((c for c in self.cycles if str(c.pk) == chosen), None)
        else:
            cycle = current_cycle(today=self.today())
        if cycle is None:
            raise Http404(_("No such cycle."))
        self.cycle = cycle

    def choices(self) -> list[Choice]:
        options = [(str(c.pk), c.name, c.pk == self.cycle.pk) for c in self.cycles]
        return [Choice("cycle", _("cycle"), options)]

    def heading(self) -> str:
        return f"{self.title}（{self.cycle.name}）"


class CoverageReport(CycleReportView):
    title = gettext_lazy("Coverage by county and stage")
    stem = gettext_lazy("coverage")
    url_name = "pairings:coverage"
    description = gettext_lazy("Public schools in no active pairing of the cycle, and private schools taking part.")

    def tables(self) -> list[Table]:
        rows = coverage(cycle=self.cycle, user=self.request.user)
        uncovered = [(row, school) for row in rows for school in row.uncovered]

        def gap_level(row: CoverageRow) -> str:
            return "danger" if row.uncovered else ""

        summary = [
            ReportColumn(_("county (district)"), lambda r: county_display_name(r.county)),
            ReportColumn(_("stage"), lambda r: r.stage_label),
            ReportColumn(_("public schools"), lambda r: r.public_total, "int"),
            ReportColumn(_("public schools paired"), lambda r: r.public_covered, "int"),
            ReportColumn(_("public schools in no pairing"), lambda r: len(r.uncovered), "int", level=gap_level),
            ReportColumn(_("private schools"), lambda r: r.private_total, "int"),
            ReportColumn(_("private schools taking part"), lambda r: r.private_participating, "int"),
            ReportColumn(_("private participation rate"), lambda r: r.private_rate, "percent"),
        ]
        schools = [
            ReportColumn(_("county (district)"), lambda r: county_display_name(r[0].county)),
            ReportColumn(_("stage"), lambda r: r[0].stage_label),
            ReportColumn(
                _("school"),
                lambda r: r[1].name,
                level=lambda r: "danger",
                link=lambda r: reverse("admin:schools_school_change", args=[r[1].pk]),
            ),  # fmt: skip
            ReportColumn(_("school type"), lambda r: r[1].get_school_type_display()),
        ]
        return [
            Table(_("Coverage"), summary, rows, empty=_("No schools.")),
            Table(
                _("Public schools in no pairing"), schools, uncovered, empty=_("Every public school is in a pairing.")
            ),  # fmt: skip
        ]


class WarningsReport(CycleReportView):
    title = gettext_lazy("Pairings with warnings by county")
    stem = gettext_lazy("pairing warnings")
    url_name = "pairings:warnings"
    description = gettext_lazy(
        "Live pairings that depart from a rule of the plan, by the county that arranged them (the recipient's county "
        "for the city's arrangements)."
    )

    def tables(self) -> list[Table]:
        groups = warnings_by_county(cycle=self.cycle, user=self.request.user)
        pairings = [(group.county, pairing) for group in groups for pairing in group.pairings]
        per_county = [
            ReportColumn(_("county (district)"), lambda g: county_display_name(g.county)),
            ReportColumn(_("pairings with warnings"), lambda g: len(g.pairings), "int", level=lambda g: "warning"),
        ]
        detail = [
            ReportColumn(_("county (district)"), lambda r: county_display_name(r[0])),
            ReportColumn(_("helper"), lambda r: r[1].helper.name, link=lambda r: pairing_url(r[1])),
            ReportColumn(_("recipient"), lambda r: r[1].recipient.name),
            ReportColumn(_("stage"), lambda r: r[1].get_stage_display()),
            ReportColumn(_("tier"), lambda r: r[1].get_tier_display()),
            ReportColumn(
                _("warnings"),
                lambda r: "；".join(warning_message(c) for c in r[1].warnings),
                level=lambda r: "warning",
            ),  # fmt: skip
        ]
        return [
            Table(_("Warnings by county"), per_county, groups, empty=_("No pairing has a warning.")),
            Table(_("Pairings with warnings"), detail, pairings, empty=_("No pairing has a warning.")),
        ]


def may_read_unit_reports(scope: Scope) -> bool:
    return scope.everything or bool(scope.county_id) or bool(scope.school_id)


class LateAgreementsReport(CycleReportView):
    title = gettext_lazy("Late agreements")
    stem = gettext_lazy("late agreements")
    url_name = "pairings:late_agreements"
    description = gettext_lazy(
        "Active pairings whose agreement was signed after the deadline, or is still unsigned after it."
    )

    @classmethod
    def allowed(cls, scope: Scope) -> bool:
        return may_read_unit_reports(scope)

    def tables(self) -> list[Table]:
        rows = late_agreements(cycle=self.cycle, user=self.request.user, today=self.today())

        def state(row: LateAgreement) -> str:
            return _("not signed, overdue") if row.unsigned else _("signed late")

        columns = [
            ReportColumn(_("helper"), lambda r: r.pairing.helper.name, link=lambda r: pairing_url(r.pairing)),
            ReportColumn(_("recipient"), lambda r: r.pairing.recipient.name),
            ReportColumn(_("county"), lambda r: county_display_name(r.pairing.recipient.county)),
            ReportColumn(_("stage"), lambda r: r.pairing.get_stage_display()),
            ReportColumn(_("tier"), lambda r: r.pairing.get_tier_display()),
            ReportColumn(_("deadline"), lambda r: self.cycle.agreement_deadline, "date"),
            ReportColumn(_("signed on"), lambda r: r.signed_on, "date"),
            ReportColumn(_("state"), state, level=lambda r: "danger" if r.unsigned else "warning"),
        ]
        return [Table(_("Late agreements"), columns, rows, empty=_("No agreement is late."))]


class LateWorkPlansReport(CycleReportView):
    title = gettext_lazy("Late work plans")
    stem = gettext_lazy("late work plans")
    url_name = "pairings:late_work_plans"
    description = gettext_lazy("Work plans submitted after the deadline, or still not submitted after it.")

    @classmethod
    def allowed(cls, scope: Scope) -> bool:
        return may_read_unit_reports(scope)

    def tables(self) -> list[Table]:
        rows = late_work_plans(cycle=self.cycle, user=self.request.user, today=self.today())

        def missing(plan: WorkPlan) -> bool:
            return plan.status == WorkPlanStatus.MISSING

        def unit(plan: WorkPlan) -> str:
            return county_display_name(plan.county) if plan.county_id else plan.school.name

        columns = [
            ReportColumn(_("unit"), unit, link=lambda p: reverse("admin:pairings_workplan_change", args=[p.pk])),
            ReportColumn(_("status"), lambda p: p.get_status_display()),
            ReportColumn(_("deadline"), lambda p: p.due_on, "date"),
            ReportColumn(_("submitted on"), lambda p: p.submitted_on, "date"),
            ReportColumn(
                _("state"),
                lambda p: _("not submitted, overdue") if missing(p) else _("submitted late"),
                level=lambda p: "danger" if missing(p) else "warning",
            ),  # fmt: skip
        ]
        return [Table(_("Late work plans"), columns, rows, empty=_("No work plan is late."))]


REPORTS = [CoverageReport, WarningsReport, LateAgreementsReport, LateWorkPlansReport]
