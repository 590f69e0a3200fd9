"""What awaits each role on the home page, from the pairings' selectors (registered in PairingsConfig.ready())."""

import datetime
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from liuzhou_pairing.home import HomeItem, county_display_name
from liuzhou_pairing.scope import scope_of
from schools.models import County

from .choices import PairingStatus, WorkPlanStatus
from .models import Cycle, Pairing, WorkPlan
from .selectors import current_cycle, late_work_plans, uncovered_counts


def _report(name: str, cycle: Cycle) -> str:
    return f"{reverse(name)}?cycle={cycle.pk}"


def pairing_home_items(*, user: Any, today: datetime.date) -> list[HomeItem]:
    """Return what awaits `user`: a county its warnings, coverage gaps, late agreements and its work plan; a school
    its pairings, agreements to sign or scan and its own work plan; the city late work plans, coverage and
    warnings per county; inspectors what they may read."""
    scope = scope_of(user)
    if scope.nothing:
        return []
    cycle = current_cycle(today=today)
    if cycle is None:
        return []
    if scope.school_id:
        return _school_items(user, cycle, today)
    per_county = scope.everything
    items = [_warnings_item(user, cycle, per_county), _coverage_item(user, cycle, per_county)]
    if scope.writes:
        items.append(_agreements_item(user, cycle, today))
    if scope.city:
        items += _work_plans_items(user, cycle, today)
    elif scope.writes and scope.county_id:
        plan = WorkPlan.objects.filter(cycle=cycle, county_id=scope.county_id).first()
        if plan is not None:
            items.append(_work_plan_item(plan, today))
    return items


def warning_counts(*, cycle: Cycle, user: Any) -> list[tuple[County | None, int]]:
    """The live pairings of `cycle` with warnings that `user` may see, counted per county as `warnings_by_county`
    groups them (the arranging county, else the recipient's), in its order: the counts alone, in the database
    (two queries), where the selector reads every pairing."""
    counts = dict(
        Pairing.objects.for_user(user)
        .filter(cycle=cycle)
        .live()
        .with_warnings()
        .annotate(group_county=Coalesce("arranged_by_county_id", "recipient__county_id"))
        .order_by()
        .values_list("group_county")
        .annotate(n=Count("pk"))
    )
    counties = County.objects.in_bulk()  # a few rows; always one query, with warnings or without
    rows = [(counties.get(pk), n) for pk, n in counts.items()]
    return sorted(rows, key=lambda row: row[0].code if row[0] else "999999")


def late_agreement_counts(*, cycle: Cycle, user: Any, today: datetime.date) -> tuple[int, int]:
    """(late, of them unsigned): the counts of `late_agreements(cycle=, user=, today=)` and of its rows without a
    signing date, in one aggregate query."""
    late = Q(agreement__signed_on__gt=cycle.agreement_deadline)
    if today > cycle.agreement_deadline:
        late |= Q(agreement__isnull=True) | Q(agreement__signed_on__isnull=True)
    unsigned = Q(agreement__isnull=True) | Q(agreement__signed_on__isnull=True)
    counts = (
        Pairing.objects.filter(cycle=cycle, status=PairingStatus.ACTIVE)
        .for_user(user)
        .filter(late)
        .aggregate(late=Count("pk"), unsigned=Count("pk", filter=unsigned))
    )
    return counts["late"], counts["unsigned"]


def _warnings_item(user: Any, cycle: Cycle, per_county: bool) -> HomeItem:
    groups = warning_counts(cycle=cycle, user=user)
    count = sum(n for _county, n in groups)
    details = [(county_display_name(county), n) for county, n in groups] if per_county else ()
    return HomeItem(
        label=_("Pairings with warnings"),
        url=_report("pairings:warnings", cycle),
        count=count,
        level="warning" if count else "ok",
        note=_("Pairings that depart from a rule of the plan: check and adjust them."),
        details=details,
    )


def _coverage_item(user: Any, cycle: Cycle, per_county: bool) -> HomeItem:
    counts = uncovered_counts(cycle=cycle, user=user)  # counted, not read: the region has thousands
    count = sum(counts.values())
    details: list[tuple[str, int]] = []
    if per_county:
        counties = County.objects.in_bulk()  # a few; read even when there is no gap, so the page's queries are fixed
        order = sorted((pk for pk, n in counts.items() if n), key=lambda pk: (pk is None, pk and counties[pk].code))
        details = [(county_display_name(counties.get(pk)), counts[pk]) for pk in order]
    return HomeItem(
        label=_("Public schools in no pairing"),
        url=_report("pairings:coverage", cycle),
        count=count,
        level="danger" if count else "ok",
        note=_("Every public school takes part in pairing assistance, at each stage it serves."),
        details=details,
    )


