"""Write paths for cycles, pairings, agreements and work plans. Admin, imports, commands and the demo
generator all come through here, so every rule is applied the same way."""

import datetime
import io
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liuzhou_pairing.access import (
    changed_fields,
    loaded_relations,
    require,
    require_may_change,
    save_checked,
    save_checked_many,
    stored_for_update,
    validate_constraints,
)
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.history import record_actor
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.loading import LoadReport
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.xlsx import filename, write_workbook
from schools.choices import Stage
from schools.models import County, School

from .arrangement_views import county_arrangement_sheets
from .choices import ArrangedBy, AttachmentKind, PairingStatus, Tier, WorkPlanStatus
from .models import (
    Agreement,
    Cycle,
    DistrictPairing,
    Pairing,
    Problem,
    Semester,
    WorkPlan,
    WorkPlanAttachment,
    semester_default_dates,
)
from .rules import DATABASE, Draft, Facts, LoadedFacts, evaluate
from .selectors import pairable_schools

CITY_FIXED_PERMISSION = "pairings.change_city_fixed_pairing"
REVIEW_PERMISSION = "pairings.review_workplan"

# The fields of a pairing that services set: the one list of them, in the order forms show them.
# Anyone allowed to edit a pairing may change the two sides' contacts, even on a city-fixed one.
CONTACT_FIELDS = ("helper_contact", "helper_phone", "recipient_contact", "recipient_phone")
# Who arranged a pairing, whether the city fixed it and its lead school are the city's to set (R12, R15, R16).
ARRANGEMENT_FIELDS = ("arranged_by", "arranged_by_county", "is_city_fixed", "lead_school")
END_FIELDS = ("status", "ended_on", "end_reason")
PAIRING_FIELDS = (
    "cycle", "stage", "tier", "helper", "recipient", "starts_on", *ARRANGEMENT_FIELDS, *END_FIELDS, *CONTACT_FIELDS
)  # fmt: skip


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


