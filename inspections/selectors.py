"""Reads for inspections: the facts an inspection judges (R28–R30) and the special inspection per county (R31).

Facts are read from the system as the city sees it (the inspected unit's, whoever the inspector is): live while
an inspection is a draft, frozen into `Inspection.facts` with their date when it is signed."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from activities.choices import Confirmation
from activities.evidence import activities_with_evidence_flags
from activities.models import Activity
from activities.selectors import ComplianceRow, compliance
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.scope import scope_of
from pairings.choices import PairingStatus, ProblemStatus
from pairings.models import Agreement, Pairing, Problem, Semester, WorkPlan
from pairings.rules import warning_messages
from pairings.selectors import coverage
from schools.models import County, School

from .choices import OPEN_STATUSES, InspectionStatus
from .models import Finding, Inspection

FACTS_VERSION = 1


def _pairings_of(inspection: Inspection):
    """The pairings an inspection's facts are about: the pairing itself, a school's (either side), or those of a
    county (a school of the county on either side)."""
    if inspection.pairing_id:
        return Pairing.objects.filter(pk=inspection.pairing_id)
    if inspection.school_id:
        return Pairing.objects.filter(Q(helper_id=inspection.school_id) | Q(recipient_id=inspection.school_id))
    county_id = inspection.county_id
    return Pairing.objects.filter(Q(helper__county_id=county_id) | Q(recipient__county_id=county_id))


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def inspection_facts(inspection: Inspection, *, today: datetime.date | None = None) -> dict[str, Any]:
    """Return the facts of `inspection`'s unit for its semester, as JSON-ready data: the compliance engine's
    figures per pairing, pending and rejected activities, evidence flags, agreements (signed, late), work plans
    (came, late), problems and countermeasures with their status, and open rectifications from earlier
    inspections; for a county also its coverage gaps (R1), warnings and the share of compliant pairings."""
    today = today or timezone.localdate()
    semester: Semester = inspection.semester
    cycle = semester.cycle
    pairings = _pairings_of(inspection)
    ids = set(pairings.values_list("pk", flat=True))

    rows = compliance(user=SYSTEM, semester=semester, among=pairings)
    compliance_rows = [
        {
            "pairing": row.pairing.pk,
            "helper": row.helper.name,
            "recipient": row.recipient.name,
            "compliant": row.compliant,
            "silent": row.silent,
            "norms": [
                {"kind": n.kind, "label": n.label, "count": n.count, "required": n.required, "met": n.met}
                for n in row.norms.values()
            ],
        }
        for row in rows
    ]

    activities = Activity.objects.filter(semester=semester, pairing_id__in=ids)
    flagged = activities_with_evidence_flags(activities)
    agreements = Agreement.objects.filter(pairing_id__in=ids).select_related("pairing__helper", "pairing__recipient")
    agreement_rows = []
    signed_pairings = set()
    for agreement in agreements.select_related("pairing__cycle"):
        signed_pairings.add(agreement.pairing_id)
        agreement_rows.append(
            {
                "pairing": agreement.pairing_id,
                "name": f"{agreement.pairing.helper.name}—{agreement.pairing.recipient.name}",
                "signed_on": _date(agreement.signed_on),
                "late": agreement.is_late or (not agreement.signed_on and today > cycle.agreement_deadline),
            }
        )
    active = pairings.filter(status=PairingStatus.ACTIVE).select_related("helper", "recipient")
    for pairing in active.exclude(pk__in=signed_pairings):
        agreement_rows.append(
            {
                "pairing": pairing.pk,
                "name": f"{pairing.helper.name}—{pairing.recipient.name}",
                "signed_on": None,
                "late": today > cycle.agreement_deadline,
            }
        )

    if inspection.county_id:
        plans = WorkPlan.objects.filter(cycle=cycle).filter(
            Q(county_id=inspection.county_id) | Q(school__county_id=inspection.county_id)
        )
    elif inspection.school_id:
        plans = WorkPlan.objects.filter(cycle=cycle, school_id=inspection.school_id)
    else:
        pairing = inspection.pairing
        plans = WorkPlan.objects.filter(cycle=cycle).filter(
            Q(county_id__in=[pairing.helper.county_id, pairing.recipient.county_id])
            | Q(school_id__in=[pairing.helper_id, pairing.recipient_id])
        )
    work_plans = [
        {
            "unit": str(plan.unit),
            "status": plan.get_status_display(),
            "submitted_on": _date(plan.submitted_on),
            "late": plan.is_late(today),
        }
        for plan in plans.select_related("county", "school", "cycle").order_by("county__code", "school__name")
    ]

    problems = [
        {"problem": p.problem, "countermeasure": p.countermeasure, "status": p.get_status_display(), "open":
         p.status in (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS)}
        for p in Problem.objects.filter(agreement__pairing_id__in=ids).order_by("agreement_id", "id")
    ]  # fmt: skip

    findings = Finding.objects.filter(status__in=OPEN_STATUSES, inspection__status=InspectionStatus.SIGNED)
    if inspection.county_id:
        findings = findings.filter(Q(county_id=inspection.county_id) | Q(school__county_id=inspection.county_id))
    elif inspection.school_id:
        findings = findings.filter(school_id=inspection.school_id)
    else:
        findings = findings.filter(school_id__in=[inspection.pairing.helper_id, inspection.pairing.recipient_id])
    if inspection.pk:
        findings = findings.exclude(inspection_id=inspection.pk)
    open_findings = [
        {
            "text": f.text,
            "responsible": str(f.responsible),
            "deadline": _date(f.deadline),
            "status": f.get_status_display(),
            "overdue": f.is_overdue(today),
        }
        for f in findings.select_related("school", "county")
    ]

    facts: dict[str, Any] = {
        "version": FACTS_VERSION,
        "as_of": today.isoformat(),
        "semester": semester.label,
        "compliance": compliance_rows,
        "compliant": sum(1 for r in rows if r.compliant),
        "judged": len(rows),
        "pending": activities.filter(status=Confirmation.PENDING).count(),
        "rejected": activities.filter(status=Confirmation.REJECTED).count(),
        "reused_evidence": flagged.filter(reused=True).count(),
        "doubtful_photos": flagged.filter(doubtful_photos=True).count(),
        "agreements": agreement_rows,
        "work_plans": work_plans,
        "problems": problems,
        "open_findings": open_findings,
    }
    if inspection.county_id:
        county = inspection.county
        facts["coverage_gaps"] = [
            {"stage": row.stage_label, "uncovered": [s.name for s in row.uncovered]}
            for row in coverage(cycle=cycle, user=SYSTEM, county=county)
            if row.uncovered
        ]
        live = pairings.filter(cycle=cycle).live().with_warnings().select_related("helper", "recipient")
        facts["warnings"] = [
            {"pairing": f"{p.helper.name}—{p.recipient.name}", "warnings": warning_messages(p)} for p in live
        ]
    return facts


def facts_of(inspection: Inspection) -> dict[str, Any]:
    """The facts to show: frozen for a signed inspection, live for a draft."""
    if inspection.status == InspectionStatus.SIGNED:
        return inspection.facts
    return inspection_facts(inspection)


@dataclass
class SpecialInspection:
    """Whether a county had its special inspection (专项督导, R31) in a semester, and which."""

    county: County
    inspection: Inspection | None

    @property
    def done(self) -> bool:
        return self.inspection is not None


def special_inspections(*, semester: Semester, user: Any) -> list[SpecialInspection]:
    """Return, per county `user` sees, whether it had its special inspection in `semester`: an inspection of the
    county marked special and signed. Two queries."""
    scope = scope_of(user)
    counties = County.objects.all()
    if not scope.everything:
        counties = counties.filter(pk=scope.county_id) if scope.county_id else counties.none()
    signed = (
        Inspection.objects.filter(semester=semester, is_special=True, status=InspectionStatus.SIGNED)
        .exclude(county=None)
        .defer("facts")  # what was frozen at signing (large for a county): not needed here
        .order_by("signed_at", "pk")
    )
    first = {}
    for inspection in signed:
        first.setdefault(inspection.county_id, inspection)
    return [SpecialInspection(county=c, inspection=first.get(c.pk)) for c in counties.order_by("code")]


# --- Report pages: the special inspection with its signer, the assessment input (R29), the rectification list ---


def special_inspections_signed(*, semester: Semester, user: Any) -> list[SpecialInspection]:
    """Return `special_inspections` with who signed each inspection read too: three queries."""
    from django.contrib.auth import get_user_model

    rows = special_inspections(semester=semester, user=user)
    signer_ids = {r.inspection.signed_by_id for r in rows if r.inspection and r.inspection.signed_by_id}
    signers = {u.pk: u for u in get_user_model().objects.filter(pk__in=signer_ids)} if signer_ids else {}
    for row in rows:
        if row.inspection is not None:
            row.inspection.signed_by = signers.get(row.inspection.signed_by_id)
    return rows


@dataclass
class AssessmentRow:
    """One school in a semester, for the annual assessment (年度考核依据, R29): its pairings as helper and as
    recipient with the compliance engine's verdict, the latest signed inspection of it or of one of its pairings,
    and its findings still to be fixed."""

    school: School
    county: County | None
    as_helper: list[ComplianceRow] = field(default_factory=list)
    as_recipient: list[ComplianceRow] = field(default_factory=list)
    inspection: Inspection | None = None
    open_findings: int = 0
    overdue_findings: int = 0

    @property
    def pairings(self) -> list[ComplianceRow]:
        return self.as_helper + self.as_recipient

    @property
    def compliant(self) -> int:
        return sum(1 for row in self.pairings if row.compliant)

    @property
    def short(self) -> list[ComplianceRow]:
        """The pairings not compliant: a norm not met, or no norm set."""
        return [row for row in self.pairings if not row.compliant]


def assessment_input(
    *, semester: Semester, user: Any, county: County | int | None = None, today: datetime.date | None = None
) -> list[AssessmentRow]:
    """Return, per school in a pairing active in `semester` that `user` may read (the city, the region and
    city-wide inspectors every such school, narrowed to `county`; a county its own schools; a school itself): its
    pairings with their compliance (the compliance engine's rows, so the figures are the engine's), the latest
    signed inspection of the semester of the school or one of its pairings, and its findings from signed
    inspections of this semester or earlier still open, and how many of them are overdue. Eight queries."""
    today = today or timezone.localdate()
    scope = scope_of(user)
    county_id = county.pk if isinstance(county, County) else county
    counties = {c.pk: c for c in County.objects.all()}
    by_school: dict[int, AssessmentRow] = {}

    def row_of(school: School) -> AssessmentRow:
        if school.pk not in by_school:
            by_school[school.pk] = AssessmentRow(school=school, county=counties.get(school.county_id))
        return by_school[school.pk]

    # Narrowed to a county, only the pairings with a school of it on either side are judged.
    wanted = scope.county_id or (county_id if scope.everything else None)
    among = Pairing.objects.filter(Q(helper__county_id=wanted) | Q(recipient__county_id=wanted)) if wanted else None
    for row in compliance(user=user, semester=semester, among=among):
        row_of(row.helper).as_helper.append(row)
        row_of(row.recipient).as_recipient.append(row)

    def kept(row: AssessmentRow) -> bool:
        if scope.school_id:
            return row.school.pk == scope.school_id
        if scope.county_id:
            return row.school.county_id == scope.county_id
        return county_id is None or row.school.county_id == county_id

    rows = sorted(
        (r for r in by_school.values() if kept(r)),
        key=lambda r: (r.county.code if r.county else "", r.school.name, r.school.pk),
    )
    if not rows:
        return rows
    school_ids = [r.school.pk for r in rows]
    pairing_ids = {p.pairing.pk for r in rows for p in r.pairings}

    inspections = (
        Inspection.objects.for_user(user)
        .filter(semester=semester, status=InspectionStatus.SIGNED)
        .filter(Q(school_id__in=school_ids) | Q(pairing_id__in=pairing_ids))
        .select_related("pairing")
        .order_by("date", "signed_at", "pk")
    )
    for inspection in inspections:  # the latest wins
        if inspection.school_id:
            targets = [inspection.school_id]
        else:
            targets = [inspection.pairing.helper_id, inspection.pairing.recipient_id]
        for school_id in targets:
            if school_id in by_school:
                by_school[school_id].inspection = inspection

    findings = (
        Finding.objects.for_user(user)
        .filter(
            school_id__in=school_ids,
            status__in=OPEN_STATUSES,
            inspection__status=InspectionStatus.SIGNED,
            inspection__semester__starts_on__lte=semester.starts_on,
        )
        .values_list("school_id", "deadline")
    )
    for school_id, deadline in findings:
        by_school[school_id].open_findings += 1
        if deadline < today:
            by_school[school_id].overdue_findings += 1
    return rows


@dataclass
class RectificationCounts:
    """A county's findings of a semester's signed inspections by status, and how many are overdue (整改清单)."""

    county: County | None  # None: the city-administered schools
    open: int = 0
    rectified: int = 0
    verified: int = 0
    reopened: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.open + self.rectified + self.verified + self.reopened


def finding_county(finding: Finding) -> County | None:
    """The county a finding belongs to: the bureau it names, or the responsible school's county."""
    return finding.county if finding.county_id else finding.school.county


