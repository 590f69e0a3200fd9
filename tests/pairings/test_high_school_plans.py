"""R14: the plan of a city–county high-school pair is drafted by the recipient school with its county bureau;
the helper's side reads it, and the recipient's side sees the pair's work plan."""

import pytest

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Agreement, WorkPlan
from pairings.services import agreement_save
from schools.choices import SchoolType, Stage
from tests.accounts.conftest import create

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(world):
    helper = world.urban("城区高中", SchoolType.SENIOR_HIGH)
    recipient = world.school("县高中", SchoolType.SENIOR_HIGH)
    pairing = world.pair(helper, recipient, Stage.HIGH_SCHOOL, Tier.CITY_COUNTY, is_city_fixed=True)
    agreement = agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)
    users = {
        "recipient school": create(username="rs", role="school", school=recipient)[0],
        "recipient county": create(username="rc", role="county", county=world.county)[0],
        "helper school": create(username="hs", role="school", school=helper)[0],
        "helper county": create(username="hc", role="county", county=world.district)[0],
    }
    return pairing, agreement, users


@pytest.mark.parametrize("who", ["recipient school", "recipient county"])
def test_r14_the_recipient_side_drafts_the_high_school_plan(pair, who):
    _pairing, agreement, users = pair
    agreement.plan = "一对帮扶一精准方案：课程改革与质量提升"
    agreement_save(agreement=agreement, actor=users[who])
    assert Agreement.objects.get(pk=agreement.pk).plan.startswith("一对帮扶")


@pytest.mark.parametrize("who", ["helper school", "helper county"])
def test_r14_the_helper_side_reads_the_high_school_plan(pair, who):
    _pairing, agreement, users = pair
    agreement.plan = "帮扶方改写的方案"
    with pytest.raises(NotAllowed, match="精准帮扶方案"):
        agreement_save(agreement=agreement, actor=users[who])
    assert Agreement.objects.get(pk=agreement.pk).plan == ""


def test_r14_in_other_pairs_school_staff_change_only_the_scan(world):
    pairing = world.pair(world.urban(), world.central())
    agreement = agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)
    user = create(username="rs", role="school", school=pairing.recipient)[0]
    agreement.plan = "受援方改写的方案"
    with pytest.raises(NotAllowed):
        agreement_save(agreement=agreement, actor=user)


def test_r14_the_recipient_side_sees_the_pairs_work_plan(pair, world):
    pairing, _agreement, users = pair
    plan = WorkPlan.objects.create(cycle=world.cycle, school=pairing.helper)
    other = WorkPlan.objects.create(cycle=world.cycle, school=world.urban("别的高中", SchoolType.SENIOR_HIGH))
    for who in ("recipient school", "recipient county", "helper school"):
        visible = set(WorkPlan.objects.for_user(users[who]))
        assert plan in visible and other not in visible, who
    assert not WorkPlan.objects.editable_by(users["recipient school"]).filter(pk=plan.pk).exists()
