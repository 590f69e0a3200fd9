"""The kept compliance figures (activities.figures): the same as counting live (`compliance_tally`) for every user
whose scope they serve, after every kind of write that changes them; one query when current; counted again only for
the semesters a committed write touched; never kept from a transaction's own uncommitted writes."""

import datetime

import pytest
from django.db import connection
from django.db.models import F

from activities.choices import Kind, Post
from activities.figures import _Raise, compliance_figures, region_figures
from activities.liuzhou import norms_ensure
from activities.models import Activity, ComplianceFigures, Norm, Staff
from activities.selectors import compliance_tally
from activities.services import activity_confirm, staff_save
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Pairing, Semester
from pairings.services import pairing_end
from schools.models import School

from .conftest import TODAY

pytestmark = pytest.mark.django_db

ROLES = ("city", "region", "county", "inspector", "other_county", "district", "school", "helper")


@pytest.fixture
def kept(acts, django_capture_on_commit_callbacks):
    """The activities' land with the plan's norms, confirmed and pending activities in two semesters, a
    cross-county pairing with activities — every write committed (its raise run), so that the figures are kept."""
    with django_capture_on_commit_callbacks(execute=True):
        norms_ensure(cycle=acts.land.cycle)
        acts.semesters = list(Semester.objects.filter(cycle=acts.land.cycle).order_by("starts_on")[:3])
        for day in (3, 4):
            acts.activity("county", kind=Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, day))
        acts.activity("helper", kind=Kind.TEACHING_DELIVERY, participants=[acts.helper_key])  # awaiting
        acts.activity("county", kind=Kind.OBSERVATION_VISIT, date=datetime.date(2017, 3, 10),
                      today=datetime.date(2017, 3, 20))  # fmt: skip
        cross = acts.land.cross_pairing
        acts.cross_staff = staff_save(staff=Staff(school=cross.helper, name="黄老师", post=Post.TEACHER), actor=SYSTEM)
        acts.activity(acts.land.district_user, pairing=cross, participants=[acts.cross_staff])
    run_raises()  # the land's own, written before
    return acts


def run_raises():
    """Run the raises the test's transaction owes, as its commit would."""
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Raise) and not callback.done:
            callback()


def live(user, semesters, county=None):
    return compliance_tally(user=user, semesters=semesters, county=county)


def assert_same_as_live(acts, commit):
    """The figures each user gets equal the live count, with and without a county, for every semester."""
    with commit(execute=True):
        pass
    for role in ROLES:
        user = acts.users[role] if role in acts.users else acts.land.district_user
        assert compliance_figures(user=user, semesters=acts.semesters) == live(user, acts.semesters), role
        for county in (acts.land.own, acts.land.other.pk):
            figures = compliance_figures(user=user, semesters=acts.semesters, county=county)
            assert figures == live(user, acts.semesters, county), (role, county)


def test_the_kept_figures_are_the_live_ones_for_every_user(kept, django_capture_on_commit_callbacks):
    assert_same_as_live(kept, django_capture_on_commit_callbacks)
    city = compliance_figures(user=kept.users["city"], semesters=kept.semesters)[kept.semesters[0].pk]
    assert sum(t.pairings for t in city.values()) == 3 and any(t.silent for t in city.values())
    district = compliance_figures(user=kept.land.district_user, semesters=kept.semesters)[kept.semesters[0].pk]
    assert {county for county, _stage in district} == {kept.land.own.pk}  # the cross pairing, by its helper
    assert ComplianceFigures.objects.filter(counted_changes=F("changes")).count() == len(kept.semesters)


def test_current_figures_are_read_in_one_query(kept, django_assert_num_queries):
    region_figures(kept.semesters)
    with django_assert_num_queries(1):
        region_figures(kept.semesters)


def test_the_figures_are_kept_not_counted_again_without_a_change(kept):
    """Proof that they are kept: a write that bypasses every signal (a bare UPDATE) is not seen — which is why
    every write path raises the change count."""
    city, semester = kept.users["city"], kept.semesters[0]
    before = compliance_figures(user=city, semesters=[semester])
    Activity.objects.filter(semester=semester).update(status="rejected", rejection_reason="撤销")
    assert compliance_figures(user=city, semesters=[semester]) == before
    assert live(city, [semester]) != before


