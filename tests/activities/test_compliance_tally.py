"""The compliance engine counted in the database (`compliance_tally`): the same figures as judging each pairing
with `compliance` and counting the rows, on data where they could differ, in four queries whatever the number of
pairings and semesters."""

import datetime
from collections import defaultdict

import pytest

from activities.choices import Kind, NormCounts, Post
from activities.liuzhou import norms_ensure
from activities.models import Norm, Staff
from activities.selectors import Tally, compliance, compliance_tally
from activities.services import activity_reject, staff_save
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Side, Tier
from pairings.models import Semester
from pairings.services import pairing_create, pairing_end
from schools.choices import Stage
from tests.factories import SchoolFactory, TownshipFactory, VillageFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def straightforward(user, semester, county=None) -> dict[tuple[int | None, str], Tally]:
    """Each pairing judged by `compliance`, counted per recipient's county and stage."""
    tallies: dict[tuple[int | None, str], Tally] = defaultdict(Tally)
    for row in compliance(user=user, semester=semester, county=county):
        tally = tallies[(row.recipient.county_id, row.stage)]
        tally.pairings += 1
        tally.compliant += row.compliant
        tally.silent += row.silent
        for kind, norm in row.norms.items():
            if not norm.met:
                tally.short[kind] = tally.short.get(kind, 0) + 1
    return dict(tallies)


def grow(acts, n: int, county=None) -> list:
    """`n` more township–village pairings of compulsory education in `county` (the own county by default)."""
    county = county or acts.land.own
    made = []
    for i in range(n):
        town = TownshipFactory(county=county)
        helper = SchoolFactory(name=f"{county.name}{town.pk}镇中心小学{i}", county=county, township=town,
                               is_central=True)  # fmt: skip
        recipient = SchoolFactory(name=f"{county.name}{town.pk}村小学{i}", county=county, township=town,
                                  village=VillageFactory(township=town))  # fmt: skip
        made.append(pairing_create(helper=helper, recipient=recipient, stage=Stage.COMPULSORY,
                                   tier=Tier.TOWNSHIP_VILLAGE, cycle=acts.land.cycle, actor=SYSTEM,
                                   arranged_by_county=county))  # fmt: skip
    return made


@pytest.fixture
def edges(acts):
    """The plan's norms plus one that applies only to township–village compulsory pairings (and one kind with no
    norm at every other stage and tier); activities confirmed, awaiting confirmation, rejected, of another
    semester, with key staff and teachers taking part; a pairing ended mid-semester."""
    norms_ensure(cycle=acts.land.cycle)
    cycle = acts.land.cycle
    Norm.objects.create(cycle=cycle, kind=Kind.TEACHING_DELIVERY, counts=NormCounts.TIMES, side=Side.BOTH,
                        stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE, required=1)  # fmt: skip
    Norm.objects.create(cycle=cycle, kind=Kind.ONSITE_GUIDANCE, counts=NormCounts.PEOPLE, side=Side.BOTH,
                        key_staff_only=False, stage=Stage.PRESCHOOL, tier="", required=1)  # fmt: skip
    acts.semester = Semester.objects.get(cycle=cycle, academic_year=2016, term=1)
    acts.later = Semester.objects.get(cycle=cycle, academic_year=2016, term=2)
    days = iter(range(1, 28))

    def day():
        return datetime.date(2016, 10, next(days))

    recipient_teacher = staff_save(staff=Staff(school=acts.recipient, name="刘老师", post=Post.TEACHER), actor=SYSTEM)
    recipient_leader = staff_save(staff=Staff(school=acts.recipient, name="陈校长", post=Post.LEADER), actor=SYSTEM)
    helper_leader = staff_save(staff=Staff(school=acts.helper, name="周校长", post=Post.LEADER), actor=SYSTEM)
    # Enough of everything for the own pairing to be compliant but for the pending and rejected ones.
    for kind in (Kind.OBSERVATION_VISIT, Kind.OBSERVATION_VISIT, Kind.JOINT_RESEARCH, Kind.JOINT_RESEARCH):
        acts.activity("county", kind=kind, date=day(), participants=[acts.helper_teacher])
    acts.activity("county", kind=Kind.SECONDMENT, date=day(),
                  participants=[acts.recipient_key, recipient_teacher, recipient_leader])  # fmt: skip
    acts.activity("county", kind=Kind.ONSITE_GUIDANCE, date=day(),
                  participants=[acts.helper_key, acts.helper_teacher, helper_leader])  # fmt: skip
    acts.activity("county", kind=Kind.TEACHING_DELIVERY, date=day(),
                  participants=[acts.helper_key, acts.helper_teacher])  # fmt: skip
    acts.activity("helper", kind=Kind.SECONDMENT, date=day(), participants=[acts.recipient_key])  # awaiting
    rejected = acts.activity("helper", kind=Kind.ONSITE_GUIDANCE, date=day(), participants=[acts.helper_key])
    activity_reject(activity=rejected, actor=acts.users["recipient"], reason="没有开展", today=TODAY)
    # The next semester: one confirmed activity, counted there only.
    acts.activity("county", kind=Kind.JOINT_RESEARCH, date=datetime.date(2017, 3, 10),
                  today=datetime.date(2017, 3, 20))  # fmt: skip
    # More pairings: one with a single activity, one silent, one ended in the middle of the semester.
    busy, silent, ended = grow(acts, 3)
    acts.activity("county", pairing=busy, kind=Kind.TEACHING_DELIVERY, date=day(), participants=[])
    pairing_end(pairing=ended, actor=SYSTEM, on=datetime.date(2016, 12, 1), reason="撤并")
    return acts


