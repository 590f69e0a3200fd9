"""The region-scale path of generate_demo: the activities written in bounded chunks through ActivityBatch, refusing
what activity_save refuses, and the Liuzhou scale making the same records for a seed as before."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from activities import demo
from activities.case_demo import demo_cases_clear
from activities.choices import Confirmation, EnteredBy, Focus, Form, Kind
from activities.models import Activity, DifficultyHelp, Evidence
from activities.services import ActivityBatch, activity_reject, activity_save
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Measure, PairingStatus
from pairings.models import Pairing, Semester

from .conftest import TODAY
from .test_demo import fingerprint

pytestmark = pytest.mark.django_db

REASON = demo.REASON


def refusal(call) -> str:
    """Run `call` in a savepoint; return the message it was refused with (nothing is written)."""
    with pytest.raises((ValidationError, PermissionDenied)) as caught, transaction.atomic():
        call()
    error = caught.value
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


# Activities the demo's bulk path must refuse as the service refuses them: outside every semester of the cycle,
# not yet taken place, a focus of another stage, a participant of neither school, a field its model refuses (a
# negative count, an unknown form), and a rejection without a reason (the model's check constraint).
BAD = {
    "before the cycle": ({"date": datetime.date(2015, 10, 10)}, "staff", {}),
    "in the future": ({"date": TODAY + datetime.timedelta(days=1)}, "staff", {}),
    "focus of another stage": ({"focus": Focus.CARE_QUALITY}, "staff", {}),
    "participant of neither school": ({}, "stranger", {}),
    "negative count": ({"teachers_reached": -1}, "staff", {}),
    "unknown form": ({"form": "nonsense"}, "staff", {}),
    "rejected without a reason": ({}, "staff", {"status": Confirmation.REJECTED, "entered_by": EnteredBy.HELPER}),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_the_bulk_path_refuses_what_the_service_refuses(acts, case):
    fields, who, decided = BAD[case]
    people = [acts.other_staff if who == "stranger" else acts.helper_teacher]

    def activity() -> Activity:
        values = {
            "pairing": acts.pairing, "date": datetime.date(2016, 10, 10), "form": Form.TEACHING_DELIVERY,
            "measure": Measure.TEACHER_DEVELOPMENT, "kind": Kind.TEACHING_DELIVERY, "teachers_reached": 5,
            "is_demo": True,
        }  # fmt: skip
        values.update(fields)
        return Activity(**values)

    def bulk():
        batch = ActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON)
        batch.add(activity(), people, **decided)
        batch.save()

    def service():
        if decided:  # through the services, the helper enters it and the recipient rejects it
            saved = activity_save(activity=activity(), participants=people, actor=acts.users["helper"], today=TODAY)
            activity_reject(activity=saved, actor=acts.users["recipient"], reason=" ", today=TODAY)
        else:
            activity_save(activity=activity(), participants=people, actor=SYSTEM, reason=REASON, today=TODAY)

    said = refusal(bulk)
    assert said and said == refusal(service)
    assert not Activity.objects.exists()


def test_the_bulk_path_writes_a_good_activity_as_the_service_does(acts):
    batch = ActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON)
    batch.add(
        Activity(pairing=acts.pairing, date=datetime.date(2016, 10, 10), form=Form.TEACHING_DELIVERY,
                 measure=Measure.TEACHER_DEVELOPMENT, kind=Kind.TEACHING_DELIVERY, teachers_reached=5),
        [acts.helper_teacher], entered_by=EnteredBy.HELPER,
    )  # fmt: skip
    (bulk,) = batch.save()
    service = activity_save(
        activity=Activity(pairing=acts.pairing, date=datetime.date(2016, 10, 11), form=Form.TEACHING_DELIVERY,
                          measure=Measure.TEACHER_DEVELOPMENT, kind=Kind.TEACHING_DELIVERY, teachers_reached=5),
        participants=[acts.helper_teacher], actor=SYSTEM, reason=REASON, today=TODAY,
    )  # fmt: skip
    for saved in (bulk, service):
        saved.refresh_from_db()
        assert (saved.semester.token, saved.version, saved.history.count()) == ("2016-1", 1, 1)
        assert list(saved.participants.all()) == [acts.helper_teacher]


def digest() -> str:
    return hashlib.sha256(repr(fingerprint()).encode()).hexdigest()


# What `generate_demo --seed 3` made at Liuzhou scale (with tests/conftest.py's sample) before the region path was
# added: the same seed must keep making the same activities, participants and evidence.
LIUZHOU_SEED_3 = "dfc4d1cb5d1a84699bba238a81ace50a1a52651186fe35343249ac669e85b089"


def test_liuzhou_scale_makes_the_same_records_whatever_the_chunk(monkeypatch):
    call_command("load_liuzhou", stdout=io.StringIO())
    monkeypatch.setattr(demo, "CHUNK", 10_000)
    call_command("generate_demo", seed=3, stdout=io.StringIO())
    whole = digest()
    assert Activity.objects.filter(is_demo=True).count() > 500 and Evidence.objects.count() > 0
    monkeypatch.setattr(demo, "CHUNK", 7)  # many chunks: the same records
    output = io.StringIO()
    call_command("generate_demo", seed=3, stdout=output)
    assert digest() == whole == LIUZHOU_SEED_3
    # Each step says how many records it made in how long, wall and CPU time; the run says its total.
    assert re.search(r"^demo_activities_generate: \d+ \(\d+\.\d s, \d+\.\d s CPU\)", output.getvalue(), re.M)
    assert re.search(r"in \d+\.\d min, \d+\.\d min CPU\.", output.getvalue())


def test_region_scale_records_every_semester_begun(monkeypatch):
    """The region's activities cover every semester of the cycle begun by today, for every sampled pairing that is
    not silent, with the latest semester's work still being confirmed and a few files of evidence."""
    call_command("load_liuzhou", stdout=io.StringIO())
    call_command("generate_demo", seed=4, stdout=io.StringIO())
    monkeypatch.setattr(demo, "CHUNK", 5)
    monkeypatch.setattr(demo, "EVIDENCE_ACTIVITIES", {"liuzhou": 40, "region": 12})
    with transaction.atomic():
        demo_cases_clear()  # the cases on the Liuzhou run's activities go first, as generate_demo clears them
        count, _note = demo.demo_activities_generate(seed=4, scale="region")
    made = Activity.objects.filter(is_demo=True)
    cycle = Pairing.objects.filter(helper__is_demo=True).first().cycle
    begun = Semester.objects.filter(cycle=cycle, starts_on__lte=timezone.localdate()).order_by("starts_on")
    assert set(made.values_list("semester", flat=True)) == set(begun.values_list("pk", flat=True))
    assert len(begun) > demo.SEMESTERS["liuzhou"]
    sampled = Pairing.objects.filter(cycle=cycle, status=PairingStatus.ACTIVE).count() // demo.SAMPLE["region"]
    assert made.values("pairing").distinct().count() >= 0.8 * sampled
    assert set(made.filter(status=Confirmation.PENDING).values_list("semester", flat=True)) == {begun.last().pk}
    assert Evidence.objects.values("activity").distinct().count() == 12
    assert count > made.count()  # staff and evidence counted too