def _require_city_fixed(actor: Any, reason: str) -> None:
    require(can_change_city_fixed(actor), _("City-fixed arrangements are changed only by the city bureau."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for changing a city-fixed arrangement.")})


def _labels(model: type, names: set[str]) -> str:
    return "、".join(str(model._meta.get_field(n).verbose_name) for n in sorted(names))


def _require_fields(model: type, refused: set[str]) -> None:
    require(
        not refused,
        _("You may not change these fields: %(fields)s.") % {"fields": _labels(model, refused)},
    )


def pairing_editable_fields(actor: Any) -> set[str]:
    """Return the fields of a pairing `actor` may set: all for the city; for a county bureau all but who arranged
    it, the city-fixed mark and the lead school; none for the other roles."""
    scope = scope_of(actor)
    if scope.city:
        return set(PAIRING_FIELDS)
    if scope.writes and scope.county_id:
        return set(PAIRING_FIELDS) - set(ARRANGEMENT_FIELDS)
    return set()


def _county_pairing_check(actor: Any, pairing: Pairing, pairable: set[int] | None = None) -> None:
    """A county bureau arranges only pairings with a school of its own on one side, and on the other a school of
    its own or of a county it is district-paired with (R8, R11, R12). `pairable` is the set of those schools when
    the caller has read it already (a batch)."""
    scope = scope_of(actor)
    if scope.city:
        return
    if pairable is None:
        pairable = set(
            pairable_schools(user=actor)
            .filter(pk__in=[pairing.helper_id, pairing.recipient_id])
            .values_list("pk", flat=True)
        )
    for school in (pairing.helper, pairing.recipient):
        require(
            school.pk in pairable,
            _("“%(school)s” is neither a school of your county nor of a county paired with it; you cannot pair it.")
            % {"school": school.name},
        )
    require(
        scope.county_id in (pairing.helper.county_id, pairing.recipient.county_id),
        _("A county bureau arranges only pairings with a school of its own county on one side."),
    )


def pairing_check(pairing: Pairing, facts: Facts = DATABASE) -> list[str]:
    """Validate `pairing` (fields, then the plan's rules, then constraints) and return its warning codes. The rule
    `already_paired` is the check of the unique live-pair constraint (the database enforces it too)."""
    pairing.clean_fields(exclude=loaded_relations(pairing))
    cycle = pairing.cycle
    if pairing.starts_on and not cycle.first_day <= pairing.starts_on <= cycle.last_day:
        raise ValidationError(
            {
                "starts_on": _("A pairing starts within its cycle (%(first)s to %(last)s).")
                % {"first": cycle.first_day.isoformat(), "last": cycle.last_day.isoformat()}
            }
        )
    pairing.warnings = evaluate(Draft.of(pairing, facts))
    # The rest of full_clean(), without validating the fields a second time.
    pairing.clean()
    validate_constraints(pairing, unique=False)
    return pairing.warnings


class PairingBatch:
    """Pairings checked one at a time and written together: the one way pairings are created, whether one from a
    form or thirty thousand by the demo generator or an import.

    `add` applies every rule of the plan to one pairing and raises for it alone (NotAllowed: who may not;
    ValidationError: what the plan refuses), writing nothing; `save` writes every pairing added in one INSERT per
    database batch, with its history, and re-checks the actor's area in one query. Use both inside one transaction.

    With `preload` what the rules look up (live pairs, district pairings, the county's pairable schools) is read
    once per cycle; without it each `add` asks the database about its own pairing (a single pairing)."""

    def __init__(self, *, actor: Any, preload: bool = False) -> None:
        self.actor = actor
        self.scope = scope_of(actor)
        self.facts = LoadedFacts() if preload else DATABASE
        self.preload = preload
        self.pending: list[Pairing] = []
        self._pairable: set[int] | None = None
        self._county: County | None = None

    def __len__(self) -> int:
        return len(self.pending)

    def add(
        self,
        *,
        helper: School,
        recipient: School,
        stage: str,
        tier: str,
        cycle: Cycle,
        arranged_by: str | None = None,
        arranged_by_county: County | None = None,
        is_city_fixed: bool = False,
        lead_school: School | None = None,
        status: str = PairingStatus.ACTIVE,
        starts_on: datetime.date | None = None,
        reason: str = "",
        into: Pairing | None = None,
        **contacts: str,
    ) -> Pairing:
        """Check one new pairing for the batch's actor; raise if the plan or the actor's role refuses it.

        A county bureau's pairings are arranged by that bureau (the arranging unit defaults to it and may be no
        other), involve a school of its own, and are never city-fixed (R12, R16). `into` is an unsaved pairing to
        fill with these fields rather than a new one (an import's row, which then gets its pk when saved)."""
        if set(contacts) - set(CONTACT_FIELDS):
            raise TypeError(f"Unknown pairing fields: {sorted(set(contacts) - set(CONTACT_FIELDS))}")
        actor, scope = self.actor, self.scope
        require(
            scope.city or (scope.writes and bool(scope.county_id)),
            _("Only the city bureau and county bureaus arrange pairings."),
        )
        if is_city_fixed:
            require(can_change_city_fixed(actor), _("City-fixed arrangements are made only by the city bureau."))
        if not scope.city:
            require(
                arranged_by_county is None or arranged_by_county.pk == scope.county_id,
                _(
                    "A county bureau arranges pairings in its own name only; the arranging unit cannot be another "
                    "bureau."
                ),
            )
            require(lead_school is None, _("Lead schools are designated by the city bureau."))
            if self._county is None:
                self._county = County.objects.get(pk=scope.county_id)
            arranged_by, arranged_by_county = ArrangedBy.COUNTY, self._county
        if status == PairingStatus.ENDED:
            raise ValidationError({"status": _("A new pairing is proposed or active; end it afterwards.")})
        if arranged_by is None:
            arranged_by = ArrangedBy.COUNTY if arranged_by_county else ArrangedBy.CITY
        values = dict(
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
            starts_on=starts_on or cycle.first_day,
            ended_on=None,
            end_reason="",
            **{name: contacts.get(name, "") for name in CONTACT_FIELDS},
        )
        if into is None:
            pairing = Pairing(**values)
        else:
            if into.pk is not None:
                raise ValueError("A batch adds new pairings only.")
            pairing = into
            for name, value in values.items():
                setattr(pairing, name, value)
        if self.preload and self._pairable is None and not scope.city:
            self._pairable = set(pairable_schools(user=actor).values_list("pk", flat=True))
        _county_pairing_check(actor, pairing, self._pairable)
        pairing_check(pairing, self.facts)
        record_actor(pairing, actor, reason)
        self.facts.record(pairing)
        self.pending.append(pairing)
        return pairing

    def save(self) -> list[Pairing]:
        """Write every pairing added, with its history; return them."""
        saved, self.pending = save_checked_many(self.pending, actor=self.actor), []
        return saved


@transaction.atomic
def pairing_create(*, actor: Any, **fields: Any) -> Pairing:
    """Create one pairing for `actor` after every rule of the plan (see `PairingBatch.add` for the fields);
    refusals raise and write nothing."""
    batch = PairingBatch(actor=actor)
    batch.add(**fields)
    return batch.save()[0]


@transaction.atomic
def pairing_update(
    *, pairing: Pairing, actor: Any, reason: str = "", expected_version: int | None = None, **fields: Any
) -> Pairing:
    """Save the changes made to `pairing` (and `fields`) for `actor`, re-applying the rules.

    A city-fixed pairing's arrangement changes only by the city, with a reason (R16); its contacts may be kept
    up to date by whoever may edit it. Ending goes through here too (`pairing_end`): an ended pairing is kept as
    a record and changes no more. A stale edit is refused."""
    unknown = set(fields) - set(PAIRING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown pairing fields: {sorted(unknown)}")
    require_may_change(pairing, actor)
    stored = stored_for_update(pairing, expected_version)
    for name, value in fields.items():
        setattr(pairing, name, value)
    pairing.starts_on = pairing.starts_on or stored.starts_on  # left empty on a form: as it was
    changed = changed_fields(stored, pairing, PAIRING_FIELDS)
    if not changed:
        return pairing
    if stored.status == PairingStatus.ENDED:
        raise ValidationError(_("An ended pairing is kept as a record and is not changed."))
    _require_fields(Pairing, changed - pairing_editable_fields(actor))
    ending = pairing.status == PairingStatus.ENDED
    arrangement = changed - set(CONTACT_FIELDS) - (set(END_FIELDS) if ending else set())
    if stored.is_city_fixed or pairing.is_city_fixed:
        if arrangement or ending:
            _require_city_fixed(actor, reason or (pairing.end_reason if ending else ""))
    if ending:
        if arrangement:
            raise ValidationError(_("End a pairing on its own; change its arrangement before or not at all."))
        if not pairing.ended_on:
            raise ValidationError({"ended_on": _("Give the date the pairing ended.")})
        pairing.end_reason = pairing.end_reason.strip()
        # An ended pairing leaves the rules (a closed school's pairing must be able to end); the record stays.
        return save_checked(pairing, actor=actor, stored=stored, reason=reason or pairing.end_reason)
    _county_pairing_check(actor, pairing)
    pairing_check(pairing)
    return save_checked(pairing, actor=actor, stored=stored, reason=reason, clean=False)


def pairing_end(
    *, pairing: Pairing, actor: Any, on: datetime.date, reason: str, expected_version: int | None = None
) -> Pairing:
    """End a pairing with its date and reason; the record and its history stay."""
    if pairing.status == PairingStatus.ENDED:
        raise ValidationError({"status": _("This pairing has already ended.")})
    if not reason.strip():
        raise ValidationError({"end_reason": _("Give the reason the pairing ended.")})
    return pairing_update(
        pairing=pairing,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        status=PairingStatus.ENDED,
        ended_on=on,
        end_reason=reason,
    )


# Fields of a school the pairing rules look at: a change to one re-checks the school's live pairings.
SCHOOL_FIELDS_IN_RULES = {"school_type", "ownership", "location", "is_central", "standing", "county", "township",
                          "village", "status", "merged_into"}  # fmt: skip


@transaction.atomic
def pairings_follow_school(*, school: School, actor: Any, changed: set[str]) -> None:
    """Keep a school's live pairings true to the rules when the school changes (registered with the schools app).

    A school that closes or merges ends its live pairings with that reason (a city-fixed one only by the city).
    Any other change re-applies the rules to each live pairing: one the change would make refused is named and
    the change refused; the warnings of the others are evaluated anew, so that none goes stale."""
    if not changed & SCHOOL_FIELDS_IN_RULES:
        return
    live = list(
        Pairing.objects.live()
        .filter(Q(helper=school) | Q(recipient=school))
        .select_related("helper__county", "recipient__county", "cycle")
    )
    if not school.is_active:
        reason = _("%(school)s closed or merged on %(date)s.") % {"school": school.name, "date": school.status_date}
        for pairing in live:
            if pairing.is_city_fixed:
                require(
                    can_change_city_fixed(actor),
                    _("“%(pairing)s” is a city-fixed pairing: only the city bureau closes or merges its schools.")
                    % {"pairing": pairing},
                )
            pairing.status, pairing.ended_on, pairing.end_reason = PairingStatus.ENDED, school.status_date, reason
            # Ending follows from the school's change, which the actor may make; the pairing keeps its history.
            pairing.full_clean()
            pairing.version += 1
            record_actor(pairing, actor, reason)
            pairing.save()
        return
    broken = []
    for pairing in live:
        try:
            warnings = evaluate(Draft.of(pairing))
        except ValidationError as exc:
            broken.append(f"{pairing}（{'；'.join(exc.messages)}）")
            continue
        if warnings != pairing.warnings:
            Pairing.objects.filter(pk=pairing.pk).update(warnings=warnings)
    if broken:
        raise ValidationError(
            _("This change would break these pairings: %(pairings)s. End or change them first.")
            % {"pairings": "、".join(broken)}
        )


# --- Agreements (R26) -------------------------------------------------------------------------------------

AGREEMENT_FIELDS = ("signed_on", "helper_signatory", "recipient_signatory", "plan", "scan")
PROBLEM_FIELDS = ("problem", "countermeasure", "measure", "responsible_side", "target_semester", "status")


def agreement_editable_fields(actor: Any, agreement: Agreement | None = None) -> set[str]:
    """Return the fields of an agreement `actor` may set: all for the city and county bureaus, the signed scan for
    school staff. The plan of a city–county high-school pair is drafted by the recipient (R14): its staff and its
    county bureau edit it, and the helper's side reads it."""
    scope = scope_of(actor)
    if scope.city:
        return set(AGREEMENT_FIELDS)
    pairing = agreement.pairing if agreement is not None and agreement.pairing_id else None
    recipient_drafts = pairing is not None and (pairing.stage, pairing.tier) == (Stage.HIGH_SCHOOL, Tier.CITY_COUNTY)
    if scope.writes and scope.county_id:
        if recipient_drafts and pairing.recipient.county_id != scope.county_id:
            return set(AGREEMENT_FIELDS) - {"plan"}
        return set(AGREEMENT_FIELDS)
    if scope.writes and scope.school_id:
        if recipient_drafts and pairing.recipient_id == scope.school_id:
            return {"scan", "plan"}
        return {"scan"}
    return set()


@transaction.atomic
def agreement_save(*, agreement: Agreement, actor: Any, expected_version: int | None = None) -> Agreement:
    """Save a new or changed agreement for `actor` (signed late is allowed and reported)."""
    scope = scope_of(actor)
    stored = None
    if agreement.pk:
        require_may_change(agreement, actor)
        stored = stored_for_update(agreement, expected_version)
        if stored.pairing_id != agreement.pairing_id:
            raise ValidationError({"pairing": _("An agreement stays with the pairing it was made for.")})
    else:
        require(
            scope.city or (scope.writes and bool(scope.county_id)),
            _("Agreements are recorded by the city bureau and county bureaus."),
        )
        require(
            Pairing.objects.for_user(actor)
            .exclude(status=PairingStatus.ENDED)
            .filter(pk=agreement.pairing_id)
            .exists(),
            _("You may not record an agreement for this pairing."),
        )
    _require_fields(
        Agreement,
        changed_fields(stored or Agreement(), agreement, AGREEMENT_FIELDS)
        - agreement_editable_fields(actor, agreement),
    )
    return save_checked(agreement, actor=actor, stored=stored)


@transaction.atomic
def problem_save(*, problem: Problem, actor: Any, expected_version: int | None = None) -> Problem:
    """Save one problem and its countermeasure for `actor`. Problems are never deleted: they are withdrawn."""
    scope = scope_of(actor)
    require(
        scope.city or (scope.writes and bool(scope.county_id)),
        _("Problems and countermeasures are recorded by the city bureau and county bureaus."),
    )
    require(
        Agreement.objects.editable_by(actor).filter(pk=problem.agreement_id).exists(),
        _("You may not change the problems of this agreement."),
    )
    stored = None
    if problem.pk:
        require_may_change(problem, actor)
        stored = stored_for_update(problem, expected_version)
        if stored.agreement_id != problem.agreement_id:
            raise ValidationError({"agreement": _("A problem stays with the agreement it was recorded in.")})
    return save_checked(problem, actor=actor, stored=stored)


# --- Work plans (R25) -------------------------------------------------------------------------------------

WORK_PLAN_FIELDS = ("status", "submitted_on", "document", "return_reason")


def work_plan_editable_fields(actor: Any) -> set[str]:
    """Return the fields of a work plan `actor` may set: all for the city bureau, which reviews; the submission
    for the unit itself."""
    scope = scope_of(actor)
    if can_review_work_plans(actor) and scope.city:
        return set(WORK_PLAN_FIELDS)
    if scope.writes:
        return {"status", "submitted_on", "document"}
    return set()


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
def work_plans_ensure(*, cycle: Cycle, actor: Any, report: LoadReport | None = None) -> int:
    """Create a 'not submitted' work plan for each unit that must submit one and has none yet."""
    require(scope_of(actor).city, _("Work plans are called for by the city bureau."))
    counties, schools = work_plan_units(cycle)
    have_counties = set(cycle.work_plans.exclude(county=None).values_list("county_id", flat=True))
    have_schools = set(cycle.work_plans.exclude(school=None).values_list("school_id", flat=True))
    created = 0
    for unit in counties + schools:
        if (unit.pk in have_counties) if isinstance(unit, County) else (unit.pk in have_schools):
            continue
        plan = WorkPlan(cycle=cycle, **({"county": unit} if isinstance(unit, County) else {"school": unit}))
        save_checked(plan, actor=actor)
        created += 1
    if report is not None:
        report.add("work_plans", created=created)
    return created


def work_plan_transition_check(*, plan: WorkPlan, status: str) -> None:
    """Raise ValidationError if `plan` may not move to `status` (R25's submit → accept / return flow). A county
    plan is submitted, and accepted, only with its arrangement tables among its attachments (R25, R27)."""
    previous = plan.status
    if status == previous:
        return
    if status == WorkPlanStatus.SUBMITTED and previous == WorkPlanStatus.ACCEPTED:
        raise ValidationError({"status": _("This plan has already been accepted.")})
    if status in (WorkPlanStatus.ACCEPTED, WorkPlanStatus.RETURNED) and previous != WorkPlanStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted plan can be accepted or returned.")})
    if status in (WorkPlanStatus.SUBMITTED, WorkPlanStatus.ACCEPTED) and plan.county_id:
        if not plan.has_arrangement_tables:
            raise ValidationError(
                _(
                    "A county plan must include the arrangement tables of every level: attach them (generate "
                    "them on this page) before submitting."
                ),
                code="no_arrangement_tables",
            )
    if status == WorkPlanStatus.MISSING:
        raise ValidationError({"status": _("A submitted plan cannot go back to “not submitted”.")})


@transaction.atomic
def work_plan_save(*, plan: WorkPlan, actor: Any, reason: str = "", expected_version: int | None = None) -> WorkPlan:
    """Save the changes made to a work plan for `actor`: the unit submits, the city bureau accepts or returns
    (R25); an accepted plan is no longer changed by the unit; a stale edit is refused."""
    require(plan.pk is not None, _("Work plans are called for by the city bureau."))
    stored = stored_for_update(plan, expected_version)
    reviewer = can_review_work_plans(actor)
    in_area = WorkPlan.objects.in_area_of(actor).filter(pk=plan.pk).exists()
    if in_area and stored.status == WorkPlanStatus.ACCEPTED:
        require(reviewer, _("This work plan has been accepted; it is no longer changed."))
    require_may_change(plan, actor)
    if (stored.cycle_id, stored.county_id, stored.school_id) != (plan.cycle_id, plan.county_id, plan.school_id):
        raise ValidationError(_("A work plan stays with its cycle and unit."))
    changed = changed_fields(stored, plan, WORK_PLAN_FIELDS)
    if "status" in changed and plan.status in (WorkPlanStatus.ACCEPTED, WorkPlanStatus.RETURNED):
        require(reviewer, _("Only the city bureau accepts or returns work plans."))
    if stored.status == WorkPlanStatus.RETURNED and plan.status == WorkPlanStatus.SUBMITTED:
        plan.return_reason = ""  # a resubmission clears the reason it was returned for
        changed.discard("return_reason")
    if plan.status == WorkPlanStatus.RETURNED and "status" in changed:
        reason = reason or plan.return_reason
    _require_fields(WorkPlan, changed - work_plan_editable_fields(actor))
    work_plan_transition_check(plan=stored, status=plan.status)
    return save_checked(plan, actor=actor, stored=stored, reason=reason)


def work_plan_submit(
    *,
    plan: WorkPlan,
    actor: Any,
    submitted_on: datetime.date,
    document: Any,
    expected_version: int | None = None,
) -> WorkPlan:
    """Record a stamped plan's submission; a late one is accepted and reported as late. A county plan's
    arrangement tables must be attached first (`work_plan_tables_attach`)."""
    plan.submitted_on = submitted_on
    plan.document = document
    plan.status = WorkPlanStatus.SUBMITTED
    plan.return_reason = ""
    return work_plan_save(plan=plan, actor=actor, expected_version=expected_version)


def work_plan_review(
    *, plan: WorkPlan, actor: Any, accept: bool, reason: str = "", expected_version: int | None = None
) -> WorkPlan:
    """Accept a submitted plan, or return it with a reason. County plans must attach the arrangement tables."""
    require(can_review_work_plans(actor), _("Only the city bureau accepts or returns work plans."))
    plan.status = WorkPlanStatus.ACCEPTED if accept else WorkPlanStatus.RETURNED
    plan.return_reason = "" if accept else reason.strip()
    return work_plan_save(plan=plan, actor=actor, reason=reason, expected_version=expected_version)


def work_plan_attachments_editable(*, plan: WorkPlan, actor: Any) -> bool:
    """Return whether `actor` may add or remove attachments of `plan`: the unit that submits it or the city
    bureau, while the plan is not accepted."""
    return plan.status != WorkPlanStatus.ACCEPTED and WorkPlan.objects.in_area_of(actor).filter(pk=plan.pk).exists()


def _require_attachments_editable(plan: WorkPlan, actor: Any) -> WorkPlan:
    """Lock `plan` (a submission or a review waits) and refuse unless `actor` may change its attachments."""
    stored = stored_for_update(plan)
    require(
        WorkPlan.objects.in_area_of(actor).filter(pk=plan.pk).exists(),
        _("The attachments of a work plan are added and removed by the unit that submits it or by the city bureau."),
    )
    require(
        stored.status != WorkPlanStatus.ACCEPTED,
        _("This work plan has been accepted; its attachments are no longer changed."),
    )
    return stored


@transaction.atomic
def work_plan_attachment_add(*, plan: WorkPlan, file: Any, kind: str, actor: Any) -> WorkPlanAttachment:
    """Attach `file` (PDF, image or .xlsx, checked by content) to `plan` as `kind` for `actor`."""
    _require_attachments_editable(plan, actor)
    name = PurePath(getattr(file, "name", "") or "").name
    attachment = WorkPlanAttachment(work_plan=plan, kind=kind, file=file, original_name=name[:200])
    return save_checked(attachment, actor=actor)


@transaction.atomic
def work_plan_attachment_remove(*, attachment: WorkPlanAttachment, actor: Any) -> None:
    """Remove an attachment of a work plan for `actor`, kept in the attachment's history: the stored file stays in
    MEDIA_ROOT (backups, the history) but is served no more."""
    plan = _require_attachments_editable(attachment.work_plan, actor)
    stored = WorkPlanAttachment.objects.get(pk=attachment.pk)
    if plan.county_id and plan.status == WorkPlanStatus.SUBMITTED and stored.kind == AttachmentKind.ARRANGEMENT_TABLES:
        require(
            plan.attachments.filter(kind=AttachmentKind.ARRANGEMENT_TABLES).exclude(pk=stored.pk).exists(),
            _(
                "This plan has been submitted and must keep its arrangement tables: attach the new tables first, "
                "then remove the old ones."
            ),
        )
    record_actor(stored, actor, "")
    stored.delete()


def work_plan_tables_attach(*, plan: WorkPlan, actor: Any, today: datetime.date | None = None) -> WorkPlanAttachment:
    """Generate the county's arrangement tables of the plan's cycle — the six tables as its bureau reads them, one
    workbook, as the pages download them — and attach them to its work plan (R25, R27)."""
    require(plan.county_id is not None, _("Only a county bureau's work plan carries the arrangement tables."))
    # Refused before the six tables are built (the add below checks again, under the plan's lock).
    require(
        work_plan_attachments_editable(plan=plan, actor=actor),
        _("The attachments of a work plan are added and removed by the unit that submits it or by the city bureau, "
          "until it is accepted."),
    )  # fmt: skip
    sheets = county_arrangement_sheets(cycle=plan.cycle, user=actor, county=plan.county)
    data = io.BytesIO()
    write_workbook(data, sheets)
    stem = _("%(county)s arrangement tables") % {"county": county_display_name(plan.county)}
    file = ContentFile(data.getvalue(), name=filename(stem, today or timezone.localdate()))
    return work_plan_attachment_add(plan=plan, file=file, kind=AttachmentKind.ARRANGEMENT_TABLES, actor=actor)


# --- Cycles and district pairings: the city's reference data ---------------------------------------------

CYCLE_FIELDS = ("name", "first_academic_year", "first_term", "last_academic_year", "last_term", "work_plan_deadline",
                "agreement_deadline")  # fmt: skip
DISTRICT_PAIRING_FIELDS = ("cycle", "helper_county", "recipient_county")


ENTRY_WINDOW_DAYS = 30


def semesters_ensure(*, cycle: Cycle, actor: Any) -> int:
    """Give `cycle` a semester row for each of its semesters, with the default dates, and remove rows that no
    longer fall within it (refused while anything refers to one). Return how many were created."""
    wanted = cycle.semesters()
    created = 0
    have = {(s.academic_year, s.term): s for s in cycle.semester_rows.all()}
    for academic_year, term in wanted:
        if (academic_year, term) in have:
            continue
        starts_on, ends_on = semester_default_dates(academic_year, term)
        semester = Semester(
            cycle=cycle,
            academic_year=academic_year,
            term=term,
            starts_on=starts_on,
            ends_on=ends_on,
            entry_closes_on=ends_on + datetime.timedelta(days=ENTRY_WINDOW_DAYS),
        )
        save_checked(semester, actor=actor)
        created += 1
    for key, semester in have.items():
        if key not in wanted:
            if semester.problems.exists():
                raise ValidationError(
                    _("%(semester)s is the target of problems and cannot leave the cycle.") % {"semester": semester}
                )
            semester.delete()
    return created


@transaction.atomic
def cycle_create(*, actor: Any, reason: str = "", **fields: Any) -> Cycle:
    """Open a cycle (帮扶周期) with its semesters; only the city bureau may."""
    require(scope_of(actor).city, _("Cycles are set by the city bureau."))
    cycle = save_checked(Cycle(**fields), actor=actor, reason=reason)
    semesters_ensure(cycle=cycle, actor=actor)
    return cycle


@transaction.atomic
def semester_update(
    *, semester: Semester, actor: Any, reason: str = "", expected_version: int | None = None, **fields: Any
) -> Semester:
    """Change a semester's dates: the city bureau only."""
    require(scope_of(actor).city, _("Semesters are set by the city bureau."))
    unknown = set(fields) - {"starts_on", "ends_on", "entry_closes_on"}
    if unknown:
        raise TypeError(f"Unknown semester fields: {sorted(unknown)}")
    stored = stored_for_update(semester, expected_version)
    for name, value in fields.items():
        setattr(semester, name, value)
    return save_checked(semester, actor=actor, stored=stored, reason=reason)


@transaction.atomic
def cycle_update(
    *, cycle: Cycle, actor: Any, reason: str, expected_version: int | None = None, **fields: Any
) -> Cycle:
    """Change a cycle's semesters or deadlines: the city bureau only, with a reason kept in the history, since
    the deadlines decide every late report."""
    require(scope_of(actor).city, _("Cycles are set by the city bureau."))
    stored = stored_for_update(cycle, expected_version)
    for name, value in fields.items():
        setattr(cycle, name, value)
    if not changed_fields(stored, cycle, CYCLE_FIELDS):
        return cycle
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for changing the cycle; it is kept in the history.")})
    save_checked(cycle, actor=actor, stored=stored, reason=reason)
    semesters_ensure(cycle=cycle, actor=actor)
    return cycle


@transaction.atomic
def cycle_ensure(
    *,
    name: str,
    first_academic_year: int,
    last_academic_year: int,
    work_plan_deadline: datetime.date,
    agreement_deadline: datetime.date,
    actor: Any,
    first_term: int = 1,
    last_term: int = 1,
    report: LoadReport | None = None,
) -> Cycle:
    """Create a cycle by name if it does not exist yet; an existing one is left as users keep it."""
    cycle = Cycle.objects.filter(name=name).first()
    if cycle is None:
        cycle = cycle_create(
            actor=actor,
            name=name,
            first_academic_year=first_academic_year,
            first_term=first_term,
            last_academic_year=last_academic_year,
            last_term=last_term,
            work_plan_deadline=work_plan_deadline,
            agreement_deadline=agreement_deadline,
        )
        if report is not None:
            report.add("cycles", created=1)
    return cycle


@transaction.atomic
def district_pairing_create(
    *, cycle: Cycle, helper_county: County, recipient_county: County, actor: Any, reason: str = ""
) -> DistrictPairing:
    """Record a city-fixed district → county pair (R11); only the city bureau may (R16)."""
    require(can_change_city_fixed(actor), _("City-fixed arrangements are made only by the city bureau."))
    pair = DistrictPairing(cycle=cycle, helper_county=helper_county, recipient_county=recipient_county)
    return save_checked(pair, actor=actor, reason=reason)


@transaction.atomic
def district_pairing_update(
    *, pair: DistrictPairing, actor: Any, reason: str, expected_version: int | None = None, **fields: Any
) -> DistrictPairing:
    """Change a city-fixed district → county pair: the city bureau only, with a reason in the history (R16)."""
    stored = stored_for_update(pair, expected_version)
    for name, value in fields.items():
        setattr(pair, name, value)
    if not changed_fields(stored, pair, DISTRICT_PAIRING_FIELDS):
        return pair
    _require_city_fixed(actor, reason)
    return save_checked(pair, actor=actor, stored=stored, reason=reason)
