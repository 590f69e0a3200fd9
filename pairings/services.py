"""Write paths for cycles, pairings, agreements and work plans. Admin, imports, commands and the demo
generator all come through here, so every rule is applied the same way."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.history import record_actor
from schools.choices import Stage
from schools.models import County, School
from schools.services import LoadReport

from .choices import ArrangedBy, PairingStatus, WorkPlanStatus
from .models import Agreement, Cycle, DistrictPairing, Pairing, Problem, WorkPlan
from .rules import Draft, evaluate

CITY_FIXED_PERMISSION = "pairings.change_city_fixed_pairing"
REVIEW_PERMISSION = "pairings.review_workplan"
# Fields anyone allowed to edit a pairing may change, even on a city-fixed one: the two sides' contacts.
CONTACT_FIELDS = {"helper_contact", "helper_phone", "recipient_contact", "recipient_phone"}
PAIRING_FIELDS = CONTACT_FIELDS | {
    "helper",
    "recipient",
    "stage",
    "tier",
    "cycle",
    "arranged_by",
    "arranged_by_county",
    "is_city_fixed",
    "lead_school",
    "status",
}


def can_change_city_fixed(actor: Any) -> bool:
    """Return whether `actor` may change or end city-fixed arrangements (R16): city bureau staff, or the
    system itself when an operator runs a management command."""
    if actor is SYSTEM:
        return True
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.has_perm(CITY_FIXED_PERMISSION)


def can_review_work_plans(actor: Any) -> bool:
    """Return whether `actor` may accept or return work plans (R25): the city bureau's basic education section."""
    if actor is SYSTEM:
        return True
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.has_perm(REVIEW_PERMISSION)


