"""generate_demo records demo staff and activities in every state, the same for the same seed, keeps the latest
semester's entries open, and replaces only its own records; the batch services it writes through apply
activity_save's rules."""

import datetime
import io
import os
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from activities import demo
from activities.choices import Confirmation, EnteredBy, EvidenceKind, Focus, Form, Kind, PhotoDate, Post
from activities.demo import NORMS
from activities.models import Activity, DifficultyHelp, Evidence, Staff
from activities.services import ActivityBatch, activity_save, staff_save, staff_save_many
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Measure
from pairings.models import Pairing, Semester

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def fingerprint() -> list[tuple]:
    people = defaultdict(list)
    for activity_id, name in Activity.participants.through.objects.values_list("activity_id", "staff__name"):
        people[activity_id].append(name)
    rows = Activity.objects.filter(is_demo=True).values_list(
        "pk", "pairing__helper__name", "pairing__recipient__name", "pairing__stage", "date", "kind", "status",
        "entered_by", "focus", "rejection_reason",
    )  # fmt: skip
    files = defaultdict(list)
    for activity_id, name, photo_date in Evidence.objects.values_list("activity_id", "original_name", "photo_date"):
        files[activity_id].append((name, photo_date))
    return sorted((*row[1:], tuple(sorted(people[row[0]])), tuple(sorted(files[row[0]]))) for row in rows)


def norms_met(semester: Semester) -> tuple[int, int, int]:
    """Return how many active pairings meet every norm in `semester`, fall short, and are silent (no confirmed
    activity), counting as the norms do: distinct people for the first three, times for the last two."""
    people, times = defaultdict(set), Counter()
    counted = Activity.objects.filter(semester=semester, status=Confirmation.CONFIRMED)
    for pairing_id, kind, staff_id in counted.values_list("pairing_id", "kind", "participants"):
        people[pairing_id, kind].add(staff_id)
    for pairing_id, kind in counted.values_list("pairing_id", "kind"):
        times[pairing_id, kind] += 1
    met = short = silent = 0
    pairings = Pairing.objects.filter(cycle=semester.cycle).order_by("helper__name", "recipient__name", "stage")
    for pairing_id in list(pairings.values_list("pk", flat=True))[:: demo.SAMPLE["liuzhou"]]:
        counts = [len(people[pairing_id, kind]) for kind in NORMS[:3]] + [times[pairing_id, k] for k in NORMS[3:]]
        if not any(times[pairing_id, kind] for kind in Kind.values):
            silent += 1
        elif min(counts) >= 2:
            met += 1
        else:
            short += 1
    return met, short, silent


