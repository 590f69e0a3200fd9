"""Norms as data and the compliance engine (R20, R21, R23): counts per pairing and semester, from confirmed
activities only, in a fixed number of queries; the command and the home page items that show them."""

import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.choices import Confirmation, EnteredBy, Form, Kind, NormCounts, Post
from activities.liuzhou import LIUZHOU_NORMS, norms_ensure
from activities.models import Activity, Norm, Staff
from activities.selectors import compliance
from activities.services import activity_confirm, activity_reject, norm_save, staff_save
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import ArrangedBy, Measure, PairingStatus, Side, Tier
from pairings.models import Pairing, Semester
from pairings.services import semesters_ensure
from schools.choices import Location, SchoolType, Stage
from schools.models import School
from tests.factories import CycleFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db

FIVE = [Kind.SECONDMENT, Kind.ONSITE_GUIDANCE, Kind.TEACHING_DELIVERY, Kind.OBSERVATION_VISIT, Kind.JOINT_RESEARCH]


@pytest.fixture
def norms(acts):
    """The plan's norms for the land's cycle; the semester 2016-1."""
    norms_ensure(cycle=acts.land.cycle)
    acts.semester = Semester.objects.get(cycle=acts.land.cycle, academic_year=2016, term=1)
    acts.day = iter(range(1, 20))  # a fresh October day for each activity, so that none is a duplicate
    return acts


def staff(school, name, post):
    return staff_save(staff=Staff(school=school, name=name, post=post), actor=SYSTEM)


def confirmed(acts, kind, participants=(), **fields):
    """Record an activity of `kind` as the county bureau: confirmed on entry."""
    fields.setdefault("date", datetime.date(2016, 10, next(acts.day)))
    return acts.activity("county", kind=kind, participants=list(participants), **fields)


def row_of(acts, user=SYSTEM, pairing=None, **filters):
    pairing = pairing or acts.pairing
    rows = [r for r in compliance(user=user, semester=acts.semester, **filters) if r.pairing == pairing]
    return rows[0] if rows else None


def norm_of(acts, kind, **kwargs):
    return row_of(acts, **kwargs).norms[kind]


# --- seeding and editing the norms ----------------------------------------------------------------------------


def test_r20_r21_r23_norms_are_loaded_once_and_a_city_edit_is_kept(acts):
    cycle = acts.land.cycle
    assert norms_ensure(cycle=cycle) == 5
    assert {(n.kind, n.counts, n.side, n.key_staff_only, n.required, n.stage, n.tier) for n in Norm.objects.all()} == {
        (Kind.SECONDMENT, NormCounts.PEOPLE, Side.RECIPIENT, True, 2, "", ""),
        (Kind.ONSITE_GUIDANCE, NormCounts.PEOPLE, Side.HELPER, True, 2, "", ""),
        (Kind.TEACHING_DELIVERY, NormCounts.PEOPLE, Side.HELPER, False, 2, "", ""),
        (Kind.OBSERVATION_VISIT, NormCounts.TIMES, Side.BOTH, False, 2, "", ""),
        (Kind.JOINT_RESEARCH, NormCounts.TIMES, Side.BOTH, False, 2, "", ""),
    }
    edited = Norm.objects.get(cycle=cycle, kind=Kind.JOINT_RESEARCH)
    edited.required = 3
    norm_save(norm=edited, actor=acts.users["city"], reason="市局调整")
    assert norms_ensure(cycle=cycle) == 0
    assert Norm.objects.get(pk=edited.pk).required == 3
    assert Norm.objects.count() == len(LIUZHOU_NORMS)


def test_load_liuzhou_makes_the_norms_of_the_first_cycle_once(db):
    from pairings.liuzhou import liuzhou_cycle

    call_command("load_liuzhou", stdout=io.StringIO())
    assert set(Norm.objects.filter(cycle=liuzhou_cycle()).values_list("kind", flat=True)) == set(FIVE)
    out = io.StringIO()
    call_command("load_liuzhou", stdout=out)
    assert "norms: 0 created" in out.getvalue()
    assert Norm.objects.count() == 5


@pytest.mark.parametrize("role", ["county", "school", "inspector", "region"])
def test_only_the_city_sets_the_norms(norms, role):
    norm = Norm.objects.get(kind=Kind.JOINT_RESEARCH)
    norm.required = 1
    with pytest.raises(NotAllowed):
        norm_save(norm=norm, actor=norms.users[role], reason="调整")


