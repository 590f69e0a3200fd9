"""Who a user is, for scoping: the one place that reads a user's role and unit.

This is the kernel: it imports no app. It reads the user's profile by attribute (`user.profile.role`,
`.county_id`, `.school_id`), so `accounts` can hold the profile without the other apps depending on it.
Every `for_user` / `editable_by` queryset method and every service asks these functions.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from .actors import SYSTEM


class Role(models.TextChoices):
    CITY = "city", _("city bureau staff")
    COUNTY = "county", _("county bureau staff")
    SCHOOL = "school", _("school staff")
    INSPECTOR = "inspector", _("inspector")
    REGION = "region", _("region inspector")


@dataclass(frozen=True)
class Scope:
    """What a user may see and change, in the terms the querysets need."""

    everything: bool = False  # sees everything (superuser, city staff, region inspector, city-wide inspector)
    writes: bool = False  # may change anything at all
    city: bool = False  # city bureau staff, superuser or the system: changes everything
    county_id: int | None = None  # county bureau staff or a county inspector: that county
    school_id: int | None = None  # school staff: that school
    nothing: bool = False  # no role: sees nothing
    # The inspections this user records (R28): "county" (a county inspector or bureau: its county's
    # self-inspections), "city" (a city-wide inspector: re-inspections of any county), "region" (a region
    # inspector: spot checks); "" none. The city bureau (`city`) may do all of it.
    inspects: str = ""


NOTHING = Scope(nothing=True)
CITY = Scope(everything=True, writes=True, city=True)


def scope_of(user: Any) -> Scope:
    """Return the scope of `user`, cached on the user object for the request. Commands act as SYSTEM, which
    has the city's scope."""
    if user is SYSTEM:
        return CITY
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
        return CITY
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return NOTHING
    if profile.role == Role.CITY:
        return CITY
    if profile.role == Role.REGION:
        return Scope(everything=True, inspects="region")
    if profile.role == Role.INSPECTOR:
        if profile.county_id:
            return Scope(county_id=profile.county_id, inspects="county")
        return Scope(everything=True, inspects="city")
    if profile.role == Role.COUNTY:
        return Scope(county_id=profile.county_id, writes=True, inspects="county")
    if profile.role == Role.SCHOOL:
        return Scope(school_id=profile.school_id, writes=True)
    return NOTHING
