"""What awaits each role on the home page from the inspections (registered in InspectionsConfig.ready()): a school
or a county bureau the findings it must fix, the city the rectifications awaiting its verification, whoever
records inspections its drafts still to be judged and signed."""

import datetime
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from liuzhou_pairing.home import HomeItem
from liuzhou_pairing.scope import scope_of

from .choices import OPEN_STATUSES, FindingStatus, InspectionStatus
from .models import Finding, Inspection
from .services import may_inspect


def _findings_url(**params: Any) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{reverse('admin:inspections_finding_changelist')}?{query}"


def inspection_home_items(*, user: Any, today: datetime.date) -> list[HomeItem]:
    scope = scope_of(user)
    items: list[HomeItem] = []
    if scope.writes and not scope.city:
        items.append(_to_fix_item(user, scope, today))
    if scope.city:
        items.append(_to_verify_item(user))
    if may_inspect(user):
        items.append(_drafts_item(user))
    return items


def _to_fix_item(user: Any, scope: Any, today: datetime.date) -> HomeItem:
    """The findings the school or bureau is responsible for and has still to fix, the overdue ones counted apart.
    One query."""
    if scope.school_id:
        responsible = Q(school_id=scope.school_id)
    else:
        responsible = Q(county_id=scope.county_id) | Q(school__county_id=scope.county_id)
    counts = (
        Finding.objects.for_user(user)
        .filter(responsible, status__in=OPEN_STATUSES, inspection__status=InspectionStatus.SIGNED)
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)))
    )
    total, overdue = counts["total"], counts["overdue"]
    return HomeItem(
        label=_("Findings we must rectify") if scope.school_id else _("Findings to rectify in our county"),
        url=_findings_url(to_fix="yes"),
        count=total,
        level="danger" if overdue else ("warning" if total else "ok"),
        status=_("%(n)s overdue") % {"n": overdue} if overdue else "",
        note=_("Record what was done, with evidence; the city bureau verifies it."),
    )


def _to_verify_item(user: Any) -> HomeItem:
    count = Finding.objects.for_user(user).filter(status=FindingStatus.RECTIFIED).count()
    return HomeItem(
        label=_("Rectifications awaiting verification"),
        url=_findings_url(status__exact=FindingStatus.RECTIFIED),
        count=count,
        level="warning" if count else "ok",
        note=_("Verify each, or reopen it with a reason."),
    )


def _drafts_item(user: Any) -> HomeItem:
    count = Inspection.objects.editable_by(user).count()
    return HomeItem(
        label=_("Inspections not yet signed"),
        url=f"{reverse('admin:inspections_inspection_changelist')}?status__exact={InspectionStatus.DRAFT}",
        count=count,
        level="warning" if count else "ok",
        note=_("Judge every item against the facts from the system, give the rating, then sign."),
    )
