"""Semesters are rows with dates, made with their cycle; pairings have start dates and belong to the semesters
in which they were active."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.liuzhou import liuzhou_arrangements_load, liuzhou_cycle
from pairings.models import Pairing, Semester
from pairings.selectors import current_semester
from pairings.services import cycle_create, cycle_update, pairing_end, semester_update
from tests.accounts.conftest import create

pytestmark = pytest.mark.django_db

D = datetime.date


def make_cycle(**overrides):
    fields = dict(name="2016—2020年结对帮扶", first_academic_year=2016, last_academic_year=2020,
                  work_plan_deadline=D(2016, 9, 15), agreement_deadline=D(2016, 9, 30))  # fmt: skip
    return cycle_create(actor=SYSTEM, **{**fields, **overrides})


def test_r3_a_cycle_is_made_with_a_row_per_semester_and_default_dates():
    cycle = make_cycle()
    semesters = list(cycle.semester_rows.order_by("starts_on"))
    assert [s.token for s in semesters] == ["2016-1", "2016-2", "2017-1", "2017-2", "2018-1", "2018-2", "2019-1",
                                            "2019-2", "2020-1"]  # fmt: skip
    first, second = semesters[0], semesters[1]
    assert first.label == "2016—2017学年第一学期"
    assert (first.starts_on, first.ends_on, first.entry_closes_on) == (D(2016, 9, 1), D(2017, 2, 28), D(2017, 3, 30))
    assert (second.starts_on, second.ends_on) == (D(2017, 3, 1), D(2017, 8, 31))
    assert semesters[6].ends_on == D(2020, 2, 29)  # a leap year
    assert cycle.first_day == D(2016, 9, 1)


def test_r3_load_liuzhou_makes_the_semesters_of_its_cycle(liuzhou):
    liuzhou_arrangements_load()
    cycle = liuzhou_cycle()
    assert cycle.semester_rows.count() == 9
    assert Pairing.objects.filter(cycle=cycle).exclude(starts_on=D(2016, 9, 1)).count() == 0


def test_r3_changing_a_cycles_range_changes_its_semesters():
    cycle = make_cycle()
    cycle_update(cycle=cycle, actor=SYSTEM, reason="延长一学期", last_term=2)
    assert cycle.semester_rows.order_by("starts_on").last().token == "2020-2"


def test_the_city_edits_a_semesters_dates_and_no_one_else(world):
    county = create(username="county", role="county", county=world.county)[0]
    city = create(username="city", role="city")[0]
    semester = make_cycle(name="另一周期", first_academic_year=2021, last_academic_year=2021).semester_rows.first()
    with pytest.raises(NotAllowed):
        semester_update(semester=semester, actor=county, ends_on=D(2022, 1, 20))
    semester_update(semester=semester, actor=city, ends_on=D(2022, 1, 20), entry_closes_on=D(2022, 2, 20))
    assert Semester.objects.get(pk=semester.pk).ends_on == D(2022, 1, 20)
    with pytest.raises(ValidationError):
        semester_update(semester=semester, actor=city, ends_on=D(2021, 8, 1))


def test_the_current_semester_is_the_latest_started_and_stays_the_last_after_the_cycle():
    make_cycle()
    assert current_semester(today=D(2016, 8, 31)) is None
    assert current_semester(today=D(2016, 9, 1)).token == "2016-1"
    assert current_semester(today=D(2018, 3, 15)).token == "2017-2"
    assert current_semester(today=D(2026, 11, 29)).token == "2020-1"
    make_cycle(name="2021—2025年结对帮扶", first_academic_year=2021, last_academic_year=2025)
    assert current_semester(today=D(2026, 11, 29)).token == "2025-1"


def test_a_pairing_starts_on_the_cycles_first_day_unless_given_and_belongs_to_the_semesters_it_was_active(world):
    cycle = world.cycle
    from pairings.services import semesters_ensure

    semesters_ensure(cycle=cycle, actor=SYSTEM)
    early = world.pair(world.urban(), world.central())
    later = world.pair(world.urban("城区二小"), world.central("甲镇第二中心小学"), starts_on=D(2018, 4, 10))
    assert early.starts_on == D(2016, 9, 1)
    pairing_end(pairing=early, actor=SYSTEM, on=D(2017, 3, 1), reason="学校调整")
    by_token = {s.token: s for s in cycle.semester_rows.all()}
    assert set(Pairing.objects.active_in(by_token["2016-1"])) == {early}
    assert set(Pairing.objects.active_in(by_token["2016-2"])) == {early}  # active on 1 March 2017
    assert set(Pairing.objects.active_in(by_token["2017-2"])) == {later}  # from April 2018
    assert set(Pairing.objects.active_in(by_token["2017-1"])) == set()


def test_a_pairing_cannot_end_before_it_started(world):
    pairing = world.pair(world.urban(), world.central(), starts_on=D(2018, 4, 10))
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期|开始之前"):
        pairing_end(pairing=pairing, actor=SYSTEM, on=D(2018, 1, 1), reason="学校调整")


def test_a_county_sees_the_semesters(world):
    county = create(username="c2", role="county", county=world.county)[0]
    make_cycle(name="周期二", first_academic_year=2021, last_academic_year=2021)
    assert Semester.objects.for_user(county).count() == 1