def test_generate_demo_records_every_state_reproducibly_keeps_entries_open_and_replaces_only_its_own():
    call_command("load_liuzhou", stdout=io.StringIO())
    real_pairing = Pairing.objects.filter(helper__is_demo=False, recipient__is_demo=False).first()
    real_staff = staff_save(staff=Staff(school=real_pairing.helper, name="真实老师", post=Post.TEACHER), actor=SYSTEM)
    semester = Semester.objects.filter(cycle=real_pairing.cycle).order_by("starts_on").first()
    real = activity_save(
        activity=Activity(
            pairing=real_pairing, date=semester.starts_on + datetime.timedelta(days=10), form=Form.LECTURE,
            measure=Measure.MANAGEMENT, kind=Kind.OTHER, description="真实记录",
        ),
        participants=[real_staff], actor=SYSTEM, reason="补录",
    )  # fmt: skip

    output = io.StringIO()
    call_command("generate_demo", seed=5, stdout=output)
    latest = Semester.objects.filter(cycle=real_pairing.cycle).order_by("starts_on").last()
    today = timezone.localdate()
    # The cycle lies in the past: its last semester's entries are kept open, and the output says so.
    assert latest.entry_closes_on > today
    assert f"entries for {latest.token} kept open until {latest.entry_closes_on}" in output.getvalue()

    made = Activity.objects.filter(is_demo=True)
    assert set(made.values_list("status", flat=True)) == set(Confirmation.values)
    assert not made.filter(status=Confirmation.REJECTED, rejection_reason="").exists()
    assert set(made.values_list("entered_by", flat=True)) == {EnteredBy.HELPER, EnteredBy.RECIPIENT, EnteredBy.COUNTY}
    assert set(Kind.values) - {Kind.OTHER} <= set(made.values_list("kind", flat=True))
    assert not made.filter(kind=Kind.DONATION, donation_items="").exists()
    assert (
        DifficultyHelp.objects.filter(activity__kind=Kind.STUDENTS_IN_DIFFICULTY).count()
        >= made.filter(kind=Kind.STUDENTS_IN_DIFFICULTY).count()
    )
    assert not Staff.objects.filter(school__is_demo=True, is_demo=False).exists()
    assert set(Activity.history.filter(is_demo=True).values_list("history_change_reason", flat=True)) == {
        "演示数据：生成的帮扶活动"
    }
    # Most pairings meet every norm in each semester; some fall short, some are silent.
    for semester in {a.semester for a in made.select_related("semester").order_by("semester")[:1]} | {latest}:
        met, short, silent = norms_met(semester)
        assert met > 2 * (short + silent) and short > 0 and silent > 0, (semester, met, short, silent)
    # Work awaits the schools' confirmation in the latest semester only, and a school can still record there.
    assert set(made.filter(status=Confirmation.PENDING).values_list("semester", flat=True)) == {latest.pk}
    pairing = Pairing.objects.filter(helper__is_demo=True, activities__semester=latest).first()
    from accounts.services import user_create

    school_user, _ = user_create(actor=SYSTEM, username="demo_helper", role="school", school=pairing.helper)
    logged = activity_save(
        activity=Activity(
            pairing=pairing, date=latest.ends_on, form=Form.LECTURE, measure=Measure.MANAGEMENT, kind=Kind.OTHER
        ),
        actor=school_user,
    )
    assert logged.status == Confirmation.PENDING and not logged.is_demo

    # Evidence through the evidence service, so that every flag shows: near, far and undated photos, PDFs, reuse.
    evidence = Evidence.objects.filter(activity__is_demo=True)
    assert {PhotoDate.NEAR, PhotoDate.FAR, PhotoDate.UNDATED, PhotoDate.NOT_A_PHOTO} == set(
        evidence.values_list("photo_date", flat=True)
    )
    assert {EvidenceKind.PHOTO, EvidenceKind.PDF} == set(evidence.values_list("kind", flat=True))
    reused = Counter(evidence.values_list("sha256", flat=True))
    assert 0 < sum(n >= 2 for n in reused.values()) <= 6  # a few files reused, not every PDF
    files = [e.file.path for e in evidence]
    assert all(os.path.exists(path) for path in files)

    first = fingerprint()
    call_command("generate_demo", seed=5, stdout=io.StringIO())
    # Same seed, same records; the earlier run's records (the school's on a demo pairing too) are gone, with history.
    assert fingerprint() == first
    assert not Activity.objects.filter(pk=logged.pk).exists()
    assert not any(os.path.exists(path) for path in files)  # the earlier run's evidence files are gone
    assert Evidence.objects.count() == len(files)
    assert not Activity.history.filter(id=logged.pk).exists()
    assert Activity.history.filter(is_demo=True).count() == Activity.objects.filter(is_demo=True).count()
    assert Staff.history.filter(is_demo=True).count() == Staff.objects.filter(is_demo=True).count()
    # The real activity and staff member are untouched.
    real.refresh_from_db()
    assert list(real.participants.all()) == [real_staff] and real.version == 1
    assert Activity.history.filter(id=real.pk).count() == 1 and Staff.objects.filter(pk=real_staff.pk).exists()


# --- The batch services -----------------------------------------------------------------------------------


def new_activity(acts, **fields) -> Activity:
    values = {
        "pairing": acts.pairing, "date": datetime.date(2016, 10, 10), "form": Form.TEACHING_DELIVERY,
        "measure": Measure.TEACHER_DEVELOPMENT, "kind": Kind.TEACHING_DELIVERY, "teachers_reached": 5,
    }  # fmt: skip
    values.update(fields)
    return Activity(**values)


