"""Roles as Django groups with permissions, and accounts tied to a county or a school."""

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from liuzhou_pairing.access import require, save_checked, stored_for_update
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.history import record_actor
from liuzhou_pairing.scope import scope_of
from schools.models import County, School

from .choices import Role
from .models import Profile

GROUP_NAMES = {
    Role.CITY: "市教育局",
    Role.COUNTY: "县（区）教育局",
    Role.SCHOOL: "学校",
    Role.INSPECTOR: "督导",
    Role.REGION: "自治区督导",
}

AREAS = ["schools.county", "schools.township", "schools.village", "schools.managementarea"]
REFERENCE = [*AREAS, "pairings.cycle", "pairings.semester", "pairings.districtpairing", "activities.norm"]
WORK = ["schools.school", "pairings.pairing", "pairings.agreement", "pairings.problem", "pairings.workplan"]
ACCOUNTS = ["auth.user", "accounts.profile"]
# What the schools themselves record: their staff and their pairings' activities (issue 10).
ACTIVITIES = ["activities.staff", "activities.activity", "activities.difficultyhelp", "activities.evidence"]


def _perms(models: list[str], *actions: str) -> set[str]:
    return {f"{m.split('.')[0]}.{action}_{m.split('.')[1]}" for m in models for action in actions}


# What each role may do, as model permissions. Which objects it may touch is decided by the `for_user`
# and `editable_by` queryset methods of each model.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CITY: _perms(REFERENCE + WORK + ACTIVITIES + ACCOUNTS, "view", "add", "change")
    | {"pairings.change_city_fixed_pairing", "pairings.review_workplan"},
    Role.COUNTY: _perms(REFERENCE, "view")
    | _perms(["schools.school", "pairings.pairing", "pairings.agreement", "pairings.problem"], "view", "add", "change")
    | _perms(["pairings.workplan"], "view", "change")
    | _perms(ACTIVITIES, "view", "add", "change"),
    Role.SCHOOL: _perms(REFERENCE + ["pairings.pairing", "pairings.problem"], "view")
    | _perms(["schools.school", "pairings.agreement", "pairings.workplan"], "view", "change")
    | _perms(ACTIVITIES, "view", "add", "change"),
    Role.INSPECTOR: _perms(REFERENCE + WORK + ACTIVITIES, "view"),
    Role.REGION: _perms(REFERENCE + WORK + ACTIVITIES, "view"),
}
# Spot-check samples (自治区抽查): read by the city and the inspectors, drawn by the region inspector.
for _role, _actions in ((Role.CITY, ["view"]), (Role.INSPECTOR, ["view"]), (Role.REGION, ["view", "add"])):
    ROLE_PERMISSIONS[_role] |= _perms(["inspections.spotcheck"], *_actions)

# Inspections (issue 11): inspectors write inspections and nothing else; schools see the findings about them and
# record their rectification; the city edits the checklist and verifies. Which inspections and findings each may
# touch is decided by their querysets and `inspections.services`.
CHECKLIST = ["inspections.checklistitem"]
INSPECTIONS = ["inspections.inspection", "inspections.inspectionitem", "inspections.finding"]
ROLE_PERMISSIONS[Role.CITY] |= _perms(CHECKLIST + INSPECTIONS, "view", "add", "change")
ROLE_PERMISSIONS[Role.COUNTY] |= _perms(CHECKLIST, "view") | _perms(INSPECTIONS, "view", "add", "change")
ROLE_PERMISSIONS[Role.SCHOOL] |= _perms(["inspections.inspection", "inspections.inspectionitem"], "view") | _perms(
    ["inspections.finding"], "view", "change"
)
ROLE_PERMISSIONS[Role.INSPECTOR] |= _perms(CHECKLIST, "view") | _perms(INSPECTIONS, "view", "add", "change")
ROLE_PERMISSIONS[Role.REGION] |= _perms(CHECKLIST, "view") | _perms(INSPECTIONS, "view", "add", "change")

# Exemplary cases (典型案例): written by the county bureaus, accepted by the city; everyone reads the accepted ones
# on their own page, not in the admin.
CASES = ["activities.exemplarycase", "activities.casephoto"]
ROLE_PERMISSIONS[Role.CITY] |= _perms(CASES, "view", "add", "change")
ROLE_PERMISSIONS[Role.COUNTY] |= _perms(CASES, "view", "add", "change")


