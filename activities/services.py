"""Write paths for staff and activities: who may record, change, confirm or reject what, and when (R17–R24).
Admin, imports, commands and the demo generator all come through here."""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from liuzhou_pairing.access import (
    BATCH_SIZE,
    NotAllowed,
    full_clean,
    require,
    require_may_change,
    save_checked,
    save_checked_many,
    stored_for_update,
)
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.scope import scope_of
from pairings.choices import TIERS_BY_STAGE, PairingStatus
from pairings.models import Pairing, Semester
from schools.models import School

from .choices import FOCUS_BY_STAGE, Confirmation, EnteredBy, Kind, NormCounts, Post
from .models import Activity, DifficultyHelp, Norm, Staff

STAFF_FIELDS = ("school", "name", "post", "phone", "is_active")
ACTIVITY_FIELDS = (
    "pairing", "date", "form", "measure", "focus", "kind", "participants", "teachers_reached", "students_reached",
    "description", "donation_items", "donation_quantity", "donation_value",
)  # fmt: skip
DIFFICULTY_HELP_FIELDS = ("child_kind", "children", "help_kind")


def _bureau(scope: Any) -> bool:
    """Return whether `scope` is the city bureau's or a county bureau's (which may act after the window)."""
    return scope.city or (scope.writes and bool(scope.county_id))


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


# --- Staff -------------------------------------------------------------------------------------------------


def staff_editable_fields(actor: Any) -> set[str]:
    """Return the fields of a staff member `actor` may set: all for the bureaus and the school itself."""
    return set(STAFF_FIELDS) if scope_of(actor).writes else set()


@transaction.atomic
def staff_save(*, staff: Staff, actor: Any, reason: str = "", expected_version: int | None = None) -> Staff:
    """Save a new or changed staff member: a school keeps its own, a county bureau its schools', the city all."""
    scope = scope_of(actor)
    require(scope.writes, _("You may not record staff."))
    stored = None
    if staff.pk:
        require_may_change(staff, actor)
        stored = stored_for_update(staff, expected_version)
    _require_may_record_staff(actor, [staff], new=stored is None)
    return save_checked(staff, actor=actor, stored=stored, reason=reason)


def _require_may_record_staff(actor: Any, staff: list[Staff], *, new: bool) -> None:
    """A school keeps its own staff, a county bureau its schools', the city all. A new staff member may also be of
    a school paired with one of the actor's (named on a secondment or an on-site guidance before that school
    registered them); changing one stays with its own school or county. A fixed number of queries."""
    scope = scope_of(actor)
    require(scope.writes, _("You may not record staff."))
    if scope.city:
        return
    ids = {m.school_id for m in staff}
    if scope.school_id:
        own = {scope.school_id}
        message = (
            _("A school records only its own staff and, when new, those of its partner schools.")
            if new
            else _("A school changes only its own staff.")
        )
    else:
        own = set(School.objects.filter(pk__in=ids, county_id=scope.county_id).values_list("pk", flat=True))
        message = (
            _("A county bureau records only the staff of its own schools and, when new, of their partners.")
            if new
            else _("A county bureau changes only the staff of its own schools.")
        )
    strangers = ids - own
    if not strangers:
        return
    require(new, message)
    pairings = Pairing.objects.for_user(actor)
    partners = set(
        School.objects.filter(pk__in=strangers)
        .filter(Q(pk__in=pairings.values("helper_id")) | Q(pk__in=pairings.values("recipient_id")))
        .values_list("pk", flat=True)
    )
    require(strangers <= partners, message)


# --- Activities --------------------------------------------------------------------------------------------


def activity_editable_fields(actor: Any, activity: Activity | None = None) -> set[str]:
    """Return the fields of an activity `actor` may set: the bureaus and the schools of a pairing all of them;
    the pairing stays once the activity is recorded."""
    if not scope_of(actor).writes:
        return set()
    fields = set(ACTIVITY_FIELDS)
    if activity is not None and activity.pk:
        fields.discard("pairing")
    return fields


