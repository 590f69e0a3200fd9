"""Staff, activities, two-sided confirmation and the entry window, as the services decide them (R17–R24)."""

import datetime
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from activities.choices import Confirmation, EnteredBy, Focus, Kind, Post
from activities.models import Activity, DifficultyHelp, Staff
from activities.services import activity_confirm, activity_reject, activity_save, difficulty_help_save, staff_save
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import PairingStatus
from pairings.models import Pairing

from .conftest import AFTER_CLOSE, TODAY

pytestmark = pytest.mark.django_db


# --- recording: who may, and what it becomes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "entered_by", "status"),
    [
        ("helper", EnteredBy.HELPER, Confirmation.PENDING),
        ("recipient", EnteredBy.RECIPIENT, Confirmation.PENDING),
        ("county", EnteredBy.COUNTY, Confirmation.CONFIRMED),
        ("city", EnteredBy.CITY, Confirmation.CONFIRMED),
    ],
)
def test_who_records_an_activity_and_what_it_becomes(acts, role, entered_by, status):
    activity = acts.activity(role)
    assert (activity.entered_by, activity.status) == (entered_by, status)
    assert activity.semester.token == "2016-1"
    assert list(activity.participants.all()) == [acts.helper_teacher]
    if status == Confirmation.CONFIRMED:
        assert activity.decided_by == acts.users[role] and activity.decided_at is not None


@pytest.mark.parametrize("role", ["other_county", "district", "inspector", "region"])
def test_others_may_not_record_the_pairings_activities(acts, role):
    with pytest.raises(NotAllowed):
        acts.activity(role)
    assert not Activity.objects.exists()


def test_a_school_outside_the_pairing_may_not_record_for_it(acts, land):
    stranger = acts.users["helper"]
    with pytest.raises(NotAllowed):
        acts.activity(stranger, pairing=land.other_pairing, participants=[])


# --- the date, the semester, the focus, the participants -----------------------------------------------------


def test_the_semester_follows_from_the_date(acts):
    activity = acts.activity(date=datetime.date(2017, 3, 15), today=datetime.date(2017, 3, 20))
    assert activity.semester.token == "2016-2"


def test_a_date_outside_the_cycles_semesters_is_refused(acts):
    with pytest.raises(ValidationError, match="学期"):
        acts.activity(date=datetime.date(2016, 8, 20))


def test_a_date_on_which_the_pairing_was_not_active_is_refused(acts):
    Pairing.objects.filter(pk=acts.pairing.pk).update(
        status=PairingStatus.ENDED, ended_on=datetime.date(2016, 10, 1), end_reason="撤并"
    )
    acts.pairing.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        acts.activity(date=datetime.date(2016, 10, 10))
    assert "date" in error.value.error_dict
    assert acts.activity(date=datetime.date(2016, 9, 20)).pk


def test_a_date_still_to_come_is_refused(acts):
    with pytest.raises(ValidationError):
        acts.activity(date=TODAY + datetime.timedelta(days=1))


def test_the_focus_is_one_of_the_pairings_stage(acts):
    assert acts.activity(focus=Focus.TEACHING).focus == Focus.TEACHING
    with pytest.raises(ValidationError) as error:
        acts.activity(focus=Focus.CARE_QUALITY, date=datetime.date(2016, 10, 11))
    assert "focus" in error.value.error_dict


def test_participants_belong_to_the_two_schools(acts):
    assert acts.activity(participants=[acts.helper_teacher, acts.recipient_key]).participants.count() == 2
    with pytest.raises(ValidationError, match="赵老师"):
        acts.activity(participants=[acts.other_staff], date=datetime.date(2016, 10, 11))


def test_a_donation_says_what_was_donated(acts):
    with pytest.raises(ValidationError):
        acts.activity(kind=Kind.DONATION)
    activity = acts.activity(kind=Kind.DONATION, donation_items="图书", donation_quantity=300, donation_value=6000)
    assert activity.donation_quantity == 300


def test_the_same_activity_entered_twice_is_refused(acts):
    acts.activity()
    with pytest.raises(ValidationError, match="已"):
        acts.activity(actor="recipient")
    # Another participant set, another day or another kind is another activity.
    acts.activity(participants=[acts.helper_key])
    acts.activity(date=datetime.date(2016, 10, 11))
    assert Activity.objects.count() == 3


def test_a_rejected_activity_does_not_block_entering_it_again(acts):
    first = acts.activity()
    activity_reject(activity=first, actor=acts.users["recipient"], reason="日期有误", today=TODAY)
    assert acts.activity().status == Confirmation.PENDING