def test_changing_a_norm_needs_a_reason_and_a_times_norm_counts_no_people(norms):
    from django.core.exceptions import ValidationError

    norm = Norm.objects.get(kind=Kind.JOINT_RESEARCH)
    norm.required = 3
    with pytest.raises(ValidationError, match="原因|reason"):
        norm_save(norm=norm, actor=norms.users["city"])
    norm.key_staff_only = True
    with pytest.raises(ValidationError):
        norm_save(norm=norm, actor=norms.users["city"], reason="调整")


def test_norm_admin_is_read_by_every_role_and_changed_by_the_city_only(norms, as_user):
    norm = Norm.objects.get(kind=Kind.JOINT_RESEARCH)
    url = reverse("admin:activities_norm_change", args=[norm.pk])
    school = as_user("school")
    assert school.get(reverse("admin:activities_norm_changelist")).status_code == 200
    page = school.get(url).content.decode()
    assert "联合教研" in page and 'name="required"' not in page
    assert school.post(url, {"required": 1}).status_code == 403
    city = as_user("city")
    page = city.get(url).content.decode()
    assert 'name="required"' in page
    data = {
        "kind": norm.kind, "stage": "", "tier": "", "counts": norm.counts, "side": norm.side, "required": 3,
        "reason": "市局调整", "edit_version": norm.version,
    }  # fmt: skip
    response = city.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Norm.objects.get(pk=norm.pk).required == 3


# --- each norm at its threshold ---------------------------------------------------------------------------------


def test_r20_secondment_counts_distinct_recipient_key_staff(norms):
    assert norm_of(norms, Kind.SECONDMENT).count == 0
    confirmed(norms, Kind.SECONDMENT, [norms.recipient_key])
    one = norm_of(norms, Kind.SECONDMENT)
    assert (one.count, one.required, one.met) == (1, 2, False)
    confirmed(norms, Kind.SECONDMENT, [staff(norms.recipient, "陈骨干", Post.KEY_STAFF)])
    two = norm_of(norms, Kind.SECONDMENT)
    assert (two.count, two.met) == (2, True)


def test_r20_onsite_guidance_counts_distinct_helper_key_staff(norms):
    confirmed(norms, Kind.ONSITE_GUIDANCE, [norms.helper_key])
    assert (norm_of(norms, Kind.ONSITE_GUIDANCE).count, norm_of(norms, Kind.ONSITE_GUIDANCE).met) == (1, False)
    confirmed(norms, Kind.ONSITE_GUIDANCE, [staff(norms.helper, "周校长", Post.LEADER)])
    assert (norm_of(norms, Kind.ONSITE_GUIDANCE).count, norm_of(norms, Kind.ONSITE_GUIDANCE).met) == (2, True)


def test_r21_teaching_delivery_counts_distinct_helper_teachers_of_any_post(norms):
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    assert (norm_of(norms, Kind.TEACHING_DELIVERY).count, norm_of(norms, Kind.TEACHING_DELIVERY).met) == (1, False)
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_key])
    assert (norm_of(norms, Kind.TEACHING_DELIVERY).count, norm_of(norms, Kind.TEACHING_DELIVERY).met) == (2, True)


@pytest.mark.parametrize("kind", [Kind.OBSERVATION_VISIT, Kind.JOINT_RESEARCH])
def test_r21_r23_observation_visits_and_joint_research_count_times(norms, kind):
    confirmed(norms, kind, [norms.recipient_key])
    assert (norm_of(norms, kind).count, norm_of(norms, kind).met) == (1, False)
    confirmed(norms, kind, [norms.recipient_key])  # the same people another day: another time
    assert (norm_of(norms, kind).count, norm_of(norms, kind).met) == (2, True)


def test_r20_r21_r23_a_pairing_meeting_all_five_is_compliant(norms):
    second_key = staff(norms.recipient, "陈骨干", Post.KEY_STAFF)
    second_helper_key = staff(norms.helper, "周校长", Post.LEADER)
    confirmed(norms, Kind.SECONDMENT, [norms.recipient_key, second_key])
    confirmed(norms, Kind.ONSITE_GUIDANCE, [norms.helper_key, second_helper_key])
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher, norms.helper_key])
    for kind in (Kind.OBSERVATION_VISIT, Kind.JOINT_RESEARCH):
        confirmed(norms, kind)
        assert not row_of(norms).compliant
        confirmed(norms, kind)
    row = row_of(norms)
    assert list(row.norms) == FIVE
    assert row.compliant and not row.silent


