"""Keep the accounts of demo schools through `generate_demo`, which replaces every demo school.

A school account's profile must name a school, and a school with staff cannot be deleted. Inside the command's one
transaction, the accounts of demo schools are first parked on a real school (never visible: the transaction
commits only after the next step), then each goes back to the new demo school of the same name. An account whose
school does not come back (another seed or scale) is deactivated, not left on the real school. Each move is saved
through the accounts service, so the profile's history records it.
"""

from django.core.exceptions import ImproperlyConfigured

from liuzhou_pairing.actors import SYSTEM
from schools.models import School

from .models import Profile
from .services import account_save

# Profile id → the name of its demo school, between the clear and the generate step of one run.
_PARKED: dict[int, str] = {}


def demo_accounts_park() -> int:
    """Move the accounts of demo schools onto a real school for the rest of the run; return how many."""
    profiles = list(Profile.objects.filter(school__is_demo=True).select_related("school", "user"))
    if not profiles:
        return 0
    park = School.objects.real().order_by("pk").first()
    if park is None:
        raise ImproperlyConfigured("Load the Liuzhou data first: python manage.py load_liuzhou")
    for profile in profiles:
        _PARKED[profile.pk] = profile.school.name
        profile.school = park
        account_save(user=profile.user, profile=profile, actor=SYSTEM)
    return len(profiles)


def demo_accounts_return(*, seed: int, scale: str) -> int:
    """Give each parked account its demo school back, found by name, or deactivate it; return how many went back."""
    schools = {s.name: s for s in School.objects.demo().filter(name__in=set(_PARKED.values()))}
    returned = 0
    for profile in Profile.objects.filter(pk__in=_PARKED).select_related("user"):
        school = schools.get(_PARKED[profile.pk])
        if school is not None:
            profile.school = school
            returned += 1
        else:
            profile.user.is_active = False
        account_save(user=profile.user, profile=profile, actor=SYSTEM)
    _PARKED.clear()
    return returned
