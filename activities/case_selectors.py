"""Reads of exemplary cases: the accepted ones as their page shows them, and the activities a case may name."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from pairings.models import Pairing

from .models import Activity, CasePhoto, ExemplaryCase


def accepted_cases(*, user: Any) -> QuerySet[ExemplaryCase]:
    """Return the accepted cases `user` may read (every signed-in user: all of them), newest first, with the two
    schools, the county and the photos the page shows, in a fixed number of queries."""
    return (
        ExemplaryCase.objects.published(user)
        .select_related("pairing__helper", "pairing__recipient", "county")
        .prefetch_related(Prefetch("photos", queryset=CasePhoto.objects.order_by("id")))
        .order_by("-accepted_on", "-id")
    )


def case_activity_choices(*, user: Any, pairing: str | None) -> QuerySet[Activity]:
    """Return the activities `user` may name on a case, searched on the case form: those of the chosen pairing
    (when the user sees it), else every activity the user sees."""
    activities = Activity.objects.for_user(user)
    chosen = Pairing.objects.for_user(user).filter(pk=pairing).first() if str(pairing or "").isdigit() else None
    if chosen is not None:
        activities = activities.filter(pairing_id=chosen.pk)
    return activities.select_related("pairing__helper", "pairing__recipient")