# --- who counts -------------------------------------------------------------------------------------------------


def test_r21_the_same_person_twice_counts_once(norms):
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    assert norm_of(norms, Kind.TEACHING_DELIVERY).count == 1


def test_r20_helper_staff_do_not_count_for_the_recipients_secondment(norms):
    confirmed(norms, Kind.SECONDMENT, [norms.helper_key, staff(norms.helper, "周校长", Post.LEADER)])
    assert norm_of(norms, Kind.SECONDMENT).count == 0
    confirmed(norms, Kind.SECONDMENT, [norms.recipient_key, norms.helper_key])
    assert norm_of(norms, Kind.SECONDMENT).count == 1


def test_r20_a_teacher_does_not_count_for_onsite_guidance(norms):
    confirmed(norms, Kind.ONSITE_GUIDANCE, [norms.helper_teacher, staff(norms.helper, "刘老师", Post.TEACHER)])
    assert norm_of(norms, Kind.ONSITE_GUIDANCE).count == 0


def test_r21_recipient_teachers_do_not_count_for_teaching_delivery(norms):
    confirmed(norms, Kind.TEACHING_DELIVERY, [staff(norms.recipient, "吴老师", Post.TEACHER), norms.recipient_key])
    assert norm_of(norms, Kind.TEACHING_DELIVERY).count == 0


def test_a_norm_of_both_sides_counts_the_staff_of_both_schools(norms):
    norm = Norm.objects.get(kind=Kind.TEACHING_DELIVERY)
    norm.side = Side.BOTH
    norm_save(norm=norm, actor=SYSTEM, reason="调整")
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher, norms.recipient_key])
    assert norm_of(norms, Kind.TEACHING_DELIVERY).count == 2


# --- what counts ------------------------------------------------------------------------------------------------


def test_r23_pending_and_rejected_activities_do_not_count(norms):
    pending = norms.activity("helper", kind=Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, 1))
    rejected = norms.activity("helper", kind=Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, 2))
    activity_reject(activity=rejected, actor=norms.users["recipient"], reason="没有开展", today=TODAY)
    row = row_of(norms)
    assert row.norms[Kind.JOINT_RESEARCH].count == 0 and row.silent
    activity_confirm(activity=pending, actor=norms.users["recipient"], today=TODAY)
    row = row_of(norms)
    assert row.norms[Kind.JOINT_RESEARCH].count == 1 and not row.silent


def test_activities_of_another_semester_do_not_count(norms):
    confirmed(norms, Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, 3))
    later = Semester.objects.get(cycle=norms.land.cycle, academic_year=2016, term=2)
    row = next(r for r in compliance(user=SYSTEM, semester=later) if r.pairing == norms.pairing)
    assert row.norms[Kind.JOINT_RESEARCH].count == 0 and row.silent
    assert norm_of(norms, Kind.JOINT_RESEARCH).count == 1


def test_a_silent_pairing_has_no_confirmed_activity(norms):
    row = row_of(norms)
    assert row.silent and not row.compliant
    confirmed(norms, Kind.DONATION, donation_items="图书")  # counts towards no norm, but the pairing worked
    row = row_of(norms)
    assert not row.silent and not row.compliant


def test_a_pairing_active_one_day_of_the_semester_counts_one_ended_before_does_not(norms):
    semester = norms.semester
    Pairing.objects.filter(pk=norms.pairing.pk).update(starts_on=semester.ends_on)
    assert row_of(norms) is not None
    Pairing.objects.filter(pk=norms.pairing.pk).update(
        starts_on=datetime.date(2016, 9, 1), status=PairingStatus.ENDED, ended_on=semester.starts_on
    )
    assert row_of(norms) is not None
    Pairing.objects.filter(pk=norms.pairing.pk).update(ended_on=semester.starts_on - datetime.timedelta(days=1))
    assert row_of(norms) is None
    Pairing.objects.filter(pk=norms.pairing.pk).update(
        status=PairingStatus.ACTIVE, ended_on=None, starts_on=semester.ends_on + datetime.timedelta(days=1)
    )
    assert row_of(norms) is None
    Pairing.objects.filter(pk=norms.pairing.pk).update(status=PairingStatus.PROPOSED, starts_on=semester.starts_on)
    assert row_of(norms) is None


# --- which norm applies -----------------------------------------------------------------------------------------