# --- two-sided confirmation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("recipient", True),
        ("county", True),
        ("helper", False),
        ("other_county", False),
        ("district", False),
        ("inspector", False),
        ("region", False),
        ("city", False),
    ],
)
def test_who_confirms_the_helpers_activity(acts, role, allowed):
    activity = acts.activity("helper")
    if allowed:
        confirmed = activity_confirm(activity=activity, actor=acts.users[role], today=TODAY)
        assert confirmed.status == Confirmation.CONFIRMED and confirmed.decided_by == acts.users[role]
        assert Activity.objects.counted().filter(pk=activity.pk).exists()
    else:
        with pytest.raises(NotAllowed):
            activity_confirm(activity=activity, actor=acts.users[role], today=TODAY)
        activity.refresh_from_db()
        assert activity.status == Confirmation.PENDING


def test_the_helper_confirms_the_recipients_activity(acts):
    activity = acts.activity("recipient", participants=[acts.recipient_key])
    with pytest.raises(NotAllowed):
        activity_confirm(activity=activity, actor=acts.users["recipient"], today=TODAY)
    assert (
        activity_confirm(activity=activity, actor=acts.users["helper"], today=TODAY).status == Confirmation.CONFIRMED
    )


def test_a_rejection_gives_its_reason_and_does_not_count(acts):
    activity = acts.activity()
    with pytest.raises(ValidationError):
        activity_reject(activity=activity, actor=acts.users["recipient"], reason="  ", today=TODAY)
    rejected = activity_reject(activity=activity, actor=acts.users["recipient"], reason="未见该教师到校", today=TODAY)
    assert (rejected.status, rejected.rejection_reason) == (Confirmation.REJECTED, "未见该教师到校")
    assert not Activity.objects.counted().exists()
    assert rejected.history.first().history_change_reason == "已退回：未见该教师到校"
    # Decided once: neither confirmed nor rejected again.
    with pytest.raises(NotAllowed):
        activity_confirm(activity=rejected, actor=acts.users["county"], today=TODAY)


def test_pending_activities_do_not_count(acts):
    acts.activity()
    assert Activity.objects.counted().count() == 0


def test_after_the_entries_close_only_a_county_bureau_decides_with_a_reason(acts):
    """A closed semester's figures are not changed by a late confirmation from the partner school."""
    activity = acts.activity()
    with pytest.raises(NotAllowed):
        activity_confirm(activity=activity, actor=acts.users["recipient"], today=AFTER_CLOSE)
    with pytest.raises(NotAllowed):
        activity_reject(activity=activity, actor=acts.users["recipient"], reason="未开展", today=AFTER_CLOSE)
    assert not Activity.objects.awaiting(acts.users["recipient"], today=AFTER_CLOSE).exists()
    assert Activity.objects.awaiting(acts.users["county"], today=AFTER_CLOSE).exists()
    with pytest.raises(ValidationError):
        activity_confirm(activity=activity, actor=acts.users["county"], today=AFTER_CLOSE)
    confirmed = activity_confirm(activity=activity, actor=acts.users["county"], reason="补确认", today=AFTER_CLOSE)
    assert confirmed.status == Confirmation.CONFIRMED
    assert confirmed.history.first().history_change_reason == "已确认：补确认"


def test_a_rejected_activity_corrected_by_its_side_waits_again(acts):
    activity = activity_reject(activity=acts.activity(), actor=acts.users["recipient"], reason="人数不对", today=TODAY)
    activity.teachers_reached = 8
    corrected = activity_save(
        activity=activity, participants=[acts.helper_teacher], actor=acts.users["helper"], today=TODAY
    )
    assert (corrected.status, corrected.rejection_reason, corrected.decided_by) == (Confirmation.PENDING, "", None)


def test_the_partner_may_not_change_what_the_other_side_entered(acts):
    activity = acts.activity("helper")
    activity.teachers_reached = 1
    with pytest.raises(NotAllowed):
        activity_save(activity=activity, participants=[], actor=acts.users["recipient"], today=TODAY)