def rectification_list(
    *, semester: Semester, user: Any, county: County | int | None = None, today: datetime.date | None = None
) -> tuple[list[RectificationCounts], list[Finding]]:
    """Return the findings of `semester`'s signed inspections that `user` sees, and those of earlier semesters
    still to be fixed (narrowed to `county`: its bureau and its schools), ordered by county, deadline and
    responsible unit, with the counts per county: every county for the city, the region and city-wide inspectors,
    its own for a county, none for a school (which sees only the findings about itself). Two queries."""
    today = today or timezone.localdate()
    scope = scope_of(user)
    county_id = county.pk if isinstance(county, County) else county
    findings = (
        Finding.objects.for_user(user)
        .filter(
            Q(inspection__semester=semester)
            | Q(status__in=OPEN_STATUSES, inspection__semester__starts_on__lt=semester.starts_on),
            inspection__status=InspectionStatus.SIGNED,
        )
        .select_related(
            "county",
            "school__county",
            "inspection__county",
            "inspection__school",
            "inspection__pairing__helper",
            "inspection__pairing__recipient",
        )
        .defer("inspection__facts")  # what was frozen at signing (large for a county): not needed here
    )
    if county_id is not None:
        findings = findings.filter(Q(county_id=county_id) | Q(school__county_id=county_id))
    found = list(findings)

    if scope.everything:
        counties = County.objects.order_by("code")
        if county_id is not None:
            counties = counties.filter(pk=county_id)
        groups = {c.pk: RectificationCounts(county=c) for c in counties}
    elif scope.county_id:
        groups = {c.pk: RectificationCounts(county=c) for c in County.objects.filter(pk=scope.county_id)}
    else:
        groups = {}
    for finding in found:
        place = finding_county(finding)
        key = place.pk if place else None
        if key not in groups:
            if not scope.everything:
                continue
            groups[key] = RectificationCounts(county=None)
        group = groups[key]
        setattr(group, finding.status, getattr(group, finding.status) + 1)
        if finding.is_overdue(today):
            group.overdue += 1

    def order(f: Finding) -> tuple:
        place = finding_county(f)
        return (place.code if place else "~", f.deadline, str(f.responsible), f.pk)

    return list(groups.values()), sorted(found, key=order)
