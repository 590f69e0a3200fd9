"""Coverage (R1): per county and stage, in a bounded number of queries whatever the data size."""

import pytest

from liuzhou_pairing.actors import SYSTEM
from pairings.selectors import coverage, uncovered_counts, warnings_by_county
from schools.choices import Location, Ownership, SchoolType, Stage, Standing
from schools.models import School
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


def test_r1_coverage_lists_public_schools_in_no_active_pairing(world):
    helper, central = world.urban(), world.central()
    world.pair(helper, central)
    left_out = world.village_school("甲村小学")
    private_in = world.school("民办幼儿园", SchoolType.KINDERGARTEN, ownership=Ownership.PRIVATE,
                              standing=Standing.HIGH_QUALITY)  # fmt: skip
    world.school("民办幼儿园二", SchoolType.KINDERGARTEN, ownership=Ownership.PRIVATE)
    world.pair(private_in, world.central("甲镇中心幼儿园", SchoolType.KINDERGARTEN), Stage.PRESCHOOL,
               "county_township")  # fmt: skip
    rows = {(r.county.name, r.stage): r for r in coverage(cycle=world.cycle, user=SYSTEM)}
    compulsory = rows[("测试县", Stage.COMPULSORY)]
    assert compulsory.uncovered == [left_out]
    assert (compulsory.public_total, compulsory.public_covered) == (2, 1)
    assert rows[("测试城区", Stage.COMPULSORY)].uncovered == []
    preschool = rows[("测试县", Stage.PRESCHOOL)]
    assert (preschool.private_total, preschool.private_participating, preschool.private_rate) == (2, 1, 0.5)
    assert preschool.uncovered == []


def test_r1_coverage_is_per_stage_and_counts_lead_schools(world):
    complete = world.school("完全中学", SchoolType.COMPLETE_MIDDLE)
    world.pair(world.urban(), complete)
    lead = SchoolFactory(name="市特校", school_type=SchoolType.SPECIAL, county=None, is_city_administered=True)
    a = world.urban("甲特校", SchoolType.SPECIAL)
    b = world.school("乙特校", SchoolType.SPECIAL)
    world.pair(a, b, Stage.SPECIAL, "city_county", lead_school=lead)
    rows = coverage(cycle=world.cycle, user=SYSTEM)
    high = next(r for r in rows if r.stage == Stage.HIGH_SCHOOL)
    assert high.uncovered == [complete]  # paired for compulsory, not for high school
    assert not any(lead in r.uncovered for r in rows)


def test_the_home_pages_gap_counts_are_the_coverage_lists_lengths(world, django_assert_num_queries):
    """`uncovered_counts` counts in the database what `coverage` lists: per county, every (school, stage) gap —
    a nine-year school unpaired counts at each stage it serves; a lead school, a paired stage, a private school not."""
    complete = world.school("完全中学", SchoolType.COMPLETE_MIDDLE)
    world.pair(world.urban(), complete)
    world.village_school("甲村小学")
    world.school("民办小学", SchoolType.PRIMARY, ownership=Ownership.PRIVATE)
    lead = SchoolFactory(name="市特校", school_type=SchoolType.SPECIAL, county=None, is_city_administered=True)
    world.pair(world.urban("甲特校", SchoolType.SPECIAL), world.school("乙特校", SchoolType.SPECIAL), Stage.SPECIAL,
               "city_county", lead_school=lead)  # fmt: skip
    SchoolFactory(name="市直小学", school_type=SchoolType.PRIMARY, county=None, is_city_administered=True)
    from accounts.services import user_create

    county_user = user_create(actor=SYSTEM, username="gaps", role="county", county=complete.county)[0]
    for user in (SYSTEM, county_user):
        expected: dict = {}
        for row in coverage(cycle=world.cycle, user=user):
            if row.uncovered:
                key = row.county.pk if row.county else None
                expected[key] = expected.get(key, 0) + len(row.uncovered)
        with django_assert_num_queries(1):
            counts = uncovered_counts(cycle=world.cycle, user=user)
        assert {k: n for k, n in counts.items() if n} == expected
        assert expected and sum(expected.values()) >= 2
        assert (None in expected) == (user is SYSTEM)  # the city-administered school: the city's alone


def test_r1_closed_and_ended_do_not_count(world):
    import datetime

    from pairings.services import pairing_end

    central = world.central()
    pairing = world.pair(world.urban(), central)
    pairing_end(pairing=pairing, actor=SYSTEM, on=datetime.date(2018, 1, 1), reason="调整")
    rows = {(r.county.name, r.stage): r for r in coverage(cycle=world.cycle, user=SYSTEM)}
    assert central in rows[("测试县", Stage.COMPULSORY)].uncovered


@pytest.mark.parametrize("size", [10, 1000])
def test_r1_coverage_runs_a_bounded_number_of_queries(world, size, django_assert_max_num_queries):
    helpers = [world.urban("帮扶小学")]
    School.objects.bulk_create(
        School(name=f"规模测试学校{i}", school_type=SchoolType.PRIMARY if i % 2 else SchoolType.KINDERGARTEN,
               county=world.county if i % 3 else world.district, location=Location.COUNTY_TOWN,
               ownership=Ownership.PUBLIC if i % 5 else Ownership.PRIVATE)
        for i in range(size)
    )  # fmt: skip
    recipients = School.objects.filter(name__startswith="规模测试学校", county=world.county,
                                       school_type=SchoolType.PRIMARY, ownership=Ownership.PUBLIC)[:5]  # fmt: skip
    for recipient in recipients:
        world.pair(helpers[0], recipient)
    with django_assert_max_num_queries(2):
        rows = coverage(cycle=world.cycle, user=SYSTEM)
        total = sum(r.public_total + r.private_total for r in rows)
        names = [s.name for r in rows for s in r.uncovered]
    assert total == size + 1
    assert len(names) == sum(r.public_total for r in rows) - len(recipients) - 1


def test_warnings_are_listed_per_arranging_county(world):
    a = world.pair(world.urban(standing=Standing.ORDINARY), world.central(), arranged_by_county=world.district)
    world.pair(world.urban("优质小学"), world.central("乙镇中心小学", township=world.other_town))
    groups = warnings_by_county(cycle=world.cycle, user=SYSTEM)
    assert [(g.county.name, g.pairings) for g in groups] == [("测试城区", [a])]