def test_each_kind_of_write_changes_the_kept_figures(kept, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    first, second = kept.semesters[0], kept.semesters[1]
    region_figures(kept.semesters)
    # An activity confirmed: its semester's figures alone are counted again.
    pending = Activity.objects.get(status="pending", semester=first)
    with commit(execute=True):
        activity_confirm(activity=pending, actor=kept.users["recipient"], today=TODAY)
    rows = ComplianceFigures.objects.in_bulk()
    assert rows[first.pk].changes == rows[first.pk].counted_changes + 1
    assert rows[second.pk].changes == rows[second.pk].counted_changes
    assert_same_as_live(kept, commit)
    # A new activity; its participants changed; one moved to another semester.
    with commit(execute=True):
        made = kept.activity("county", kind=Kind.ONSITE_GUIDANCE, participants=[kept.helper_key])
    assert_same_as_live(kept, commit)
    with commit(execute=True):
        made.participants.add(kept.helper_teacher)
    assert_same_as_live(kept, commit)
    with commit(execute=True):
        moved = Activity.objects.get(pk=made.pk)
        moved.date, moved.semester = datetime.date(2017, 3, 12), second
        moved.save()
    assert_same_as_live(kept, commit)
    # A staff member's post; a pairing ended; a school moved to another county; a norm; an activity deleted.
    with commit(execute=True):
        staff = Staff.objects.get(pk=kept.helper_teacher.pk)
        staff.post = Post.KEY_STAFF
        staff.save()
    assert_same_as_live(kept, commit)
    with commit(execute=True):
        pairing_end(pairing=kept.pairing, actor=SYSTEM, on=datetime.date(2016, 10, 5), reason="撤并")
    assert_same_as_live(kept, commit)
    with commit(execute=True):
        school = School.objects.get(pk=kept.land.cross_pairing.recipient_id)
        school.county = kept.land.other
        school.save()
    assert_same_as_live(kept, commit)
    with commit(execute=True):
        Norm.objects.filter(cycle=kept.land.cycle, kind=Kind.JOINT_RESEARCH).first().delete()
    assert_same_as_live(kept, commit)
    with commit(execute=True):
        Activity.objects.get(pk=made.pk).delete()
    assert_same_as_live(kept, commit)


def test_a_save_that_changes_nothing_counted_keeps_the_figures(kept, django_capture_on_commit_callbacks):
    region_figures(kept.semesters)
    with django_capture_on_commit_callbacks(execute=True):
        school = School.objects.get(pk=kept.helper.pk)
        school.contact_phone = "0772-1234567"
        school.save()
        pairing = Pairing.objects.get(pk=kept.pairing.pk)
        pairing.save()
    assert not ComplianceFigures.objects.exclude(counted_changes=F("changes")).exists()


def test_a_transaction_reads_its_own_writes_live_and_keeps_nothing_of_them(kept):
    """Uncommitted writes (the test's transaction, no raise run): counted live, and not kept."""
    city, first = kept.users["city"], kept.semesters[0]
    region_figures(kept.semesters)
    kept.activity("county", kind=Kind.SECONDMENT, participants=[kept.recipient_key])
    assert compliance_figures(user=city, semesters=kept.semesters) == live(city, kept.semesters)
    stored = ComplianceFigures.objects.get(pk=first.pk)
    assert stored.changes == stored.counted_changes  # the kept row is the committed state's


def test_one_transaction_raises_once_for_all_its_writes(kept, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        for day in range(11, 16):
            kept.activity("county", kind=Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, day))
        kept.activity("county", kind=Kind.JOINT_RESEARCH, date=datetime.date(2017, 3, 11),
                      today=datetime.date(2017, 3, 20))  # fmt: skip
    raises = [c for c in callbacks if isinstance(c, _Raise)]
    assert len(raises) == 1 and raises[0].semesters == {kept.semesters[0].pk, kept.semesters[1].pk}


def test_bulk_writes_change_the_kept_figures(kept, django_capture_on_commit_callbacks):
    """`save_checked_many` (imports, the demo) sends no save signals: its own signal raises the change count."""
    from activities.choices import Confirmation, Form
    from activities.services import ActivityBatch
    from pairings.choices import Measure

    region_figures(kept.semesters)
    with django_capture_on_commit_callbacks(execute=True):
        batch = ActivityBatch(actor=SYSTEM, today=TODAY)
        for day in (12, 13):
            activity = Activity(pairing=kept.pairing, date=datetime.date(2016, 10, day), form=Form.TEACHING_DELIVERY,
                                measure=Measure.TEACHER_DEVELOPMENT, kind=Kind.OBSERVATION_VISIT)  # fmt: skip
            batch.add(activity, [kept.helper_key], status=Confirmation.CONFIRMED)
        batch.save()
    stored = ComplianceFigures.objects.get(pk=kept.semesters[0].pk)
    assert stored.changes == stored.counted_changes + 1
    assert_same_as_live(kept, django_capture_on_commit_callbacks)


def test_figures_counted_over_an_hour_ago_are_counted_again(kept):
    """The last guard against a write that raised nothing: kept figures older than MAX_AGE are counted again."""
    from django.utils import timezone

    from activities.figures import MAX_AGE

    city, semester = kept.users["city"], kept.semesters[0]
    region_figures(kept.semesters)
    Activity.objects.filter(semester=semester).update(status="rejected", rejection_reason="撤销")  # no raise
    old = timezone.now() - MAX_AGE - datetime.timedelta(minutes=1)
    ComplianceFigures.objects.filter(pk=semester.pk).update(counted_at=old)
    assert compliance_figures(user=city, semesters=[semester]) == live(city, [semester])
    assert ComplianceFigures.objects.get(pk=semester.pk).counted_at > old
