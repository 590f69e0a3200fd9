"""Reads for inspections: the facts an inspection judges (R28–R30) and the special inspection per county (R31).

Facts are read from the system as the city sees it (the inspected unit's, whoever the inspector is): live while
an inspection is a draft, frozen into `Inspection.facts` with their date when it is signed."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from activities.choices import Confirmation
from activities.evidence import activities_with_evidence_flags
from activities.models import Activity
from activities.selectors import compliance
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.scope import scope_of
from pairings.choices import PairingStatus, ProblemStatus
from pairings.models import Agreement, Pairing, Problem, Semester, WorkPlan
from pairings.rules import warning_messages
from pairings.selectors import coverage
from schools.models import County

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
        .order_by("signed_at", "pk")
    )
    first = {}
    for inspection in signed:
        first.setdefault(inspection.county_id, inspection)
    return [SpecialInspection(county=c, inspection=first.get(c.pk)) for c in counties.order_by("code")]