def _side_of(actor: Any, pairing: Pairing) -> str:
    """Return who `actor` records as for `pairing` (EnteredBy); refuse anyone outside the pairing's area."""
    scope = scope_of(actor)
    if scope.city:
        return EnteredBy.CITY
    if scope.writes and scope.county_id:
        require(
            scope.county_id in (pairing.helper.county_id, pairing.recipient.county_id),
            _("A county bureau records the activities of pairings with a school of its own only."),
        )
        return EnteredBy.COUNTY
    if scope.writes and scope.school_id:
        if scope.school_id == pairing.helper_id:
            return EnteredBy.HELPER
        if scope.school_id == pairing.recipient_id:
            return EnteredBy.RECIPIENT
        raise NotAllowed(_("A school records the activities of its own pairings only."))
    raise NotAllowed(_("You may not record activities."))


def semester_of(pairing: Pairing, date: datetime.date) -> Semester:
    """Return the semester of `pairing`'s cycle that holds `date`; refuse a date outside them, or one on which the
    pairing was not active."""
    semester = Semester.objects.filter(cycle_id=pairing.cycle_id, starts_on__lte=date, ends_on__gte=date).first()
    if semester is None:
        raise ValidationError({"date": _("This date lies in no semester of the pairing's cycle.")})
    active = (
        pairing.status != PairingStatus.PROPOSED
        and pairing.starts_on <= date
        and (pairing.ended_on is None or pairing.ended_on >= date)
    )
    if not active:
        raise ValidationError({"date": _("The pairing was not active on this date.")})
    return semester