def test_a_stage_specific_norm_overrides_the_general_one(norms):
    confirmed(norms, Kind.JOINT_RESEARCH)
    confirmed(norms, Kind.JOINT_RESEARCH)
    assert norm_of(norms, Kind.JOINT_RESEARCH).met
    base = {"cycle": norms.land.cycle, "kind": Kind.JOINT_RESEARCH, "counts": NormCounts.TIMES}
    norm_save(norm=Norm(**base, stage=Stage.PRESCHOOL, required=1), actor=SYSTEM)  # another stage: no effect
    assert norm_of(norms, Kind.JOINT_RESEARCH).required == 2
    norm_save(norm=Norm(**base, tier=Tier.TOWNSHIP_VILLAGE, required=3), actor=SYSTEM)
    assert norm_of(norms, Kind.JOINT_RESEARCH).required == 3
    norm_save(norm=Norm(**base, stage=Stage.COMPULSORY, required=4), actor=SYSTEM)
    assert norm_of(norms, Kind.JOINT_RESEARCH).required == 4
    norm_save(norm=Norm(**base, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE, required=5), actor=SYSTEM)
    result = norm_of(norms, Kind.JOINT_RESEARCH)
    assert (result.count, result.required, result.met) == (2, 5, False)
    # The cross-county pairing is at another tier (city–county): the stage's norm applies to it.
    assert norm_of(norms, Kind.JOINT_RESEARCH, pairing=norms.land.cross_pairing).required == 4


def test_a_later_cycles_norm_does_not_change_the_earlier_cycles_figures(norms):
    confirmed(norms, Kind.JOINT_RESEARCH)
    confirmed(norms, Kind.JOINT_RESEARCH)
    before = row_of(norms)
    later = CycleFactory(name="2021—2025年结对帮扶", first_academic_year=2021, last_academic_year=2025)
    semesters_ensure(cycle=later, actor=SYSTEM)
    norms_ensure(cycle=later)
    changed = Norm.objects.get(cycle=later, kind=Kind.JOINT_RESEARCH)
    changed.required = 6
    norm_save(norm=changed, actor=SYSTEM, reason="新周期提高要求")
    after = row_of(norms)
    assert after.norms == before.norms and after.norms[Kind.JOINT_RESEARCH].met


# --- scope and filters ------------------------------------------------------------------------------------------


def test_a_county_users_compliance_holds_only_the_pairings_of_its_schools(norms):
    land = norms.land
    rows = compliance(user=norms.users["county"], semester=norms.semester)
    # Its own pairing, and the cross-county pairing whose recipient is its school; not the other county's.
    assert {r.pairing for r in rows} == {land.own_pairing, land.cross_pairing}
    assert {r.pairing for r in compliance(user=norms.users["other_county"], semester=norms.semester)} == {
        land.other_pairing
    }
    assert {r.pairing for r in compliance(user=SYSTEM, semester=norms.semester)} == {
        land.own_pairing, land.other_pairing, land.cross_pairing
    }  # fmt: skip
    assert {r.pairing for r in compliance(user=norms.users["school"], semester=norms.semester)} == {land.own_pairing}
    # A helping district's bureau follows the pairings its schools help in another county, and nothing else.
    assert {r.pairing for r in compliance(user=norms.users["district"], semester=norms.semester)} == {
        land.cross_pairing
    }


def test_a_cycle_without_norms_judges_no_pairing_compliant(norms):
    Norm.objects.filter(cycle=norms.land.cycle).delete()
    rows = compliance(user=SYSTEM, semester=norms.semester)
    assert rows and all(not r.norms and not r.compliant for r in rows)


def test_the_filters_narrow_by_the_recipients_county_the_stage_and_the_tier(norms):
    land = norms.land
    by_county = compliance(user=SYSTEM, semester=norms.semester, county=land.own)
    assert {r.pairing for r in by_county} == {land.own_pairing, land.cross_pairing}
    assert all(r.county == land.own for r in by_county)
    by_tier = compliance(user=SYSTEM, semester=norms.semester, tier=Tier.CITY_COUNTY)
    assert [r.pairing for r in by_tier] == [land.cross_pairing]
    assert compliance(user=SYSTEM, semester=norms.semester, stage=Stage.PRESCHOOL) == []
    # Another county's filter does not widen a county user's scope.
    assert compliance(user=norms.users["county"], semester=norms.semester, county=land.other) == []