def test_a_confirmed_activity_is_changed_only_by_a_bureau_with_a_reason(acts):
    activity = activity_confirm(activity=acts.activity(), actor=acts.users["recipient"], today=TODAY)
    activity.students_reached = 45
    with pytest.raises(NotAllowed):
        activity_save(activity=activity, participants=[acts.helper_teacher], actor=acts.users["helper"], today=TODAY)
    with pytest.raises(ValidationError):
        activity_save(activity=activity, participants=[acts.helper_teacher], actor=acts.users["county"], today=TODAY)
    changed = activity_save(
        activity=activity, participants=[acts.helper_teacher], actor=acts.users["county"], today=TODAY,
        reason="学生人数更正",
    )  # fmt: skip
    assert changed.students_reached == 45 and changed.status == Confirmation.CONFIRMED
    assert changed.history.first().history_change_reason == "学生人数更正"

    # A change of participants is written in the history beside the reason.
    changed = activity_save(
        activity=changed, participants=[acts.helper_teacher, acts.helper_key], actor=acts.users["county"],
        today=TODAY, reason="补录参与人员",
    )  # fmt: skip
    reason = changed.history.first().history_change_reason
    assert reason.startswith("补录参与人员；") and "王老师" in reason and "李骨干、王老师" in reason


# --- the entry window ------------------------------------------------------------------------------------------


def test_schools_record_until_the_entries_close(acts):
    last_day = datetime.date(2017, 3, 30)
    assert acts.activity(today=last_day).pk
    with pytest.raises(NotAllowed, match="2017-03-30"):
        acts.activity(today=AFTER_CLOSE, date=datetime.date(2016, 10, 11))


def test_after_the_entries_close_a_bureau_records_with_a_reason(acts):
    with pytest.raises(ValidationError):
        acts.activity("county", today=AFTER_CLOSE)
    activity = activity_save(
        activity=Activity(pairing=acts.pairing, date=datetime.date(2016, 10, 10), form="lecture",
                          measure="teaching", kind=Kind.JOINT_RESEARCH),
        participants=[], actor=acts.users["county"], today=AFTER_CLOSE, reason="补录县督导核实的活动",
    )  # fmt: skip
    assert activity.status == Confirmation.CONFIRMED


def test_a_school_may_not_change_its_pending_activity_after_the_entries_close(acts):
    activity = acts.activity()
    activity.teachers_reached = 3
    with pytest.raises(NotAllowed):
        activity_save(activity=activity, participants=[acts.helper_teacher], actor=acts.users["helper"],
                      today=AFTER_CLOSE)  # fmt: skip


def test_the_city_moves_the_close_and_schools_may_record_again(acts):
    from pairings.services import semester_update

    semester = acts.pairing.cycle.semester_rows.get(academic_year=2016, term=1)
    semester_update(semester=semester, actor=SYSTEM, entry_closes_on=datetime.date(2017, 4, 30))
    assert acts.activity(today=AFTER_CLOSE).pk


# --- children in difficulty: counted, never named ----------------------------------------------------------------


def test_children_in_difficulty_are_counted_by_kind(acts):
    activity = acts.activity(kind=Kind.STUDENTS_IN_DIFFICULTY, measure="students_in_difficulty")
    row = difficulty_help_save(
        help=DifficultyHelp(activity=activity, child_kind="left_behind", children=12, help_kind="tutoring"),
        actor=acts.users["helper"], today=TODAY,
    )  # fmt: skip
    assert row.pk and activity.difficulty_help.get().children == 12
    with pytest.raises(NotAllowed):
        difficulty_help_save(
            help=DifficultyHelp(activity=activity, child_kind="orphan", children=1, help_kind="material"),
            actor=acts.users["recipient"], today=TODAY,
        )  # fmt: skip


def test_r24_children_helped_are_recorded_only_on_a_care_for_students_in_difficulty(acts):
    activity = acts.activity()  # a teaching delivery
    with pytest.raises(ValidationError) as refused:
        difficulty_help_save(
            help=DifficultyHelp(activity=activity, child_kind="orphan", children=2, help_kind="material"),
            actor=acts.users["helper"], today=TODAY,
        )  # fmt: skip
    assert "困境学生" in " ".join(refused.value.messages)
    assert not DifficultyHelp.objects.exists()


def test_an_activity_with_children_helped_keeps_its_kind(acts):
    activity = acts.activity(kind=Kind.STUDENTS_IN_DIFFICULTY, measure="students_in_difficulty")
    difficulty_help_save(
        help=DifficultyHelp(activity=activity, child_kind="migrant", children=3, help_kind="tutoring"),
        actor=acts.users["helper"], today=TODAY,
    )  # fmt: skip
    activity.kind = Kind.DONATION
    activity.donation_items = "图书"
    with pytest.raises(ValidationError) as refused:
        activity_save(activity=activity, participants=[acts.helper_teacher], actor=acts.users["helper"], today=TODAY)
    assert "kind" in refused.value.message_dict
    assert Activity.objects.get(pk=activity.pk).kind == Kind.STUDENTS_IN_DIFFICULTY


