"""Write paths for inspections (R28–R31): who records which inspection, judges its checklist, signs it, and who
records, rectifies and verifies findings. Admin, commands and the demo generator all come through here.

Inspectors write inspections and nothing else: a county inspector or bureau its county's self-inspections, a
city-wide inspector re-inspections of any county, a region inspector spot checks; the city bureau all of it. A
signed inspection never changes. Schools (and county bureaus, for findings about themselves) record their
rectification; the city verifies it. The region inspector draws and records spot-check samples."""

import datetime
import random
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuzhou_pairing.access import NotAllowed, require, require_may_change, save_checked, stored_for_update
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.scope import Role, scope_of
from pairings.models import Pairing, Semester

from .choices import OPEN_STATUSES, FindingStatus, InspectionStatus, ItemKind, Level
from .models import ChecklistItem, Finding, Inspection, InspectionItem, SpotCheck
from .sampling import draw_sample

# --- Region spot check (自治区抽查): drawing and recording the sample ---------------------------------------------

# Seeds offered by the admin's add page: small enough to read out and type again.
SEED_LIMIT = 1_000_000


def spot_check_seed() -> int:
    """Return a fresh random seed for a draw (shown to the user, who may keep or change it)."""
    return random.SystemRandom().randrange(1, SEED_LIMIT)


def is_region_inspector(user: Any) -> bool:
    """Return whether `user` is a region inspector (自治区督导), who draws the spot checks."""
    try:
        profile = user.profile
    except (ObjectDoesNotExist, AttributeError):
        return False
    return getattr(user, "is_active", False) and profile.role == Role.REGION


def may_record_spot_check(actor: Any) -> bool:
    """Return whether `actor` may record a spot-check sample: the region inspector, the city bureau or the system."""
    return actor is SYSTEM or scope_of(actor).city or is_region_inspector(actor)


def spot_check_candidates(*, semester: Semester) -> list[Pairing]:
    """Return the pairings a spot check of `semester` draws from: those active on any day of it, in every county."""
    return list(Pairing.objects.active_in(semester).select_related("helper", "recipient__county"))


@transaction.atomic
def spot_check_draw(
    *, semester: Semester, size: int, seed: int, actor: Any, reason: str = "", dry_run: bool = False
) -> tuple[list[Pairing], SpotCheck | None]:
    """Draw a spot-check sample of `size` active pairings of `semester` from `seed` and, unless `dry_run`, record
    it with its seed, size, who drew it and why. Return the sample and the recorded SpotCheck (None on a dry run).

    Anyone who sees every pairing may draw without recording; only the region inspector, the city bureau or the
    system records, and only with a reason.
    """
    require(scope_of(actor).everything, _("Spot-check samples are drawn by the region inspector."))
    if not dry_run:
        require(may_record_spot_check(actor), _("Only the region inspector or the city bureau records a spot check."))
    reason = (reason or "").strip()
    drawn_by = actor if actor is not SYSTEM and getattr(actor, "is_authenticated", False) else None
    spot_check = SpotCheck(semester=semester, size=size, seed=seed, reason=reason, drawn_by=drawn_by)
    if not dry_run and not reason:
        raise ValidationError({"reason": _("Give the reason for this spot check.")})
    spot_check.clean_fields(exclude=["semester", "drawn_by", "reason"])  # the size and the seed, before drawing
    candidates = spot_check_candidates(semester=semester)
    if not dry_run and size > len(candidates):
        raise ValidationError(
            {"size": _("The semester has %(count)s active pairings: a sample draws at most that many.")
             % {"count": len(candidates)}}
        )  # fmt: skip
    sample = draw_sample(candidates, size, seed)
    if dry_run:
        return sample, None
    save_checked(spot_check, actor=actor, reason=reason)
    spot_check.pairings.set(sample)
    return sample, spot_check


CHECKLIST_FIELDS = ("level", "code", "text", "kind", "order", "active")
INSPECTION_FIELDS = (
    "level", "semester", "inspecting_unit", "inspecting_county", "county", "school", "pairing", "date", "inspectors",
    "rating", "report", "is_special", "reviews", "spot_check",
)  # fmt: skip
ITEM_FIELDS = ("result", "score", "note", "review", "review_note")
FINDING_FIELDS = ("inspection", "school", "county", "text", "deadline")
RECTIFICATION_FIELDS = ("rectification", "rectification_file")


# --- Checklist ---------------------------------------------------------------------------------------------


def checklist_item_save(*, item: ChecklistItem, actor: Any, expected_version: int | None = None) -> ChecklistItem:
    """The checklist is the city's to edit; inspections already made keep their copy."""
    require(scope_of(actor).city, _("Only the city bureau edits the checklist."))
    stored = stored_for_update(item, expected_version) if item.pk else None
    return save_checked(item, actor=actor, stored=stored)