def _agreements_item(user: Any, cycle: Cycle, today: datetime.date) -> HomeItem:
    late, unsigned = late_agreement_counts(cycle=cycle, user=user, today=today)
    return HomeItem(
        label=_("Agreements not signed or signed late"),
        url=_report("pairings:late_agreements", cycle),
        count=late,
        level="danger" if unsigned else "warning" if late else "ok",
        note=_("Not signed: %(unsigned)s; signed late: %(late)s. Deadline: %(deadline)s.")
        % {"unsigned": unsigned, "late": late - unsigned, "deadline": cycle.agreement_deadline.isoformat()},
    )


def _work_plans_items(user: Any, cycle: Cycle, today: datetime.date) -> list[HomeItem]:
    late = late_work_plans(cycle=cycle, user=user, today=today)
    missing = sum(1 for plan in late if plan.status == WorkPlanStatus.MISSING)
    to_review = WorkPlan.objects.for_user(user).filter(cycle=cycle, status=WorkPlanStatus.SUBMITTED).count()
    url = _report("pairings:late_work_plans", cycle)
    return [
        HomeItem(
            label=_("Work plans not submitted after the deadline"),
            url=url,
            count=missing,
            level="danger" if missing else "ok",
            note=_("Deadline: %(deadline)s.") % {"deadline": cycle.work_plan_deadline.isoformat()},
        ),
        HomeItem(
            label=_("Work plans submitted late"),
            url=url,
            count=len(late) - missing,
            level="warning" if len(late) - missing else "ok",
        ),
        HomeItem(
            label=_("Work plans to review"),
            url=f"{reverse('admin:pairings_workplan_changelist')}?cycle__id__exact={cycle.pk}&status__exact=submitted",
            count=to_review,
            level="warning" if to_review else "ok",
            note=_("Submitted plans wait for you to accept or return them."),
        ),
    ]


def _work_plan_item(plan: WorkPlan, today: datetime.date) -> HomeItem:
    """The state of the unit's own work plan, shown as what it means: missing or late is a warning."""
    status = plan.get_status_display()
    late = plan.is_late(today)
    if plan.status == WorkPlanStatus.MISSING:
        level = "danger" if late else "warning"
        status = _("not submitted, overdue") if late else status
    elif plan.status == WorkPlanStatus.RETURNED:
        level = "danger"
    elif late:
        level = "warning"
        status = _("%(status)s, submitted late") % {"status": status}
    else:
        level = "ok" if plan.status == WorkPlanStatus.ACCEPTED else "info"
    note = _("Deadline: %(deadline)s.") % {"deadline": plan.due_on.isoformat()}
    if plan.status == WorkPlanStatus.RETURNED and plan.return_reason:
        note = _("Returned: %(reason)s") % {"reason": plan.return_reason}
    return HomeItem(
        label=_("Our work plan"),
        url=reverse("admin:pairings_workplan_change", args=[plan.pk]),
        level=level,
        status=status,
        note=note,
    )


def _school_items(user: Any, cycle: Cycle, today: datetime.date) -> list[HomeItem]:
    scope = scope_of(user)
    live = Pairing.objects.for_user(user).filter(cycle=cycle).live()
    active = live.filter(status=PairingStatus.ACTIVE)
    # What the school can do itself: upload the signed scan of a recorded agreement. Recording the agreement (its
    # date, signatories and plan) is the county bureau's, so a missing one is shown as waiting for the bureau.
    to_scan = active.filter(agreement__isnull=False, agreement__scan="").count()
    not_recorded = active.filter(Q(agreement__isnull=True) | Q(agreement__signed_on__isnull=True)).count()
    pairings_url = f"{reverse('admin:pairings_pairing_changelist')}?cycle__id__exact={cycle.pk}"
    late = today > cycle.agreement_deadline
    items = [
        HomeItem(label=_("Our pairings"), url=pairings_url, count=live.count()),
        HomeItem(
            label=_("Agreements waiting for our signed scan"),
            url=reverse("admin:pairings_agreement_changelist"),
            count=to_scan,
            level=("danger" if late else "warning") if to_scan else "ok",
            note=_("Open the agreement and upload the scan of the signed agreement."),
        ),
        HomeItem(
            label=_("Agreements the county bureau has not yet recorded as signed"),
            url=pairings_url,
            count=not_recorded,
            level=("danger" if late else "warning") if not_recorded else "ok",
            note=_("The county bureau records each agreement; deadline: %(deadline)s.")
            % {"deadline": cycle.agreement_deadline.isoformat()},
        ),
    ]
    plan = WorkPlan.objects.filter(cycle=cycle, school_id=scope.school_id).first()
    if plan is not None:
        items.append(_work_plan_item(plan, today))
    return items
