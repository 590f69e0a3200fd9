"""A school change cannot silently break a pairing: its live pairings are re-checked in the same transaction,
warnings never go stale, and closing a school ends its pairings."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import PairingStatus, Tier
from pairings.models import Pairing
from pairings.selectors import coverage
from schools.choices import SchoolType, Stage, Standing
from schools.services import school_close, school_update
from tests.accounts.conftest import create

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed(world):
    helper = world.urban("城区高中", SchoolType.SENIOR_HIGH)
    recipient = world.school("县高中", SchoolType.SENIOR_HIGH)
    return world.pair(helper, recipient, Stage.HIGH_SCHOOL, Tier.CITY_COUNTY, is_city_fixed=True)


def test_a_change_that_would_break_a_live_pairing_is_refused_naming_it(world, fixed):
    county = create(username="county", role="county", county=world.county)[0]
    with pytest.raises(ValidationError, match="城区高中 → 县高中"):
        school_update(school=fixed.recipient, actor=county, school_type=SchoolType.PRIMARY)
    fixed.recipient.refresh_from_db()
    assert fixed.recipient.school_type == SchoolType.SENIOR_HIGH


def test_warnings_follow_a_change_of_standing(world):
    pairing = world.pair(world.urban(standing=Standing.ORDINARY), world.central())
    assert pairing.warnings == ["helper_not_high_quality"]
    school_update(school=pairing.helper, actor=SYSTEM, standing=Standing.HIGH_QUALITY)
    assert Pairing.objects.get(pk=pairing.pk).warnings == []
    school_update(school=pairing.recipient, actor=SYSTEM, standing=Standing.ORDINARY)
    assert Pairing.objects.get(pk=pairing.pk).warnings == ["recipient_not_weak"]


def test_r1_closing_a_school_ends_its_pairings_and_its_partner_shows_in_the_coverage_gaps(world):
    helper, recipient = world.urban(), world.central()
    pairing = world.pair(helper, recipient)
    county = create(username="county", role="county", county=world.county)[0]
    school_close(school=recipient, actor=county, on=datetime.date(2018, 7, 1))
    pairing.refresh_from_db()
    assert (pairing.status, pairing.ended_on) == (PairingStatus.ENDED, datetime.date(2018, 7, 1))
    assert "甲镇中心小学" in pairing.end_reason
    assert pairing.history.first().history_user == county
    rows = {(r.county.name, r.stage): r for r in coverage(cycle=world.cycle, user=SYSTEM)}
    assert helper in rows[("测试城区", Stage.COMPULSORY)].uncovered


def test_r16_a_school_of_a_city_fixed_pairing_is_closed_only_by_the_city(world, fixed):
    county = create(username="county", role="county", county=world.county)[0]
    with pytest.raises(NotAllowed, match="市局统筹"):
        school_close(school=fixed.recipient, actor=county, on=datetime.date(2018, 7, 1))
    assert Pairing.objects.get(pk=fixed.pk).status == PairingStatus.ACTIVE
    city = create(username="city", role="city")[0]
    school_close(school=fixed.recipient, actor=city, on=datetime.date(2018, 7, 1))
    assert Pairing.objects.get(pk=fixed.pk).status == PairingStatus.ENDED