# --- Inspections -------------------------------------------------------------------------------------------


def levels_recorded_by(actor: Any) -> list[str]:
    """Return the levels of inspection `actor` records."""
    scope = scope_of(actor)
    if scope.city:
        return list(Level.values)
    return {
        "county": [Level.COUNTY_SELF],
        "city": [Level.CITY_REVIEW],
        "region": [Level.REGION_SPOT_CHECK],
    }.get(scope.inspects, [])


def may_inspect(actor: Any) -> bool:
    return bool(levels_recorded_by(actor))


def signs_special(actor: Any) -> bool:
    """Return whether `actor` may sign a special inspection (专项督导, R31): an inspector (督导, 自治区督导), the city
    bureau or the system — not a county bureau certifying itself."""
    if actor is SYSTEM or scope_of(actor).city:
        return True
    try:
        role = actor.profile.role
    except (ObjectDoesNotExist, AttributeError):
        return False
    return role in (Role.INSPECTOR, Role.REGION)


def _require_may_record(inspection: Inspection, actor: Any) -> None:
    scope = scope_of(actor)
    require(may_inspect(actor), _("You may not record inspections."))
    require(
        inspection.level in levels_recorded_by(actor),
        _("You may not record an inspection of this level."),
    )
    if not scope.city and scope.inspects == "county":
        require(
            inspection.inspected_county_id == scope.county_id,
            _("A county inspects only its own county, its schools and their pairings."),
        )
        require(
            inspection.inspecting_county_id in (None, scope.county_id),
            _("A county's self-inspection is made by its own bureau."),
        )


def _check_review(inspection: Inspection) -> None:
    """A re-inspection names the signed self-inspection of the same county and semester that it reviews; other
    levels review nothing."""
    if inspection.level != Level.CITY_REVIEW:
        if inspection.reviews_id:
            raise ValidationError({"reviews": _("Only a city re-inspection reviews a self-inspection.")})
        return
    if not inspection.reviews_id:
        raise ValidationError({"reviews": _("Name the county self-inspection this re-inspection reviews.")})
    reviewed = inspection.reviews
    if reviewed.level != Level.COUNTY_SELF or reviewed.status != InspectionStatus.SIGNED:
        raise ValidationError({"reviews": _("A re-inspection reviews a signed county self-inspection.")})
    same_county = reviewed.inspected_county_id == inspection.inspected_county_id
    if reviewed.semester_id != inspection.semester_id or not same_county:
        raise ValidationError({"reviews": _("The self-inspection reviewed is of the same county and semester.")})


def _check_date(inspection: Inspection) -> None:
    """An inspection of a semester takes place within it."""
    semester = inspection.semester
    if inspection.date and not semester.starts_on <= inspection.date <= semester.ends_on:
        raise ValidationError(
            {"date": _("The date of the inspection lies within its semester (%(start)s to %(end)s).")
             % {"start": semester.starts_on, "end": semester.ends_on}}
        )  # fmt: skip


def _check_spot_check(inspection: Inspection) -> None:
    """A region spot-check inspection is of a pairing drawn in a recorded sample of its semester; other levels
    name no sample."""
    if inspection.level != Level.REGION_SPOT_CHECK:
        if inspection.spot_check_id:
            raise ValidationError({"spot_check": _("Only a region spot-check inspection names a spot-check sample.")})
        return
    if not inspection.spot_check_id:
        raise ValidationError({"spot_check": _("Name the spot-check sample the inspected pairing was drawn in.")})
    sample = inspection.spot_check
    if sample.semester_id != inspection.semester_id:
        raise ValidationError({"spot_check": _("The spot-check sample is of another semester.")})
    if not inspection.pairing_id:
        raise ValidationError({"pairing": _("A region spot check inspects a pairing of its sample.")})
    if not sample.pairings.filter(pk=inspection.pairing_id).exists():
        raise ValidationError({"pairing": _("This pairing was not drawn in the spot-check sample.")})


