"""What awaits each role on the home page from the exemplary cases: the city the cases nominated to it, a county
bureau the cases the city returned to it (registered in ActivitiesConfig.ready())."""

import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from liuzhou_pairing.home import HomeItem
from liuzhou_pairing.scope import scope_of

from .choices import CaseStatus
from .models import ExemplaryCase


def _cases_url(status: str) -> str:
    return f"{reverse('admin:activities_exemplarycase_changelist')}?status__exact={status}"


def case_home_items(*, user: Any, today: datetime.date) -> list[HomeItem]:
    """Return the city's cases awaiting acceptance, or a county bureau's returned cases; nothing for others."""
    scope = scope_of(user)
    if scope.city:
        count = ExemplaryCase.objects.filter(status=CaseStatus.NOMINATED).count()
        return [
            HomeItem(
                label=_("Exemplary cases awaiting acceptance"),
                url=_cases_url(CaseStatus.NOMINATED),
                count=count,
                level="warning" if count else "ok",
                note=_("Accept them for publicity, or return them to the county with a reason."),
            )
        ]
    if scope.writes and scope.county_id:
        count = ExemplaryCase.objects.in_area_of(user).filter(status=CaseStatus.RETURNED).count()
        return [
            HomeItem(
                label=_("Exemplary cases returned by the city bureau"),
                url=_cases_url(CaseStatus.RETURNED),
                count=count,
                level="warning" if count else "ok",
                note=_("Change them as the reason says, then nominate them again."),
            )
        ]
    return []
