"""Writes for inspections: who may record what is decided here (R28–R31)."""

import random
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from liuzhou_pairing.access import require, save_checked
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.scope import Role, scope_of
from pairings.models import Pairing, Semester

from .models import SpotCheck
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
    sample = draw_sample(spot_check_candidates(semester=semester), size, seed)
    if dry_run:
        return sample, None
    save_checked(spot_check, actor=actor, reason=reason)
    spot_check.pairings.set(sample)
    return sample, spot_check