def _locked_draft(inspection_id: int, actor: Any) -> Inspection:
    """Return the inspection, locked until the transaction ends (so that judging an item or recording a finding
    waits for a signing under way), if `actor` records it and it is still a draft."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection_id)
    _require_may_record(inspection, actor)
    require(inspection.status == InspectionStatus.DRAFT, _("A signed inspection is not changed."))
    return inspection


def _copy_checklist(inspection: Inspection, actor: Any) -> None:
    """Give a new inspection the active checklist items of its level as they are now."""
    for item in ChecklistItem.objects.filter(level=inspection.level, active=True).order_by("order", "code"):
        copy = InspectionItem(inspection=inspection, code=item.code, text=item.text, kind=item.kind, order=item.order)
        save_checked(copy, actor=actor)


@transaction.atomic
def inspection_save(*, inspection: Inspection, actor: Any, expected_version: int | None = None) -> Inspection:
    """Save a new or changed draft inspection; a new one gets the checklist of its level. A signed inspection
    never changes."""
    new = inspection.pk is None
    stored = None
    if not new:
        require_may_change(inspection, actor)
        stored = stored_for_update(inspection, expected_version)
        require(stored.status == InspectionStatus.DRAFT, _("A signed inspection is not changed."))
        if stored.level != inspection.level:
            raise ValidationError({"level": _("The level of an inspection stays as it was made.")})
    _require_may_record(inspection, actor)
    _check_date(inspection)
    _check_review(inspection)
    _check_spot_check(inspection)
    saved = save_checked(inspection, actor=actor, stored=stored)
    if new:
        _copy_checklist(saved, actor)
    return saved


@transaction.atomic
def inspection_item_save(*, item: InspectionItem, actor: Any, expected_version: int | None = None) -> InspectionItem:
    """Judge one checklist item of a draft inspection; a re-inspection confirms or overturns the reviewed
    self-inspection's result of the same item, an overturn with a note."""
    require(item.pk is not None, _("The items of an inspection come from its checklist."))
    require_may_change(item, actor)
    stored = stored_for_update(item, expected_version)
    inspection = _locked_draft(stored.inspection_id, actor)
    require(item.inspection_id == inspection.pk, _("An item stays with its inspection."))
    named = f"{item.code} {item.text}："  # the page shows these errors above the items: say which one
    if item.kind == ItemKind.SCORE and item.result:
        raise ValidationError({"result": named + _("This item is scored: give a score.")})
    if item.kind == ItemKind.RATING and item.score is not None:
        raise ValidationError({"score": named + _("This item is judged pass, partly or fail: give no score.")})
    if item.inspection.level != Level.CITY_REVIEW and (item.review or item.review_note):
        raise ValidationError({"review": _("Only a re-inspection confirms or overturns a self-inspection.")})
    if item.review == "overturns" and not item.review_note.strip():
        raise ValidationError({"review_note": named + _("Say why the self-inspection's result is overturned.")})
    if item.review:
        _check_review_matches(item, inspection)
    return save_checked(item, actor=actor, stored=stored)


def _check_review_matches(item: InspectionItem, inspection: Inspection) -> None:
    """A re-inspection that confirms an item finds what the self-inspection found; a different finding overturns
    it (with a note), so that the county is never told "confirmed" of a changed result."""
    own = inspection.reviews.items.filter(code=item.code).first() if inspection.reviews_id else None
    if own is None:
        return
    judged = item.result or item.score
    if judged in ("", None):
        return  # judged later: signing asks for every result
    same = (item.result, item.score) == (own.result, own.score)
    shown = own.get_result_display() if own.result else own.score
    if item.review == "confirms" and not same:
        raise ValidationError(
            {"review": _("%(code)s %(item)s: the county found “%(own)s”; a different result overturns it — choose "
                         "overturns and say why.") % {"code": item.code, "item": item.text, "own": shown}}
        )  # fmt: skip
    if item.review == "overturns" and same:
        raise ValidationError(
            {"review": _("%(code)s %(item)s: the result is the county's own (“%(own)s”) — choose confirms.")
             % {"code": item.code, "item": item.text, "own": shown}}
        )  # fmt: skip


@transaction.atomic
def inspection_sign(
    *, inspection: Inspection, actor: Any, expected_version: int | None = None, now: datetime.datetime | None = None
) -> Inspection:
    """Sign a draft inspection: every item judged, a rating given; the facts are frozen with their date, and the
    inspection never changes afterwards."""
    from .selectors import inspection_facts

    require_may_change(inspection, actor)
    stored = stored_for_update(inspection, expected_version)
    require(stored.status == InspectionStatus.DRAFT, _("This inspection is already signed."))
    _require_may_record(stored, actor)
    if stored.is_special:
        require(signs_special(actor), _("A special inspection is signed by an inspector or the city bureau."))
    items = list(stored.items.all())
    unjudged = [i.text for i in items if (i.score is None if i.kind == ItemKind.SCORE else not i.result)]
    if unjudged:
        raise ValidationError(_("Judge every item before signing: %(items)s.") % {"items": "；".join(unjudged)})
    if stored.level == Level.CITY_REVIEW and any(not i.review for i in items):
        raise ValidationError(_("Confirm or overturn every item of the self-inspection before signing."))
    if not stored.rating:
        raise ValidationError({"rating": _("Give the overall rating before signing.")})
    now = now or timezone.now()
    stored.facts = inspection_facts(stored, today=timezone.localdate(now))
    stored.status = InspectionStatus.SIGNED
    stored.signed_at = now
    stored.signed_by = actor if getattr(actor, "pk", None) else None
    return save_checked(stored, actor=actor, stored=stored, reason=_("signed"))


