"""Keep the accounts of demo schools through `generate_demo`, which replaces every demo school.

A school account's profile must name a school, and a school with staff cannot be deleted. Before the demo schools
are replaced, the accounts of demo schools are parked on a real school; afterwards each goes back to the school of
the same name (the same seed and scale make the same names), or stays parked when there is none.
"""

from django.core.exceptions import ImproperlyConfigured

from schools.models import School

from .models import Profile

# Profile id → the name of its demo school, between the clear and the generate step of one run.
_PARKED: dict[int, str] = {}


def demo_accounts_park() -> int:
    """Move the accounts of demo schools onto a real school; return how many were moved."""
    profiles = list(Profile.objects.filter(school__is_demo=True).select_related("school"))
    if not profiles:
        return 0
    park = School.objects.real().order_by("pk").first()
    if park is None:
        raise ImproperlyConfigured("Load the Liuzhou data first: python manage.py load_liuzhou")
    _PARKED.update({p.pk: p.school.name for p in profiles})
    # A maintenance step of the demo generator (acting as the system): the profiles stay valid throughout.
    return Profile.objects.filter(pk__in=_PARKED).update(school=park)


def demo_accounts_return(*, seed: int, scale: str) -> int:
    """Give each parked account its demo school back, found by name; return how many went back."""
    schools = dict(School.objects.demo().filter(name__in=set(_PARKED.values())).values_list("name", "pk"))
    returned = 0
    for pk, name in _PARKED.items():
        if name in schools:
            returned += Profile.objects.filter(pk=pk).update(school_id=schools[name])
    _PARKED.clear()
    return returned
