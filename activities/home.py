"""What awaits each role on the home page from the activities: a school its semester's norms per pairing and the
partner's activities awaiting its confirmation; a county bureau and the city the share of compliant pairings
(registered in ActivitiesConfig.ready())."""

import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from liuzhou_pairing.home import HomeItem, county_display_name
from liuzhou_pairing.scope import scope_of
from pairings.models import Semester
from pairings.selectors import current_semester
from schools.models import County

from .figures import compliance_figures
from .models import Activity
from .selectors import ComplianceRow, Tally, compliance


def compliance_home_items(*, user: Any, today: datetime.date) -> list[HomeItem]:
    """Return a school's norms per pairing for the current semester and the activities awaiting its confirmation;
    a county bureau's and the city's share of compliant pairings in the current semester."""
    scope = scope_of(user)
    if not scope.writes:
        return []
    semester = current_semester(today=today)
    if scope.school_id:
        items = [_awaiting_item(user)]
        if semester is not None:
            rows = compliance(user=user, semester=semester)
            rows.sort(key=lambda row: row.compliant)  # the pairings short of a norm first
            items += [_pairing_item(row, scope.school_id, semester, today) for row in rows]
        return items
    items = [] if scope.city else [_county_awaiting_item(user)]
    if semester is not None:
        items.append(_share_item(user, semester, per_county=scope.city))
    return items


def _activities_url(**params: Any) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{reverse('admin:activities_activity_changelist')}?{query}"


def _pairing_item(row: ComplianceRow, school_id: int, semester: Semester, today: datetime.date) -> HomeItem:
    """One pairing of the school: each norm's count against its requirement (送教 1/2)."""
    if row.helper.pk == school_id:
        label = _("Norms this semester: helping %(school)s") % {"school": row.recipient.name}
    elif row.recipient.pk == school_id:
        label = _("Norms this semester: helped by %(school)s") % {"school": row.helper.name}
    else:
        label = _("Norms this semester: %(helper)s helping %(recipient)s") % {
            "helper": row.helper.name,
            "recipient": row.recipient.name,
        }
    if row.compliant:
        level, status = "ok", _("all met")
    elif row.silent:
        level = "danger" if today > semester.entry_closes_on else "warning"
        status = _("no confirmed activity this semester")
    else:
        missing = sum(not norm.met for norm in row.norms.values())
        level = "danger" if today > semester.entry_closes_on else "warning"
        status = _("%(missing)s of %(total)s not met") % {"missing": missing, "total": len(row.norms)}
    return HomeItem(
        label=label,
        url=_activities_url(pairing__id__exact=row.pairing.pk, semester__id__exact=semester.pk),
        level=level,
        status=status,
        note=_("%(semester)s; only confirmed activities count.") % {"semester": semester.label},
        details=[(norm.label, f"{norm.count}/{norm.required}") for norm in row.norms.values()],
    )


def _awaiting_item(user: Any) -> HomeItem:
    count = Activity.objects.awaiting(user).count()
    return HomeItem(
        label=_("Partner's activities awaiting our confirmation"),
        url=_activities_url(awaiting="me"),
        count=count,
        level="warning" if count else "ok",
        note=_("Confirm them, or reject them with a reason: only confirmed activities count."),
    )


def _county_awaiting_item(user: Any) -> HomeItem:
    """A county bureau may confirm or reject in a school's place: the schools' activities still awaiting that."""
    count = Activity.objects.awaiting(user).count()
    return HomeItem(
        label=_("Schools' activities awaiting confirmation"),
        url=_activities_url(awaiting="me"),
        count=count,
        level="warning" if count else "ok",
        note=_("The partner school confirms them; the bureau may confirm or reject in its place."),
    )


def _share_item(user: Any, semester: Semester, *, per_county: bool) -> HomeItem:
    """The share of the pairings in the user's area that meet every norm of the semester, counted in the database
    (`compliance_tally`: a few queries however many pairings; the city's home at region scale read every pairing)."""
    tally = compliance_figures(user=user, semesters=[semester])[semester.pk]
    by_county: dict[int | None, Tally] = {}
    for (county_id, _stage), figures in tally.items():
        by_county.setdefault(county_id, Tally()).add(figures)
    total = sum(t.pairings for t in by_county.values())
    met = sum(t.compliant for t in by_county.values())
    silent = sum(t.silent for t in by_county.values())
    details: list[tuple[str, str]] = []
    if per_county:
        counties = County.objects.in_bulk([pk for pk in by_county if pk is not None])
        order = {pk: (False, county.code) for pk, county in counties.items()}
        named = sorted(by_county.items(), key=lambda item: order.get(item[0], (True, "")))  # 局属 last
        details = [
            (county_display_name(counties.get(pk)), f"{figures.compliant}/{figures.pairings}") for pk, figures in named
        ]
    share = f"{met / total:.0%}" if total else "—"
    return HomeItem(
        label=_("Pairings meeting this semester's norms"),
        url=_activities_url(semester__id__exact=semester.pk),
        level="ok" if met == total else "warning",
        status=_("%(met)s of %(total)s (%(share)s)") % {"met": met, "total": total, "share": share},
        note=_("%(semester)s; pairings with no confirmed activity: %(silent)s.")
        % {"semester": semester.label, "silent": silent},
        details=details,
    )