def test_the_tally_counts_as_each_pairing_is_judged(edges):
    for role in ("city", "county", "other_county", "district"):
        user = edges.users[role]
        both = compliance_tally(user=user, semesters=[edges.semester, edges.later])
        for semester in (edges.semester, edges.later):
            assert both[semester.pk] == straightforward(user, semester), (role, semester)
    city = edges.users["city"]
    tally = compliance_tally(user=city, semesters=[edges.semester])[edges.semester.pk]
    own = tally[(edges.land.own.pk, Stage.COMPULSORY)]
    assert own.pairings == 5 and own.compliant >= 1 and own.silent >= 1, own  # the ended one counts in its semester
    narrowed = compliance_tally(user=city, semesters=[edges.semester], county=edges.land.other)[edges.semester.pk]
    assert narrowed == straightforward(city, edges.semester, county=edges.land.other)
    assert {county for county, _stage in narrowed} == {edges.land.other.pk}
    # After the semester the ended pairing is gone.
    later = compliance_tally(user=city, semesters=[edges.later])[edges.later.pk]
    assert later[(edges.land.own.pk, Stage.COMPULSORY)].pairings == 4


def test_the_tally_with_no_norms_judges_no_pairing_compliant(acts):
    semester = Semester.objects.get(cycle=acts.land.cycle, academic_year=2016, term=1)
    acts.activity("county")
    tally = compliance_tally(user=acts.users["city"], semesters=[semester])[semester.pk]
    assert tally == straightforward(acts.users["city"], semester)
    assert sum(t.pairings for t in tally.values()) == 3 and not any(t.compliant for t in tally.values())


@pytest.mark.parametrize("role", ["city", "county"])
def test_the_tally_runs_four_queries_for_3_pairings_as_for_30(edges, role, django_assert_num_queries):
    user = edges.users[role]
    semesters = list(Semester.objects.filter(cycle=edges.land.cycle).order_by("starts_on"))
    with django_assert_num_queries(4):
        small = compliance_tally(user=user, semesters=semesters[:1])
    grow(edges, 27)
    with django_assert_num_queries(4):
        large = compliance_tally(user=user, semesters=semesters)
    assert (
        sum(t.pairings for t in large[edges.semester.pk].values())
        >= sum(t.pairings for t in small[edges.semester.pk].values()) + 27
    )
