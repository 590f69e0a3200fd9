"""Who a user is, for scoping: the one place that reads a user's role and unit.

Every `for_user` / `editable_by` queryset method asks these functions; nothing else looks at profiles.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from .choices import Role


@dataclass(frozen=True)
class Scope:
    """What a user may see and change, in the terms the querysets need."""

    everything: bool = False  # sees everything (superuser, city staff, region inspector, city-wide inspector)
    writes: bool = False  # may change anything at all
    city: bool = False  # city bureau staff or superuser: changes everything
    county_id: int | None = None  # county bureau staff or a county inspector: that county
    school_id: int | None = None  # school staff: that school
    nothing: bool = False  # no role: sees nothing


NOTHING = Scope(nothing=True)


def scope_of(user: Any) -> Scope:
    """Return the scope of `user`, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_pairing_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    user._pairing_scope = scope
    return scope


def _compute(user: Any) -> Scope:
    if user.is_superuser:
        return Scope(everything=True, writes=True, city=True)
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return NOTHING
    if profile.role == Role.CITY:
        return Scope(everything=True, writes=True, city=True)
    if profile.role == Role.REGION:
        return Scope(everything=True)
    if profile.role == Role.INSPECTOR:
        return Scope(county_id=profile.county_id) if profile.county_id else Scope(everything=True)
    if profile.role == Role.COUNTY:
        return Scope(county_id=profile.county_id, writes=True)
    if profile.role == Role.SCHOOL:
        return Scope(school_id=profile.school_id, writes=True)
    return NOTHING


def role_of(user: Any) -> str | None:
    """Return the user's role (superusers count as city staff), or None."""
    if getattr(user, "is_superuser", False):
        return Role.CITY
    try:
        return user.profile.role if getattr(user, "is_authenticated", False) else None
    except ObjectDoesNotExist:
        return None