def roles_sync(using: str = "default") -> None:
    """Create a group per role and give it exactly its permissions (run after every migrate)."""
    wanted = set().union(*ROLE_PERMISSIONS.values())
    permissions = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=GROUP_NAMES[role])
        group.permissions.set([permissions[n] for n in sorted(names) if n in permissions])


def user_role_sync(user: Any) -> None:
    """Put `user` in exactly the group of its role; staff status follows (every role works in the admin)."""
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*role_groups)
    profile = getattr(user, "profile", None)
    if profile is not None:
        if not Group.objects.filter(name=GROUP_NAMES[profile.role]).exists():
            roles_sync()
        user.groups.add(Group.objects.get(name=GROUP_NAMES[profile.role]))
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    if hasattr(user, "_pairing_scope"):
        del user._pairing_scope


@transaction.atomic
def account_save(
    *,
    user: Any,
    profile: Profile | None,
    actor: Any,
    expected_version: int | None = None,
    save_m2m: Callable[[], None] | None = None,
) -> Any:
    """Save an account and its role and unit, as the city bureau manages them: only the city, only a superuser
    changes a superuser, and an edit that started from an older version of the account is refused."""
    require(scope_of(actor).city, _("Accounts are managed by the city bureau."))
    user_model = get_user_model()
    if user.pk:
        stored = user_model.objects.select_for_update().get(pk=user.pk)
        require(
            not (stored.is_superuser or user.is_superuser) or getattr(actor, "is_superuser", False) or actor is SYSTEM,
            _("Only a superuser changes a superuser's account."),
        )
    else:
        require(not user.is_superuser or getattr(actor, "is_superuser", False), _("Only a superuser makes another."))
    stored_profile = stored_for_update(profile, expected_version) if profile is not None and profile.pk else None
    user.full_clean(exclude=["password"])
    user.save()
    if save_m2m is not None:
        save_m2m()
    if profile is not None:
        profile.user = user
        record_actor(profile, actor)
        save_checked(profile, actor=actor, stored=stored_profile)
    user_role_sync(user)
    return user


def find_county(name: str) -> County:
    """Find a county-level unit by exact name (official, the plan's short name or a former name)."""
    matches = [c for c in County.objects.all() if name in c.all_names() or name == c.code]
    if not matches:
        raise ValidationError(_("Unknown county “%(name)s”.") % {"name": name})
    if len(matches) > 1:
        raise ValidationError(_("“%(name)s” names more than one county.") % {"name": name})
    return matches[0]


def find_school(name: str) -> School:
    """Find a school by exact name or national school code."""
    matches = list(School.objects.filter(name=name))
    if name.isdigit():
        matches += [s for s in School.objects.filter(school_code=name) if s not in matches]
    if not matches:
        raise ValidationError(_("Unknown school “%(name)s”.") % {"name": name})
    if len(matches) > 1:
        raise ValidationError(_("“%(name)s” names more than one school.") % {"name": name})
    return matches[0]


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    county: County | None = None,
    school: School | None = None,
    password: str | None = None,
    actor: Any,
    is_demo: bool = False,
) -> tuple[Any, str]:
    """Create an account with its role and unit; return the user and its password (generated when not given).

    The password passes the configured validators; the profile is validated before anything is saved.
    `is_demo` marks an account of setup_demo, refused at login when DEBUG is off.
    """
    require(scope_of(actor).city, _("Accounts are created by the city bureau."))
    user_model = get_user_model()
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role “%(role)s”.") % {"role": role}})
    if user_model.objects.filter(username=username).exists():
        raise ValidationError({"username": _("The username “%(name)s” is taken.") % {"name": username}})
    password = password or secrets.token_urlsafe(12)
    user = user_model(username=username, is_staff=True)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    profile = Profile(role=role, county=county, school=school, is_demo=is_demo)
    profile.full_clean(exclude=["user"])
    user.save()
    profile.user = user
    record_actor(profile, actor)
    profile.save()
    user_role_sync(user)
    return user, password
