"""The home page's "what awaits you" items, registered by each app in its AppConfig.ready().

The kernel imports no app: each app registers a function that returns the items a user should see today (a
county its pairings with warnings, a school the agreements it still has to sign, …), and the home page shows them
in order, each with a count and a link to the list behind it.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from .scope import Role

# How an item is shown: "danger" (overdue, missing), "warning" (to look at), "ok" (nothing awaits), "info".
LEVELS = ("danger", "warning", "ok", "info")


@dataclass(frozen=True)
class HomeItem:
    """One line of the home page: what it is, how many, where the list is, and how urgent it is."""

    label: str
    url: str
    count: int | None = None
    level: str = "info"
    status: str = ""  # a state in words, shown instead of or after the count ("已退回")
    note: str = ""  # one line of explanation below the label
    details: Sequence[tuple[str, int]] = field(default_factory=tuple)  # (county, count), for the city's overview


# (order, provider): provider(*, user, today) -> list[HomeItem]
HOME_ITEMS: dict[str, tuple[int, Callable[..., list[HomeItem]]]] = {}


def register_home_items(order: int, provider: Callable[..., list[HomeItem]]) -> None:
    """Register `provider(user=, today=)` to add items to the home page (lower order first)."""
    HOME_ITEMS[f"{provider.__module__}.{provider.__qualname__}"] = (order, provider)


def home_items(*, user: Any, today: datetime.date) -> list[HomeItem]:
    """Return every registered item for `user` on `today`, in the order the apps registered them."""
    items: list[HomeItem] = []
    for _order, provider in sorted(HOME_ITEMS.values(), key=lambda entry: entry[0]):
        items += provider(user=user, today=today)
    return items


def county_display_name(county: Any) -> str:
    """Return the name a county-level unit goes by on pages: the plan's short name (融水县), else its name; for no
    county (a city-administered school's row), “city-administered”."""
    if county is None:
        return _("city-administered")
    return getattr(county, "short_name", "") or county.name


def role_and_unit(user: Any) -> tuple[str, str]:
    """Return the user's unit and role as the home page names them: (融水县教育局, 县（区）教育局)."""
    try:
        profile = user.profile
    except (ObjectDoesNotExist, AttributeError):
        profile = None
    if profile is None:
        return (_("Liuzhou education bureau"), _("system administrator")) if user.is_superuser else ("", _("no role"))
    county, school = profile.county, profile.school
    if profile.role == Role.CITY:
        return _("Liuzhou education bureau"), _("city education bureau")
    if profile.role == Role.COUNTY:
        return _("%(county)s education bureau") % {"county": county_display_name(county)}, _(
            "county (district) education bureau"
        )
    if profile.role == Role.SCHOOL:
        return school.name, _("school")
    if profile.role == Role.INSPECTOR:
        return (county_display_name(county) if county else _("the whole city")), _("inspector")
    if profile.role == Role.REGION:
        return _("the autonomous region"), _("region inspector")
    return "", _("no role")