def test_the_selector_runs_the_same_queries_for_1_and_for_500_pairings(norms):
    land, semester = norms.land, norms.semester
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher, norms.helper_key])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            rows = compliance(user=norms.users["county"], semester=semester, tier=Tier.TOWNSHIP_VILLAGE)
            figures = [(r.compliant, r.silent, [(n.count, n.met) for n in r.norms.values()]) for r in rows]
        assert figures
        return len(rows), len(context.captured_queries)

    pairings_seen, one = queries()
    assert pairings_seen == 1
    recipients = School.objects.bulk_create(
        School(name=f"规模村小{i}", school_type=SchoolType.PRIMARY, county=land.own, township=norms.recipient.township,
               location=Location.VILLAGE)
        for i in range(499)
    )  # fmt: skip
    pairings = Pairing.objects.bulk_create(
        Pairing(cycle=land.cycle, helper=norms.helper, recipient=school, stage=Stage.COMPULSORY,
                tier=Tier.TOWNSHIP_VILLAGE, arranged_by=ArrangedBy.COUNTY, arranged_by_county=land.own,
                status=PairingStatus.ACTIVE, starts_on=datetime.date(2016, 9, 1))
        for school in recipients
    )  # fmt: skip
    teachers = Staff.objects.bulk_create(
        Staff(school=school, name="规模教师", post=Post.KEY_STAFF) for school in recipients
    )
    activities = Activity.objects.bulk_create(
        Activity(pairing=pairing, date=datetime.date(2016, 10, 5), semester=semester, form=Form.LECTURE,
                 measure=Measure.MANAGEMENT, kind=kind, entered_by=EnteredBy.COUNTY,
                 status=Confirmation.CONFIRMED)
        for pairing in pairings for kind in (Kind.SECONDMENT, Kind.JOINT_RESEARCH)
    )  # fmt: skip
    Activity.participants.through.objects.bulk_create(
        Activity.participants.through(activity=activity, staff=teacher)
        for activity, teacher in zip(activities[::2], teachers, strict=True)
    )
    assert queries() == (500, one)
    rows = compliance(user=norms.users["county"], semester=semester, tier=Tier.TOWNSHIP_VILLAGE)
    bulk = next(r for r in rows if r.pairing == pairings[0])
    assert bulk.norms[Kind.SECONDMENT].count == 1 and bulk.norms[Kind.JOINT_RESEARCH].count == 1


# --- the command ------------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("compliance", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_json_with_the_required_keys(norms):
    confirmed(norms, Kind.JOINT_RESEARCH)
    confirmed(norms, Kind.JOINT_RESEARCH)
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    data = json.loads(run("--semester", "2016-1", "--format", "json"))
    assert len(data) == 3
    own = next(item for item in data if item["pairing"] == norms.pairing.pk)
    assert set(own) >= {"pairing", "helper", "recipient", "county", "stage", "tier", "norms", "compliant"}
    assert own["helper"] == "甲镇中心小学" and own["recipient"] == "甲村小学" and own["county"] == "甲县"
    assert (own["stage"], own["tier"]) == (Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE)
    assert set(own["norms"]) == set(FIVE)
    assert own["norms"]["joint_research"] == {"count": 2, "required": 2, "met": True}
    assert own["norms"]["teaching_delivery"] == {"count": 1, "required": 2, "met": False}
    assert own["compliant"] is False and own["silent"] is False


def test_the_command_filters_by_county_and_reads_as_a_user(norms):
    data = json.loads(run("--semester", "2016-1", "--county", "乙县", "--format", "json"))
    assert [item["pairing"] for item in data] == [norms.land.other_pairing.pk]
    data = json.loads(run("--semester", "2016-1", "--user", "school", "--format", "json"))
    assert [item["pairing"] for item in data] == [norms.pairing.pk]
    data = json.loads(run("--semester", "2016-1", "--tier", "市—县", "--format", "json"))
    assert [item["pairing"] for item in data] == [norms.land.cross_pairing.pk]