def rows(activities) -> list[tuple]:
    """What is stored for `activities`: every column but the id, date and times, the participants, the
    children helped and the history row, in the order written."""
    pks = [a.pk for a in activities]
    unequal = ("id", "date", "created_at", "decided_at")
    fields = [f.attname for f in Activity._meta.concrete_fields if f.attname not in unequal]
    stored = {row["id"]: row for row in Activity.objects.filter(pk__in=pks).values("id", *fields)}
    history = {
        row["id"]: row
        for row in Activity.history.filter(id__in=pks).values(
            "id", *fields, "history_type", "history_change_reason", "history_user_id"
        )
    }
    people = Activity.participants.through.objects.filter(activity_id__in=pks)
    helped = DifficultyHelp.objects.filter(activity_id__in=pks)
    return [
        (
            tuple(stored[pk][f] for f in fields),
            tuple(v for k, v in history[pk].items() if k != "id"),
            tuple(sorted(people.filter(activity_id=pk).values_list("staff_id", flat=True))),
            tuple(helped.filter(activity_id=pk).values_list("child_kind", "children", "help_kind", "version")),
            DifficultyHelp.history.filter(activity_id=pk).count(),
        )
        for pk in pks
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's (scripts/with-postgres)")
def test_the_copied_batch_writes_what_the_activity_batch_writes(acts):
    """The demo's batch writes by COPY on PostgreSQL: the same rows, history, participants and children helped as
    ActivityBatch's INSERTs (a text with a tab, a newline and a backslash survives), and the same refusals."""

    def fill(batch, day):
        batch.add(
            Activity(pairing=acts.pairing, date=datetime.date(2016, 10, day), form=Form.TEACHING_DELIVERY,
                     measure=Measure.TEACHER_DEVELOPMENT, kind=Kind.TEACHING_DELIVERY, teachers_reached=5,
                     description="送教\t示范课\n评课 \\ 反思", is_demo=True),
            [acts.helper_teacher, acts.recipient_key], entered_by=EnteredBy.HELPER, status=Confirmation.REJECTED,
            rejection_reason="日期有误",
        )  # fmt: skip
        batch.add(
            Activity(pairing=acts.pairing, date=datetime.date(2016, 10, day), form=Form.HOME_SCHOOL,
                     measure=Measure.STUDENTS_IN_DIFFICULTY, kind=Kind.STUDENTS_IN_DIFFICULTY, is_demo=True),
            [acts.helper_teacher], helped=[DifficultyHelp(child_kind="orphan", children=2, help_kind="tutoring")],
        )  # fmt: skip
        return batch.save()

    plain = fill(ActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON), 10)
    copied = fill(demo.CopiedActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON), 11)
    assert rows(copied) == rows(plain)
    assert Activity.objects.get(pk=copied[0].pk).description == "送教\t示范课\n评课 \\ 反思"
    # A new activity after the copied ones takes the next id of the table's sequence.
    (after,) = fill(ActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON), 12)[:1]
    assert after.pk > max(a.pk for a in copied)
    # The same activity again is refused against what is stored, as ActivityBatch refuses it.
    batch = demo.CopiedActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON)
    assert refusal(lambda: fill(batch, 11)) == refusal(
        lambda: fill(ActivityBatch(actor=SYSTEM, today=TODAY, reason=REASON), 11)
    )