def test_activity_batch_applies_activity_save_rules(acts):
    batch = ActivityBatch(actor=acts.users["helper"], today=TODAY)
    with pytest.raises(ValidationError, match="不是结对双方学校的教职工"):
        batch.add(new_activity(acts), [acts.other_staff])
    with pytest.raises(ValidationError):
        batch.add(new_activity(acts, date=TODAY + datetime.timedelta(days=1)), [acts.helper_teacher])
    with pytest.raises(ValidationError):
        batch.add(new_activity(acts, focus=Focus.CARE_QUALITY), [acts.helper_teacher])
    # A school enters as activity_save lets it: pending, and never as already confirmed.
    with pytest.raises(NotAllowed):
        batch.add(new_activity(acts), [acts.helper_teacher], status=Confirmation.CONFIRMED)
    batch.add(new_activity(acts), [acts.helper_teacher])
    with pytest.raises(ValidationError):  # the same activity twice in one batch
        batch.add(new_activity(acts), [acts.helper_teacher])
    (saved,) = batch.save()
    assert (saved.status, saved.entered_by, saved.version) == (Confirmation.PENDING, EnteredBy.HELPER, 1)
    assert list(saved.participants.all()) == [acts.helper_teacher]
    assert saved.history.count() == 1 and saved.semester.token == "2016-1"
    # Against what is stored: the same activity again is refused when the batch is saved.
    batch = ActivityBatch(actor=acts.users["recipient"], today=TODAY)
    batch.add(new_activity(acts), [acts.helper_teacher])
    with pytest.raises(ValidationError):
        batch.save()
    # After the entry window a school records nothing; the system may, with a reason, as already decided.
    with pytest.raises(NotAllowed):
        ActivityBatch(actor=acts.users["helper"], today=datetime.date(2017, 4, 1)).add(new_activity(acts))
    batch = ActivityBatch(actor=SYSTEM, today=datetime.date(2017, 4, 1), reason="补录")
    batch.add(
        new_activity(acts, kind=Kind.OBSERVATION_VISIT), [acts.recipient_key], entered_by=EnteredBy.RECIPIENT,
        status=Confirmation.REJECTED, rejection_reason="日期有误",
    )  # fmt: skip
    with pytest.raises(ValidationError):  # children helped on an activity of another kind
        batch.add(new_activity(acts), helped=[DifficultyHelp(child_kind="orphan", children=1, help_kind="tutoring")])
    with pytest.raises(ValidationError):  # rejected without a reason
        batch.add(new_activity(acts, kind=Kind.DONATION, donation_items="图书"), status=Confirmation.REJECTED,
                  entered_by=EnteredBy.HELPER)  # fmt: skip
    (rejected,) = batch.save()
    assert (rejected.status, rejected.rejection_reason) == (Confirmation.REJECTED, "日期有误")
    assert rejected.decided_by is None and rejected.entered_by == EnteredBy.RECIPIENT


def test_staff_save_many_keeps_staff_save_rules(acts):
    helper_user = acts.users["helper"]
    with pytest.raises(NotAllowed):  # a school records its own staff and its partners', not others'
        staff_save_many(
            staff=[Staff(school=acts.land.other_pairing.helper, name="新老师", post=Post.TEACHER)], actor=helper_user
        )
    with pytest.raises(ValidationError):  # a name already taken at the school
        staff_save_many(staff=[Staff(school=acts.helper, name="王老师", post=Post.TEACHER)], actor=helper_user)
    with pytest.raises(ValidationError):  # the same name twice in the batch
        staff_save_many(
            staff=[Staff(school=acts.helper, name="新老师", post=Post.TEACHER) for _n in range(2)], actor=helper_user
        )
    (saved,) = staff_save_many(staff=[Staff(school=acts.helper, name="新老师", post=Post.TEACHER)], actor=helper_user)
    assert saved.version == 1 and saved.history.get().history_user == helper_user
    assert not Staff.objects.filter(Q(name="新老师") & ~Q(pk=saved.pk)).exists()