def test_the_command_prints_a_table_in_chinese(norms):
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    table = run("--semester", "2016-1", "--county", "甲县")
    lines = table.splitlines()
    assert re.match(r"帮扶学校\s+受援学校\s+", lines[0]) and "送教" in lines[0] and "达标" in lines[0]
    own = next(line for line in lines if line.startswith("甲镇中心小学"))
    assert "1/2✗" in own
    assert lines[-1] == "2 个结对中 0 个达标。"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--semester", "2099-1"], "没有"),
        (["--semester", "下学期"], "没有"),
        (["--semester", "2016-1", "--county", "丁县"], "丁县"),
        (["--semester", "2016-1", "--stage", "大学"], "大学"),
        (["--semester", "2016-1", "--user", "nobody"], "nobody"),
    ],
)
def test_the_command_refuses_bad_arguments_in_chinese(norms, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


# --- the home page ----------------------------------------------------------------------------------------------


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def test_a_schools_home_shows_each_norm_of_its_pairing_and_what_awaits_it(norms, as_user, today):
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    norms.activity("helper", kind=Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, 18))
    client = as_user("school")  # the recipient
    html = client.get(reverse("admin:index")).content.decode()
    assert "本学期规定次数 · 受甲镇中心小学帮扶" in html
    assert "送教 <b>1/2</b>" in html and "联合教研 <b>0/2</b>" in html and "挂职锻炼 <b>0/2</b>" in html
    assert "5项中5项未达标" in html
    awaiting = re.search(r'<a href="([^"]+)">\s*<span class="home-label">待本校确认的对方活动</span>\s*'
                         r'<span class="home-count">(\d+)</span>', html)  # fmt: skip
    assert awaiting and awaiting[1] == reverse("admin:activities_activity_changelist") + "?awaiting=me"
    assert awaiting[2] == "1"
    listing = client.get(awaiting[1].replace("&amp;", "&")).content.decode()
    assert "2016-10-18" in listing or "2016年10月18日" in listing
    pairing_link = re.search(r'<a href="([^"]+)">\s*<span class="home-label">本学期规定次数', html)[1]
    assert client.get(pairing_link.replace("&amp;", "&")).status_code == 200


def test_the_helpers_home_names_the_recipient(norms, client, today):
    client.force_login(norms.users["helper"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "本学期规定次数 · 帮扶甲村小学" in html
    assert "本学期没有已确认的活动" in html  # a silent pairing says so, not "5 of 5 not met"


def test_county_and_city_homes_show_the_share_of_compliant_pairings(norms, client, today):
    for kind in FIVE:
        norm = Norm.objects.get(kind=kind)
        norm.required = 1
        norm_save(norm=norm, actor=SYSTEM, reason="测试")
    confirmed(norms, Kind.SECONDMENT, [norms.recipient_key])
    confirmed(norms, Kind.ONSITE_GUIDANCE, [norms.helper_key])
    confirmed(norms, Kind.TEACHING_DELIVERY, [norms.helper_teacher])
    confirmed(norms, Kind.OBSERVATION_VISIT)
    confirmed(norms, Kind.JOINT_RESEARCH)
    norms.activity("helper", kind=Kind.JOINT_RESEARCH, date=datetime.date(2016, 10, 18))  # awaiting the partner
    client.force_login(norms.users["county"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "本学期达标的结对" in html and "1 / 2（50%）" in html
    awaiting = re.search(
        r'<span class="home-label">待学校确认的活动</span>\s*<span class="home-count">(\d+)</span>', html
    )
    assert awaiting and awaiting[1] == "1"
    client.force_login(norms.users["city"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "1 / 3（33%）" in html and "甲县 <b>1/2</b>" in html and "乙县 <b>0/1</b>" in html


def test_the_homes_share_is_counted_in_the_database_as_compliance_judges_each_pairing(norms, today):
    """The county's and the city's share item counts with compliance_tally (a fixed number of queries); it gives
    what judging every pairing with `compliance` gives, per county too."""
    from activities.home import _share_item
    from liuzhou_pairing.home import county_display_name

    confirmed(norms, Kind.SECONDMENT, [norms.recipient_key])
    confirmed(norms, Kind.JOINT_RESEARCH)
    for role, per_county in (("county", False), ("city", True)):
        user = norms.users[role]
        rows = compliance(user=user, semester=norms.semester)
        met = sum(row.compliant for row in rows)
        with CaptureQueriesContext(connection) as queries:
            item = _share_item(user, norms.semester, per_county=per_county)
        assert len(queries) <= 6
        assert item.status.startswith(f"{met} / {len(rows)}")
        assert f"{sum(row.silent for row in rows)}" in item.note
        if per_county:
            expected = {}
            for row in rows:
                name = county_display_name(row.county)
                done, total = expected.get(name, (0, 0))
                expected[name] = (done + row.compliant, total + 1)
            assert dict(item.details) == {name: f"{done}/{total}" for name, (done, total) in expected.items()}