def _require_city(actor: Any, reason: str) -> None:
    if not can_change_city_fixed(actor):
        raise PermissionDenied(_("City-fixed arrangements are changed only by the city bureau (R16)."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for changing a city-fixed arrangement (R16).")})


def pairing_check(pairing: Pairing) -> list[str]:
    """Validate `pairing` (fields, then the plan's rules, then constraints) and return its warning codes."""
    pairing.clean_fields()
    warnings = evaluate(
        Draft(
            helper=pairing.helper,
            recipient=pairing.recipient,
            stage=pairing.stage,
            tier=pairing.tier,
            cycle=pairing.cycle,
            is_city_fixed=pairing.is_city_fixed,
            pk=pairing.pk,
        )
    )
    pairing.warnings = warnings
    # The rest of full_clean(), without validating the fields a second time.
    pairing.clean()
    pairing.validate_unique()
    pairing.validate_constraints()
    return warnings


@transaction.atomic
def pairing_create(
    *,
    helper: School,
    recipient: School,
    stage: str,
    tier: str,
    cycle: Cycle,
    actor: Any,
    arranged_by: str | None = None,
    arranged_by_county: County | None = None,
    is_city_fixed: bool = False,
    lead_school: School | None = None,
    status: str = PairingStatus.ACTIVE,
    reason: str = "",
    **contacts: str,
) -> Pairing:
    """Create a pairing after every rule of the plan; refusals raise ValidationError and write nothing."""
    if set(contacts) - CONTACT_FIELDS:
        raise TypeError(f"Unknown pairing fields: {sorted(set(contacts) - CONTACT_FIELDS)}")
    if is_city_fixed and not can_change_city_fixed(actor):
        raise PermissionDenied(_("City-fixed arrangements are made only by the city bureau (R16)."))
    if status == PairingStatus.ENDED:
        raise ValidationError({"status": _("A new pairing is proposed or active; end it afterwards.")})
    if arranged_by is None:
        arranged_by = ArrangedBy.COUNTY if arranged_by_county else ArrangedBy.CITY
    pairing = Pairing(
        helper=helper,
        recipient=recipient,
        stage=stage,
        tier=tier,
        cycle=cycle,
        arranged_by=arranged_by,
        arranged_by_county=arranged_by_county,
        is_city_fixed=is_city_fixed,
        lead_school=lead_school,
        status=status,
        **contacts,
    )
    pairing_check(pairing)
    record_actor(pairing, actor, reason)
    pairing.save()
    return pairing


@transaction.atomic
def pairing_update(*, pairing: Pairing, actor: Any, reason: str = "", **fields: Any) -> Pairing:
    """Change a pairing and re-apply the rules. A city-fixed pairing's arrangement changes only by the city,
    with a reason (R16); its contacts may be kept up to date by whoever may edit it."""
    unknown = set(fields) - PAIRING_FIELDS
    if unknown:
        raise TypeError(f"Unknown pairing fields: {sorted(unknown)}")
    if fields.get("status") == PairingStatus.ENDED:
        raise ValidationError({"status": _("Use “end pairing” to end a pairing, with its date and reason.")})
    changed = {name for name, value in fields.items() if getattr(pairing, name) != value}
    if (pairing.is_city_fixed or fields.get("is_city_fixed")) and changed - CONTACT_FIELDS:
        _require_city(actor, reason)
    for name, value in fields.items():
        setattr(pairing, name, value)
    pairing_check(pairing)
    record_actor(pairing, actor, reason)
    pairing.save()
    return pairing


@transaction.atomic
def pairing_end(*, pairing: Pairing, actor: Any, on: datetime.date, reason: str) -> Pairing:
    """End a pairing with its date and reason; the record and its history stay."""
    if pairing.status == PairingStatus.ENDED:
        raise ValidationError({"status": _("This pairing has already ended.")})
    if not reason.strip():
        raise ValidationError({"end_reason": _("Give the reason the pairing ended.")})
    if pairing.is_city_fixed:
        _require_city(actor, reason)
    pairing.status = PairingStatus.ENDED
    pairing.ended_on = on
    pairing.end_reason = reason.strip()
    pairing.full_clean()
    record_actor(pairing, actor, reason)
    pairing.save()
    return pairing


# --- Agreements (R26) -------------------------------------------------------------------------------------


@transaction.atomic
def agreement_save(*, agreement: Agreement, actor: Any) -> Agreement:
    """Validate and save an agreement (signed late is allowed and reported)."""
    agreement.full_clean()
    record_actor(agreement, actor)
    agreement.save()
    return agreement


@transaction.atomic
def problem_save(*, problem: Problem, actor: Any) -> Problem:
    """Validate and save one problem and its countermeasure."""
    problem.full_clean()
    record_actor(problem, actor)
    problem.save()
    return problem


# --- Work plans (R25) -------------------------------------------------------------------------------------


def work_plan_units(cycle: Cycle) -> tuple[list[County], list[School]]:
    """Return the units that must submit a work plan: every county-level bureau, each city high school in a
    city-fixed pair, and the city special school that leads the special-education pairs (R25)."""
    counties = list(County.objects.order_by("code"))
    fixed = Pairing.objects.filter(cycle=cycle, is_city_fixed=True).exclude(status=PairingStatus.ENDED)
    high_school_ids = fixed.filter(stage=Stage.HIGH_SCHOOL).values("helper")
    lead_ids = fixed.filter(lead_school__isnull=False).values("lead_school")
    schools = list(School.objects.filter(Q(pk__in=high_school_ids) | Q(pk__in=lead_ids)).order_by("name"))
    return counties, schools


@transaction.atomic
def work_plans_ensure(*, cycle: Cycle, report: LoadReport | None = None) -> int:
    """Create a 'not submitted' work plan for each unit that must submit one and has none yet."""
    counties, schools = work_plan_units(cycle)
    have_counties = set(cycle.work_plans.exclude(county=None).values_list("county_id", flat=True))
    have_schools = set(cycle.work_plans.exclude(school=None).values_list("school_id", flat=True))
    created = 0
    for unit in counties + schools:
        if (unit.pk in have_counties) if isinstance(unit, County) else (unit.pk in have_schools):
            continue
        plan = WorkPlan(cycle=cycle, **({"county": unit} if isinstance(unit, County) else {"school": unit}))
        plan.full_clean()
        plan.save()
        created += 1
    if report is not None:
        report.add("work_plans", created=created)
    return created


def work_plan_transition_check(*, plan: WorkPlan, status: str, has_arrangement_tables: bool) -> None:
    """Raise ValidationError if `plan` may not move to `status` (R25's submit → accept / return flow)."""
    previous = plan.status
    if status == previous:
        return
    if status == WorkPlanStatus.SUBMITTED and previous == WorkPlanStatus.ACCEPTED:
        raise ValidationError({"status": _("This plan has already been accepted.")})
    if status in (WorkPlanStatus.ACCEPTED, WorkPlanStatus.RETURNED) and previous != WorkPlanStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted plan can be accepted or returned.")})
    if status == WorkPlanStatus.ACCEPTED and plan.county_id and not has_arrangement_tables:
        raise ValidationError(
            {"has_arrangement_tables": _("A county plan must include the arrangement tables of every level (R25).")}
        )
    if status == WorkPlanStatus.MISSING:
        raise ValidationError({"status": _("A submitted plan cannot go back to “not submitted”.")})


@transaction.atomic
def work_plan_save(*, plan: WorkPlan, actor: Any, reason: str = "") -> WorkPlan:
    """Validate and save a work plan, checking its status change against the stored one."""
    if plan.pk:
        stored = WorkPlan.objects.get(pk=plan.pk)
        reviewing = plan.status in (WorkPlanStatus.ACCEPTED, WorkPlanStatus.RETURNED) and plan.status != stored.status
        if reviewing and not can_review_work_plans(actor):
            raise PermissionDenied(_("Only the city bureau accepts or returns work plans (R25)."))
        work_plan_transition_check(plan=stored, status=plan.status, has_arrangement_tables=plan.has_arrangement_tables)
    plan.full_clean()
    record_actor(plan, actor, reason)
    plan.save()
    return plan


def work_plan_submit(
    *, plan: WorkPlan, actor: Any, submitted_on: datetime.date, document: Any, has_arrangement_tables: bool
) -> WorkPlan:
    """Record a stamped plan's submission; a late one is accepted and reported as late."""
    plan.submitted_on = submitted_on
    plan.document = document
    plan.has_arrangement_tables = has_arrangement_tables
    plan.status = WorkPlanStatus.SUBMITTED
    plan.return_reason = ""
    return work_plan_save(plan=plan, actor=actor)


def work_plan_review(*, plan: WorkPlan, actor: Any, accept: bool, reason: str = "") -> WorkPlan:
    """Accept a submitted plan, or return it with a reason. County plans must attach the arrangement tables."""
    if not can_review_work_plans(actor):
        raise PermissionDenied(_("Only the city bureau accepts or returns work plans (R25)."))
    plan.status = WorkPlanStatus.ACCEPTED if accept else WorkPlanStatus.RETURNED
    plan.return_reason = "" if accept else reason.strip()
    return work_plan_save(plan=plan, actor=actor, reason=reason)


# --- Reference data (load_liuzhou) ------------------------------------------------------------------------


@transaction.atomic
def cycle_ensure(
    *,
    name: str,
    first_academic_year: int,
    last_academic_year: int,
    work_plan_deadline: datetime.date,
    agreement_deadline: datetime.date,
    first_term: int = 1,
    last_term: int = 1,
    report: LoadReport | None = None,
) -> Cycle:
    """Create a cycle by name if it does not exist yet; an existing one is left as users keep it."""
    cycle = Cycle.objects.filter(name=name).first()
    if cycle is None:
        cycle = Cycle(
            name=name,
            first_academic_year=first_academic_year,
            first_term=first_term,
            last_academic_year=last_academic_year,
            last_term=last_term,
            work_plan_deadline=work_plan_deadline,
            agreement_deadline=agreement_deadline,
        )
        cycle.full_clean()
        cycle.save()
        if report is not None:
            report.add("cycles", created=1)
    return cycle


@transaction.atomic
def district_pairing_create(
    *, cycle: Cycle, helper_county: County, recipient_county: County, actor: Any, reason: str = ""
) -> DistrictPairing:
    """Record a city-fixed district → county pair (R11); only the city bureau may (R16)."""
    if not can_change_city_fixed(actor):
        raise PermissionDenied(_("City-fixed arrangements are made only by the city bureau (R16)."))
    pair = DistrictPairing(cycle=cycle, helper_county=helper_county, recipient_county=recipient_county)
    pair.full_clean()
    record_actor(pair, actor, reason)
    pair.save()
    return pair