def test_the_rows_of_children_helped_hold_no_text_at_all():
    text = [f.name for f in DifficultyHelp._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
    assert set(text) == {"child_kind", "help_kind"}
    assert all(DifficultyHelp._meta.get_field(n).choices for n in text)


IDENTITY = re.compile(r"(child|student|pupil|kid).*(name|identity|id_card|id_number)|id_card|id_number|identity_no")


def test_no_field_anywhere_holds_a_childs_name_or_identity():
    fields = [f"{m._meta.label}.{f.name}" for m in apps.get_models() for f in m._meta.get_fields()]
    assert [f for f in fields if IDENTITY.search(f.lower())] == []


def test_the_description_tells_users_not_to_write_childrens_names():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert "姓名" in str(Activity._meta.get_field("description").help_text)


# --- staff -------------------------------------------------------------------------------------------------------


def test_a_school_keeps_its_own_staff_and_names_are_unique_in_it(acts):
    helper = acts.users["helper"]
    assert staff_save(staff=Staff(school=acts.helper, name="陈老师", post=Post.TEACHER), actor=helper).pk
    with pytest.raises(ValidationError):
        staff_save(staff=Staff(school=acts.helper, name="陈老师", post=Post.TEACHER), actor=helper)
    with pytest.raises(ValidationError):
        staff_save(staff=Staff(school=acts.helper, name="周老师", post=Post.TEACHER, phone="12345"), actor=helper)
    assert staff_save(staff=Staff(school=acts.recipient, name="陈老师", post=Post.TEACHER), actor=SYSTEM).pk


def test_r20_a_school_registers_new_staff_of_its_partner_school_and_changes_only_its_own(acts):
    """A secondment names the recipient's key staff: the helper may register them when they are not there yet."""
    helper = acts.users["helper"]
    partner_key = staff_save(staff=Staff(school=acts.recipient, name="刘骨干", post=Post.KEY_STAFF), actor=helper)
    assert partner_key.pk and partner_key.school == acts.recipient
    partner_key.phone = "13800000000"
    with pytest.raises(NotAllowed):  # changing the partner's staff stays with the partner
        staff_save(staff=partner_key, actor=helper)
    with pytest.raises(NotAllowed):  # a school it is not paired with
        staff_save(staff=Staff(school=acts.land.other_pairing.helper, name="周老师", post=Post.TEACHER), actor=helper)
    assert not Staff.objects.filter(name="周老师").exists()


def test_a_county_bureau_keeps_its_schools_staff_only(acts, land):
    county = acts.users["county"]
    assert staff_save(staff=Staff(school=acts.recipient, name="黄老师", post=Post.TEACHER), actor=county).pk
    with pytest.raises(NotAllowed):
        staff_save(staff=Staff(school=land.other_pairing.helper, name="黄老师", post=Post.TEACHER), actor=county)
    with pytest.raises(NotAllowed):
        staff_save(staff=Staff(school=acts.helper, name="钱老师", post=Post.TEACHER), actor=acts.users["inspector"])


@pytest.mark.parametrize(
    ("role", "sees_own_pair", "sees_other"),
    [
        ("helper", True, False),
        ("recipient", True, False),
        ("county", True, False),
        ("inspector", True, False),
        ("other_county", False, True),
        ("city", True, True),
        ("region", True, True),
    ],
)
def test_staff_names_are_seen_only_in_scope(acts, role, sees_own_pair, sees_other):
    seen = set(Staff.objects.for_user(acts.users[role]).values_list("name", flat=True))
    assert ({"李骨干", "王老师", "张主任"} <= seen) is sees_own_pair
    assert ("赵老师" in seen) is sees_other


def test_a_school_sees_its_partners_staff_through_the_pairing_and_nobody_elses(acts, land):
    # The cross-county pairing (丙区实验小学 helps 甲镇中心小学): the helper school sees the district school's staff.
    district_teacher = staff_save(staff=Staff(school=land.urban, name="孙老师", post=Post.KEY_STAFF), actor=SYSTEM)
    assert Staff.objects.for_user(acts.users["helper"]).filter(pk=district_teacher.pk).exists()
    assert not Staff.objects.for_user(acts.users["recipient"]).filter(pk=district_teacher.pk).exists()


@pytest.mark.parametrize(
    ("role", "sees"),
    [("helper", True), ("recipient", True), ("county", True), ("inspector", True), ("other_county", False),
     ("district", False), ("city", True), ("region", True)],
)  # fmt: skip
def test_an_activity_is_seen_by_whoever_sees_its_pairing(acts, role, sees):
    activity = acts.activity()
    assert Activity.objects.for_user(acts.users[role]).filter(pk=activity.pk).exists() is sees
