"""The compliance figures of each semester for the whole region, kept (`ComplianceFigures`) so that the semester
report, its trend and the home pages need not judge every pairing against millions of activities on each view.

At region scale (30,000 pairings, 2.3 million activities) counting one semester takes about a second and a report's
trend counts every semester of the cycle; kept, a view reads one row per semester.

How the kept figures stay true:
- After each committed write that could change a semester's figures, its `changes` is raised (`figures_changed`):
  an activity (its semester, before and after), its participants; for every semester, a pairing's dates, status,
  schools, stage or tier, a school's county, a staff member's school or post, a norm, a semester's dates. The
  receivers below catch single saves (post_save, post_delete, m2m_changed) and `save_checked_many`'s bulk writes
  (`saved_many`); the demo's bulk COPY says so itself.
- The figures are counted again when they were counted at another `changes`, or more than `MAX_AGE` ago (a last
  guard against a write that raised nothing). They are counted on the primary database, never a lagging replica.
- The raise waits for the commit, so no writer holds the row while its transaction runs; a transaction that has
  written and not yet committed reads its own semesters' figures live (its writes are not in the kept ones).
- Kept figures are the whole region's, per (recipient's county, helper's county, stage); a user's figures are those
  keys their scope sees — the region and city all, a county those with its school on either side, as
  `Pairing.objects.for_user` does. A school (or any other scope) is counted live. Tests compare both with
  `compliance_tally`.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.utils import timezone

from liuzhou_pairing.access import saved_many
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.db_router import reading_primary
from liuzhou_pairing.scope import scope_of
from pairings.models import Pairing, Semester
from schools.models import County, School

from .models import Activity, ComplianceFigures, Norm, Staff
from .selectors import Tally, compliance_tally

MAX_AGE = datetime.timedelta(hours=1)
EVERY = None  # every semester

# --- Raising the change counts -----------------------------------------------------------------------------------


class _Raise:
    """The raise one transaction owes: its semesters (EVERY for all), done once when it commits."""

    def __init__(self) -> None:
        self.semesters: set[int] | None = set()
        self.done = False

    def add(self, semesters: Iterable[int | None] | None) -> None:
        if semesters is EVERY or self.semesters is EVERY:
            self.semesters = EVERY
        else:
            self.semesters.update(s for s in semesters if s is not None)

    def __call__(self) -> None:
        self.done = True
        kept = ComplianceFigures.objects.using(DEFAULT_DB_ALIAS)
        if self.semesters is not EVERY:
            if not self.semesters:
                return
            kept = kept.filter(semester_id__in=self.semesters)
        kept.update(changes=F("changes") + 1)


def _owed() -> _Raise | None:
    """The raise the current transaction owes, if any (registered with `on_commit`)."""
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    for _savepoints, callback, _robust in getattr(connection, "run_on_commit", ()):
        if isinstance(callback, _Raise) and not callback.done:
            return callback
    return None


def figures_changed(semesters: Iterable[int | None] | None = EVERY) -> None:
    """Raise the change count of the figures of `semesters` (ids; every semester when not given) once the current
    transaction commits (at once outside one)."""
    owed = _owed() if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block else None
    if owed is not None:
        owed.add(semesters)
        return
    owed = _Raise()
    owed.add(semesters)
    transaction.on_commit(owed, using=DEFAULT_DB_ALIAS)


# What each model's figures depend on: a change of one of these fields changes the figures of every semester.
WATCHED: dict[type, tuple[str, ...]] = {
    Pairing: ("cycle_id", "helper_id", "recipient_id", "stage", "tier", "status", "starts_on", "ended_on"),
    School: ("county_id",),
    Staff: ("school_id", "post"),
    Semester: ("cycle_id", "starts_on", "ends_on"),
}


def _loaded(sender: type, instance: Any, **kwargs: Any) -> None:
    """Remember, as read from the database, what the figures depend on (`__dict__`: a deferred field is not read)."""
    if instance.pk is not None and (sender is Activity or sender in WATCHED):
        fields = ("semester_id",) if sender is Activity else WATCHED[sender]
        instance._figures_loaded = {f: instance.__dict__.get(f) for f in fields}


def _semesters_of(activities: Iterable[Activity]) -> set[int | None]:
    semesters: set[int | None] = set()
    for activity in activities:
        semesters.add(activity.semester_id)
        semesters.add(getattr(activity, "_figures_loaded", {}).get("semester_id"))
    return semesters


def _changes_all(instance: Any, created: bool) -> bool:
    """Whether saving `instance` (not an activity) changes the figures of every semester."""
    sender = type(instance)
    if sender is Norm:
        return True
    if created:
        return sender is Pairing  # a new school, staff member or semester is in no figures yet
    loaded = getattr(instance, "_figures_loaded", None)
    return loaded is None or any(loaded[f] != instance.__dict__.get(f) for f in WATCHED[sender])


def _saved(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if sender is Activity:
        figures_changed(_semesters_of([instance]))
    elif _changes_all(instance, created):
        figures_changed(EVERY)
    _loaded(sender, instance)  # a later save compares with what this one wrote


def _saved_many(sender: type, new: list, changed: list, **kwargs: Any) -> None:
    if sender is Activity:
        figures_changed(_semesters_of([*new, *changed]))
    elif any(_changes_all(i, created=True) for i in new) or any(_changes_all(i, created=False) for i in changed):
        figures_changed(EVERY)
    for instance in [*new, *changed]:
        _loaded(sender, instance)


def _deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender is Activity:
        figures_changed(_semesters_of([instance]))
    elif sender is not Semester:  # a semester's figures go with it
        figures_changed(EVERY)


def _participants_changed(instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        figures_changed(EVERY if reverse else _semesters_of([instance]))


def connect() -> None:
    """Connect the receivers (ActivitiesConfig.ready)."""
    for model in (Activity, Pairing, School, Staff, Semester, Norm):
        if model is not Norm:
            post_init.connect(_loaded, sender=model, dispatch_uid=f"figures_loaded_{model.__name__}")
        post_save.connect(_saved, sender=model, dispatch_uid=f"figures_saved_{model.__name__}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"figures_deleted_{model.__name__}")
        saved_many.connect(_saved_many, sender=model, dispatch_uid=f"figures_saved_many_{model.__name__}")
    m2m_changed.connect(
        _participants_changed, sender=Activity.participants.through, dispatch_uid="figures_participants"
    )


# --- Reading the figures -----------------------------------------------------------------------------------------


def _encode(tallies: dict[tuple, Tally]) -> list:
    return [[*key, t.pairings, t.compliant, t.silent, t.short] for key, t in tallies.items()]


def _decode(rows: list) -> dict[tuple, Tally]:
    return {
        (county, helper, stage): Tally(pairings=n, compliant=compliant, silent=silent, short=dict(short))
        for county, helper, stage, n, compliant, silent, short in rows
    }


def region_figures(semesters: list[Semester]) -> dict[int, dict[tuple, Tally]]:
    """The whole region's figures of each of `semesters`, by (recipient's county, helper's county, stage): kept
    ones where they are current, the others counted (`compliance_tally`) and kept. One query when all are
    current."""
    owed = _owed()
    live = {s.pk for s in semesters} if owed is not None and owed.semesters is EVERY else set()
    if owed is not None and owed.semesters is not EVERY:
        live = {s.pk for s in semesters if s.pk in owed.semesters}
    result: dict[int, dict[tuple, Tally]] = {}
    with reading_primary():
        kept = ComplianceFigures.objects.using(DEFAULT_DB_ALIAS)
        wanted = [s for s in semesters if s.pk not in live]
        rows = kept.in_bulk([s.pk for s in wanted]) if wanted else {}
        missing = [s for s in wanted if s.pk not in rows]
        if missing:
            kept.bulk_create([ComplianceFigures(semester=s) for s in missing], ignore_conflicts=True)
            rows.update(kept.in_bulk([s.pk for s in missing]))
        oldest = timezone.now() - MAX_AGE
        stale = [
            s
            for s in wanted
            if rows[s.pk].counted_changes != rows[s.pk].changes
            or rows[s.pk].counted_at is None
            or rows[s.pk].counted_at < oldest
        ]
        for s in wanted:
            if s not in stale:
                result[s.pk] = _decode(rows[s.pk].figures)
        to_count = [s for s in semesters if s.pk in live or s in stale]
        counted = compliance_tally(user=SYSTEM, semesters=to_count, by_helper=True) if to_count else {}
        now = timezone.now()
        for s in to_count:
            result[s.pk] = counted[s.pk]
            if s.pk not in live:  # kept as counted at the change count read before counting
                kept.filter(pk=s.pk).update(
                    figures=_encode(counted[s.pk]), counted_changes=rows[s.pk].changes, counted_at=now
                )
    return result


def compliance_figures(
    *, user: Any, semesters: list[Semester], county: County | int | None = None
) -> dict[int, dict[tuple[int | None, str], Tally]]:
    """What `compliance_tally(user=user, semesters=semesters, county=county)` returns, from the region's kept
    figures (`region_figures`) narrowed to what `user` sees; counted live for a school's user."""
    scope = scope_of(user)
    if not scope.everything and not scope.county_id:
        return compliance_tally(user=user, semesters=semesters, county=county)
    county_id = county.pk if isinstance(county, County) else county
    result: dict[int, dict[tuple[int | None, str], Tally]] = {}
    for semester_id, tallies in region_figures(list(semesters)).items():
        seen: dict[tuple[int | None, str], Tally] = {}
        for (recipient_county, helper_county, stage), tally in tallies.items():
            if county_id is not None and recipient_county != county_id:
                continue
            if not scope.everything and scope.county_id not in (recipient_county, helper_county):
                continue
            seen.setdefault((recipient_county, stage), Tally()).add(tally)
        result[semester_id] = seen
    return result