# --- Findings and rectification ----------------------------------------------------------------------------


@transaction.atomic
def finding_save(*, finding: Finding, actor: Any, expected_version: int | None = None) -> Finding:
    """Record or change a finding (its text, responsible unit, deadline) of a draft inspection the actor records.
    Findings are part of the inspection: once it is signed they are not added to or changed, only rectified and
    verified. The responsible unit belongs to the inspected unit."""
    stored = None
    if finding.pk:
        require_may_change(finding, actor)
        stored = stored_for_update(finding, expected_version)
        require(stored.inspection_id == finding.inspection_id, _("A finding stays with the inspection that found it."))
        require(stored.status in OPEN_STATUSES, _("A rectified or verified finding is not changed."))
    if not finding.inspection_id:
        raise ValidationError({"inspection": _("Name the inspection that found it.")})
    require(
        Inspection.objects.in_area_of(actor).filter(pk=finding.inspection_id).exists(),
        _("Findings are recorded by those who record the inspection."),
    )
    inspection = _locked_draft(finding.inspection_id, actor)
    _check_responsible(finding, inspection)
    if finding.deadline and finding.deadline <= inspection.date:
        raise ValidationError(
            {"deadline": _("The deadline for rectification comes after the inspection (%(date)s).")
             % {"date": inspection.date}}
        )  # fmt: skip
    return save_checked(finding, actor=actor, stored=stored)


def _check_responsible(finding: Finding, inspection: Inspection) -> None:
    """The school or bureau responsible for a finding belongs to the inspected unit: a county's bureau or one of
    its schools; a school itself or its county's bureau; a pairing's schools or their counties' bureaus."""
    if inspection.county_id:
        schools, counties = None, {inspection.county_id}
    elif inspection.school_id:
        schools, counties = {inspection.school_id}, {inspection.school.county_id}
    else:
        pairing = inspection.pairing
        schools = {pairing.helper_id, pairing.recipient_id}
        counties = {pairing.helper.county_id, pairing.recipient.county_id}
    if finding.school_id:
        inside = finding.school_id in schools if schools is not None else finding.school.county_id in counties
    else:
        inside = finding.county_id in counties
    if not inside:
        raise ValidationError(
            _("The responsible school or bureau must belong to the inspected unit (%(unit)s).")
            % {"unit": inspection.inspected}
        )


def _may_rectify(finding: Finding, actor: Any) -> bool:
    scope = scope_of(actor)
    if scope.city:
        return True
    if scope.writes and scope.school_id:
        return finding.school_id == scope.school_id
    if scope.writes and scope.county_id:
        return finding.county_id == scope.county_id or (
            finding.school_id is not None and finding.school.county_id == scope.county_id
        )
    return False


@transaction.atomic
def finding_rectify(
    *, finding: Finding, actor: Any, expected_version: int | None = None, now: datetime.datetime | None = None
) -> Finding:
    """The responsible school (or its county bureau, or the bureau for a finding about itself) records what it
    did, with evidence: open or reopened → rectified."""
    require(_may_rectify(finding, actor), _("Only the responsible school or bureau records the rectification."))
    stored = stored_for_update(finding, expected_version)
    require(stored.status in OPEN_STATUSES, _("Only an open or reopened finding is rectified."))
    require(
        stored.inspection.status == InspectionStatus.SIGNED,
        _("The inspection that found this is not signed yet: it is rectified once the inspection is signed."),
    )
    if not finding.rectification.strip():
        raise ValidationError({"rectification": _("Say what was done to rectify it.")})
    stored.rectification = finding.rectification
    stored.rectification_file = finding.rectification_file
    stored.status = FindingStatus.RECTIFIED
    stored.rectified_at = now or timezone.now()
    return save_checked(stored, actor=actor, stored=stored)


@transaction.atomic
def finding_verify(*, finding: Finding, actor: Any, accept: bool = True, note: str = "") -> Finding:
    """The city verifies a rectification (rectified → verified) or reopens the finding with a note."""
    require(scope_of(actor).city, _("The city bureau verifies rectifications."))
    stored = stored_for_update(finding)
    require(stored.status == FindingStatus.RECTIFIED, _("Only a rectified finding is verified or reopened."))
    if not accept and not note.strip():
        raise ValidationError({"verification_note": _("Say why the finding is reopened.")})
    stored.status = FindingStatus.VERIFIED if accept else FindingStatus.REOPENED
    stored.verified_at = timezone.now() if accept else None
    stored.verification_note = note
    return save_checked(stored, actor=actor, stored=stored, reason=note)


def may_verify(actor: Any) -> bool:
    return scope_of(actor).city


__all__ = [
    "NotAllowed",
    "checklist_item_save",
    "finding_rectify",
    "finding_save",
    "finding_verify",
    "inspection_item_save",
    "inspection_save",
    "inspection_sign",
]