def _require_window(actor: Any, semester: Semester, today: datetime.date, reason: str) -> None:
    """Schools record a semester's work until its entries close; after that only the bureaus, with a reason."""
    if today <= semester.entry_closes_on:
        return
    scope = scope_of(actor)
    require(
        _bureau(scope),
        _("Entries for %(semester)s closed on %(date)s; ask the county bureau to record or change them.")
        % {"semester": semester.label, "date": semester.entry_closes_on},
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Entries for this semester have closed: give the reason for the change.")})


def _check_participants(activity: Activity, participants: list[Staff]) -> None:
    schools = {activity.pairing.helper_id, activity.pairing.recipient_id}
    strangers = [p.name for p in participants if p.school_id not in schools]
    if strangers:
        raise ValidationError(
            {
                "participants": _("Not staff of the two schools of this pairing: %(names)s.")
                % {"names": "、".join(strangers)}
            }
        )


def _check_duplicate(activity: Activity, participants: list[Staff]) -> None:
    """The same activity (same pairing, date, kind and participants) is recorded once, so it counts once."""
    wanted = {p.pk for p in participants}
    others = (
        Activity.objects.filter(pairing_id=activity.pairing_id, date=activity.date, kind=activity.kind)
        .exclude(status=Confirmation.REJECTED)
        .exclude(pk=activity.pk)
        .prefetch_related("participants")
    )
    for other in others:
        if {p.pk for p in other.participants.all()} == wanted:
            raise ValidationError(_("This activity is already recorded: same pairing, date, kind and participants."))


def _require_may_edit(stored: Activity, actor: Any, today: datetime.date, reason: str) -> None:
    """Refuse `actor` a change to the recorded activity `stored` (or to its rows of children helped): a school
    changes what its own side entered, not yet confirmed, while entries are open; a confirmed activity is changed
    only by a bureau, with a reason."""
    scope = scope_of(actor)
    require(
        Activity.objects.in_area_of(actor).filter(pk=stored.pk).exists(),
        _("You may not change this record: it is outside your area of responsibility."),
    )
    if stored.status == Confirmation.CONFIRMED:
        require(
            _bureau(scope),
            _("A confirmed activity is changed only by the county or city bureau."),
        )
        if not reason.strip():
            raise ValidationError({"reason": _("Give the reason for changing a confirmed activity.")})
    require(
        _bureau(scope) or stored.entered_by == _side_of(actor, stored.pairing),
        _("The partner school recorded this activity; confirm or reject it instead."),
    )
    _require_window(actor, stored.semester, today, reason)


@transaction.atomic
def activity_save(
    *,
    activity: Activity,
    participants: Iterable[Staff] = (),
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Activity:
    """Record a new activity or change one, for `actor`.

    An activity entered by a school waits for the other side (pending); one entered by a county bureau or the city
    is confirmed on entry. A school changes only what its own side entered and is not confirmed yet, while the
    semester's entries are open; a confirmed activity is changed only by a bureau, with a reason."""
    today = _today(today)
    participants = list(participants)
    stored = None
    if activity.pk:
        stored = stored_for_update(activity, expected_version)
        _require_may_edit(stored, actor, today, reason)
        if stored.pairing_id != activity.pairing_id:
            raise ValidationError({"pairing": _("An activity stays with the pairing it was recorded for.")})
    pairing = activity.pairing
    side = _side_of(actor, pairing)
    if activity.date is None:
        raise ValidationError({"date": _("Give the date of the activity.")})
    if activity.date > today:
        raise ValidationError({"date": _("An activity is recorded once it has taken place.")})
    activity.semester = semester_of(pairing, activity.date)
    _require_window(actor, activity.semester, today, reason)
    if activity.focus and activity.focus not in FOCUS_BY_STAGE.get(pairing.stage, ()):
        raise ValidationError({"focus": _("This focus does not belong to the pairing's stage.")})
    _check_participants(activity, participants)
    _check_duplicate(activity, participants)
    history_reason = reason
    if stored is not None:
        if activity.kind != Kind.STUDENTS_IN_DIFFICULTY and stored.difficulty_help.exists():
            raise ValidationError(
                {"kind": _("This activity has rows of children helped; it stays a care for students in difficulty.")}
            )
        history_reason = _with_participant_change(reason, stored, participants)
    if stored is None:
        activity.entered_by = side
        if side in (EnteredBy.COUNTY, EnteredBy.CITY):
            _decide(activity, actor, Confirmation.CONFIRMED)
        else:
            activity.status = Confirmation.PENDING
    elif stored.status == Confirmation.REJECTED and side in (EnteredBy.HELPER, EnteredBy.RECIPIENT):
        # Corrected by the side that entered it: it waits for the partner again.
        activity.status, activity.decided_by, activity.decided_at = Confirmation.PENDING, None, None
        activity.rejection_reason = ""
    save_checked(activity, actor=actor, stored=stored, reason=history_reason)
    activity.participants.set(participants)
    if stored is not None and stored.date != activity.date:
        from .evidence import evidence_follow_date  # evidence builds on these services

        evidence_follow_date(activity=activity, actor=actor, reason=reason)
    # Its rows of children helped, given on the same form, are part of recording it (no reason asked for them).
    activity._recorded_by = actor if stored is None else None
    return activity


def _with_participant_change(reason: str, stored: Activity, participants: list[Staff]) -> str:
    """Return `reason` with the change of participants written after it, so that the history shows who was taken
    off or added (the history keeps the activity's own fields; the participants are a separate table)."""
    before = sorted(stored.participants.values_list("name", flat=True))
    after = sorted(p.name for p in participants)
    if before == after:
        return reason
    note = _("participants changed from %(before)s to %(after)s") % {
        "before": "、".join(before) or _("none"),
        "after": "、".join(after) or _("none"),
    }
    return f"{reason.strip()}；{note}" if reason.strip() else note


def _decide(activity: Activity, actor: Any, status: str, reason: str = "") -> None:
    activity.status = status
    activity.decided_by = actor if actor is not SYSTEM and getattr(actor, "pk", None) else None
    activity.decided_at = timezone.now()
    activity.rejection_reason = reason


def may_decide(activity: Activity, actor: Any, today: datetime.date | None = None) -> bool:
    """Return whether `actor` may confirm or reject the pending `activity`: the other school while entries are
    open, or the county bureau of either side."""
    return Activity.objects.awaiting(actor, today=today).filter(pk=activity.pk).exists()


def _require_decision(
    activity: Activity, actor: Any, expected_version: int | None, today: datetime.date | None, reason: str
) -> Activity:
    """Refuse a decision on `activity` unless it is pending and `actor` may take it: the partner school while the
    semester's entries are open, the county bureau of either school (after the close, with a reason)."""
    stored = stored_for_update(activity, expected_version)
    require(
        stored.status == Confirmation.PENDING,
        _("This activity is no longer awaiting confirmation: it is %(status)s.")
        % {"status": stored.get_status_display()},
    )
    _require_window(actor, stored.semester, _today(today), reason)
    require(
        may_decide(stored, actor, today),
        _("Only the partner school, or the county bureau of either school, confirms or rejects this activity."),
    )
    return stored


@transaction.atomic
def activity_confirm(
    *,
    activity: Activity,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Activity:
    """Confirm the partner's pending activity: from now on it counts. After the semester's entries have closed
    only a county bureau confirms, with a reason."""
    stored = _require_decision(activity, actor, expected_version, today, reason)
    _decide(stored, actor, Confirmation.CONFIRMED)
    said = pgettext("confirmation", "confirmed")
    save_checked(stored, actor=actor, stored=stored, reason=f"{said}：{reason.strip()}" if reason.strip() else said,
                 clean=False)  # fmt: skip
    activity.refresh_from_db()
    return activity


@transaction.atomic
def activity_reject(
    *,
    activity: Activity,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Activity:
    """Reject the partner's pending activity with a reason; the side that entered it may correct it."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for rejecting the activity.")})
    stored = _require_decision(activity, actor, expected_version, today, reason)
    _decide(stored, actor, Confirmation.REJECTED, reason.strip()[:200])
    save_checked(
        stored,
        actor=actor,
        stored=stored,
        reason=f"{pgettext('confirmation', 'rejected')}：{reason.strip()}",
        clean=False,
    )
    activity.refresh_from_db()
    return activity


@transaction.atomic
def difficulty_help_save(
    *,
    help: DifficultyHelp,  # noqa: A002 - the record's name in the plan
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> DifficultyHelp:
    """Save one row of children helped (kind, number, kind of help) of an activity, on the activity's terms."""
    activity = Activity.objects.select_for_update().get(pk=help.activity_id)
    if getattr(help.activity, "_recorded_by", None) is not actor:
        _require_may_edit(activity, actor, _today(today), reason)
    if activity.kind != Kind.STUDENTS_IN_DIFFICULTY:
        raise ValidationError(
            _("Children helped are recorded on an activity of the kind care for students in difficulty only.")
        )
    stored = stored_for_update(help, expected_version) if help.pk else None
    if stored is not None and stored.activity_id != help.activity_id:
        raise ValidationError({"activity": _("A row stays with the activity it was recorded for.")})
    return save_checked(help, actor=actor, stored=stored, reason=reason)


# --- Many at once: the demo generator and large imports ------------------------------------------------------

# Rows written per call of save_checked_many, whose area check names every row's id in one query.
SLICE = 5000


def _slices(rows: list, size: int = SLICE) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@transaction.atomic
def staff_save_many(*, staff: list[Staff], actor: Any, reason: str = "") -> list[Staff]:
    """Record many new staff members at once, on `staff_save`'s terms: each validated, a name once per school
    (within the batch and against the stored staff, read once), written in bulk with their history."""
    scope = scope_of(actor)
    require(scope.writes, _("You may not record staff."))
    if any(member.pk for member in staff):
        raise ValueError("staff_save_many records new staff only; change one through staff_save.")
    _require_may_record_staff(actor, staff, new=True)
    seen: set[tuple[int, str]] = set()
    for member in staff:
        full_clean(member, unique=False)
        key = (member.school_id, member.name)
        if key in seen:
            raise ValidationError(_("This school already has a staff member of this name.") + f"（{member}）")
        seen.add(key)
    for schools in _slices(sorted({m.school_id for m in staff}), 500):
        taken = set(Staff.objects.filter(school_id__in=schools).values_list("school_id", "name"))
        clash = next((m for m in staff if (m.school_id, m.name) in taken), None)
        if clash is not None:
            raise ValidationError(_("This school already has a staff member of this name.") + f"（{clash}）")
    for rows in _slices(staff):
        save_checked_many(rows, actor=actor, reason=reason)
    return staff


class ActivityBatch:
    """Activities checked one at a time and written together, on `activity_save`'s terms: the date taken place and
    within a semester of the pairing's cycle on which the pairing was active, the entry window, the focus of the
    pairing's stage, participants of the two schools, the same activity recorded once. The semesters are read
    once per cycle, and the stored activities of the batch's pairings once when it is saved.

    `add` raises for one activity alone, writing nothing; `save` writes every activity added (one INSERT per
    database batch, with history, participants and rows of children helped) and re-checks the actor's area. Use
    both inside one transaction.

    The system alone (a command, the demo generator) may record activities as they already stand: entered by a
    school, confirmed or rejected by its partner (`entered_by`, `status`); anyone else enters as `activity_save`
    does."""

    def __init__(self, *, actor: Any, today: datetime.date | None = None, reason: str = "") -> None:
        self.actor = actor
        self.today = _today(today)
        self.reason = reason
        self.pending: list[tuple[Activity, list[Staff], list[DifficultyHelp]]] = []
        self._semesters: dict[int, list[Semester]] = {}
        self._keys: set[tuple] = set()

    def __len__(self) -> int:
        return len(self.pending)

    def _semester(self, pairing: Pairing, date: datetime.date) -> Semester:
        if pairing.cycle_id not in self._semesters:
            self._semesters[pairing.cycle_id] = list(Semester.objects.filter(cycle_id=pairing.cycle_id))
        semester = next((s for s in self._semesters[pairing.cycle_id] if s.starts_on <= date <= s.ends_on), None)
        if semester is None:
            raise ValidationError({"date": _("This date lies in no semester of the pairing's cycle.")})
        active = (
            pairing.status != PairingStatus.PROPOSED
            and pairing.starts_on <= date
            and (pairing.ended_on is None or pairing.ended_on >= date)
        )
        if not active:
            raise ValidationError({"date": _("The pairing was not active on this date.")})
        return semester

    def add(
        self,
        activity: Activity,
        participants: Iterable[Staff] = (),
        *,
        helped: Iterable[DifficultyHelp] = (),
        entered_by: str | None = None,
        status: str | None = None,
        rejection_reason: str = "",
    ) -> Activity:
        """Check one new activity (with its participants and rows of children helped) for the batch's actor."""
        if activity.pk:
            raise ValueError("ActivityBatch records new activities only; change one through activity_save.")
        participants, helped = list(participants), list(helped)
        pairing = activity.pairing
        side = _side_of(self.actor, pairing)
        if entered_by is not None or status is not None:
            require(self.actor is SYSTEM, _("Only the system records an activity as already confirmed or rejected."))
        side = entered_by or side
        school_side = side in (EnteredBy.HELPER, EnteredBy.RECIPIENT)
        status = status or (Confirmation.PENDING if school_side else Confirmation.CONFIRMED)
        if not school_side and status != Confirmation.CONFIRMED:
            raise ValidationError(_("An activity entered by a bureau is confirmed on entry."))
        if status == Confirmation.REJECTED and not rejection_reason.strip():
            raise ValidationError({"reason": _("Give the reason for rejecting the activity.")})
        if activity.date is None:
            raise ValidationError({"date": _("Give the date of the activity.")})
        if activity.date > self.today:
            raise ValidationError({"date": _("An activity is recorded once it has taken place.")})
        activity.semester = self._semester(pairing, activity.date)
        _require_window(self.actor, activity.semester, self.today, self.reason)
        if activity.focus and activity.focus not in FOCUS_BY_STAGE.get(pairing.stage, ()):
            raise ValidationError({"focus": _("This focus does not belong to the pairing's stage.")})
        _check_participants(activity, participants)
        if helped and activity.kind != Kind.STUDENTS_IN_DIFFICULTY:
            raise ValidationError(
                _("Children helped are recorded on an activity of the kind care for students in difficulty only.")
            )
        # A participant may be new staff, recorded (by the caller) before `save`: known by school and name till then.
        key = (
            pairing.pk,
            activity.date,
            activity.kind,
            frozenset(p.pk or (p.school_id, p.name) for p in participants),
        )
        if key in self._keys:
            raise ValidationError(_("This activity is already recorded: same pairing, date, kind and participants."))
        activity.entered_by = side
        if status == Confirmation.PENDING:
            activity.status = Confirmation.PENDING
        else:
            _decide(activity, self.actor, status, rejection_reason.strip()[:200])
        full_clean(activity, unique=False)
        if status != Confirmation.REJECTED:
            self._keys.add(key)
        self.pending.append((activity, participants, helped))
        return activity

    def _refuse_stored_duplicates(self, rows: list[tuple[Activity, list[Staff], list[DifficultyHelp]]]) -> None:
        through = Activity.participants.through
        for pairings in _slices(sorted({a.pairing_id for a, _people, _helped in rows}), 500):
            stored = {
                pk: (pairing, date, kind)
                for pk, pairing, date, kind in Activity.objects.filter(pairing_id__in=pairings)
                .exclude(status=Confirmation.REJECTED)
                .values_list("pk", "pairing_id", "date", "kind")
            }
            if not stored:
                continue
            people: dict[int, set[int]] = {pk: set() for pk in stored}
            for activity_id, staff_id in through.objects.filter(activity_id__in=list(stored)).values_list(
                "activity_id", "staff_id"
            ):
                people[activity_id].add(staff_id)
            keys = {(*stored[pk], frozenset(people[pk])) for pk in stored}
            for activity, participants, _helped in rows:
                if (activity.pairing_id, activity.date, activity.kind, frozenset(p.pk for p in participants)) in keys:
                    raise ValidationError(
                        _("This activity is already recorded: same pairing, date, kind and participants.")
                        + f"（{activity}）"
                    )

    def save(self) -> list[Activity]:
        """Write every activity added, with its participants, rows of children helped and history; return them."""
        rows, self.pending, self._keys = self.pending, [], set()
        if not rows:
            return []
        self._refuse_stored_duplicates(rows)
        activities = [activity for activity, _people, _helped in rows]
        for part in _slices(activities):
            save_checked_many(part, actor=self.actor, reason=self.reason)
        through = Activity.participants.through
        links = [through(activity_id=a.pk, staff_id=p.pk) for a, people, _helped in rows for p in people]
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        helped = []
        for activity, _people, helps in rows:
            for help in helps:  # noqa: A001 - the record's name in the plan
                help.activity = activity
                full_clean(help)
                helped.append(help)
        for part in _slices(helped):
            save_checked_many(part, actor=self.actor, reason=self.reason)
        return activities


# --- Participants named in text ------------------------------------------------------------------------------

# How a post is written after a name, in brackets: 李明（骨干）. The Chinese labels of Post are read too.
POST_WORDS = {
    "领导": Post.LEADER, "学校领导": Post.LEADER, "校领导": Post.LEADER,
    "骨干": Post.KEY_STAFF, "骨干教师": Post.KEY_STAFF,
    "教师": Post.TEACHER, "老师": Post.TEACHER,
}  # fmt: skip
NAME_SEPARATORS = re.compile(r"[、，,;；\s]+")
NAMED = re.compile(r"^(?P<name>[^（()）]+)(?:[（(](?P<post>[^（()）]*)[）)])?$")


@dataclass
class NamedStaff:
    """The staff a text names, in its order: those found in the school's registry and those new to it (created,
    or in a preview only described and left unsaved)."""

    staff: list[Staff] = field(default_factory=list)
    new: list[Staff] = field(default_factory=list)

    @property
    def new_names(self) -> list[str]:
        return [s.name for s in self.new]


def _post_of(word: str, name: str) -> str:
    word = word.strip()
    if not word:
        return Post.TEACHER
    if word in POST_WORDS:
        return POST_WORDS[word]
    for post in Post:
        with translation.override("zh-hans"):
            if word == str(post.label):
                return post.value
    raise ValidationError(
        _("Unknown post “%(post)s” after %(name)s: write 领导, 骨干 or 教师 in the brackets, or nothing.")
        % {"post": word, "name": name}
    )


def parse_names(text: str) -> list[tuple[str, str]]:
    """Return (name, post) for each person `text` names, in order and once each: "李明、王芳（骨干）、张校长（领导）";
    names are separated by 、 ， , ; ； or spaces, a post is written in full-width or ASCII brackets (teacher when
    none is given). Raise ValidationError naming what cannot be read."""
    text = re.sub(r"\s*([（(）)])\s*", r"\1", text or "").strip()
    people: dict[str, str] = {}
    for token in NAME_SEPARATORS.split(text):
        if not token:
            continue
        match = NAMED.match(token)
        if match is None:
            raise ValidationError(
                _("Cannot read “%(text)s”: write a name, then its post in brackets if you like, as 王芳（骨干）.")
                % {"text": token}
            )
        name = match["name"].strip()
        if len(name) > Staff._meta.get_field("name").max_length:
            raise ValidationError(_("“%(name)s” is too long for a name.") % {"name": name})
        people.setdefault(name, _post_of(match["post"] or "", name))
    return list(people.items())


def staff_from_names(
    text: str,
    school: School,
    *,
    actor: Any,
    preview: bool = False,
    known: dict[str, Staff] | None = None,
) -> NamedStaff:
    """Return the staff of `school` that `text` names (see parse_names), creating through `staff_save`, for
    `actor`, those not in its registry yet. With `preview`, nothing is created: the new ones are returned unsaved.
    `known` (name → staff of the school), when given, is used instead of reading the registry, and gets the staff
    created."""
    people = parse_names(text)
    if known is None:
        known = {s.name: s for s in Staff.objects.filter(school=school, name__in=[n for n, _post in people])}
    named = NamedStaff()
    for name, post in people:
        staff = known.get(name)
        if staff is None:
            staff = Staff(school=school, name=name, post=post)
            if not preview:
                staff = staff_save(staff=staff, actor=actor)
                known[name] = staff
            named.new.append(staff)
        named.staff.append(staff)
    return named


# --- Norms -------------------------------------------------------------------------------------------------

NORM_FIELDS = ("cycle", "kind", "stage", "tier", "counts", "side", "key_staff_only", "required")


@transaction.atomic
def norm_save(*, norm: Norm, actor: Any, reason: str = "", expected_version: int | None = None) -> Norm:
    """Save a new or changed norm: the city bureau only. Changing a norm changes how every pairing of its cycle is
    judged, so a change needs a reason, kept in the history."""
    require(scope_of(actor).city, _("Only the city bureau sets the norms."))
    stored = None
    if norm.pk:
        stored = stored_for_update(norm, expected_version)
        if not reason.strip():
            raise ValidationError({"reason": _("Give the reason for changing the norm.")})
    if norm.stage and norm.tier and norm.tier not in TIERS_BY_STAGE.get(norm.stage, ()):
        raise ValidationError({"tier": _("This stage is not paired at this tier.")})
    if norm.counts == NormCounts.TIMES and norm.key_staff_only:
        raise ValidationError(
            {"key_staff_only": _("A norm of times counts activities, not people: leave this unticked.")}
        )
    return save_checked(norm, actor=actor, stored=stored, reason=reason)
