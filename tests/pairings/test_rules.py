"""Each refusal and each warning of the rules engine, named by the requirement it enforces."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import PairingStatus, Tier
from pairings.models import Pairing
from pairings.rules import RULES, RULES_BY_CODE, warning_messages
from pairings.services import pairing_end
from schools.choices import Location, Ownership, SchoolType, Stage, Standing
from schools.services import school_close

pytestmark = pytest.mark.django_db


def refused(world, *args, **kwargs) -> str:
    before = Pairing.objects.count()
    with pytest.raises(ValidationError) as exc:
        world.pair(*args, **kwargs)
    assert Pairing.objects.count() == before  # nothing written
    return " ".join(exc.value.messages)


def refused_codes(world, *args, **kwargs) -> set[str]:
    with pytest.raises(ValidationError) as exc:
        world.pair(*args, **kwargs)
    return {error.code for errors in exc.value.error_dict.values() for error in errors}


def test_every_rule_has_a_unique_code_and_a_requirement():
    assert len(RULES_BY_CODE) == len(RULES)
    assert all(rule.requirements.startswith("R") for rule in RULES)


def test_messages_carry_no_requirement_ids():
    """Users read the plan's rules in plain words; each rule keeps its requirement in its own field."""
    import re

    for rule in RULES:
        assert not re.search(r"R\d", str(rule.message)), rule.code


def test_r2_a_school_cannot_help_itself(world):
    school = world.urban()
    assert refused(world, school, school) == "学校不能帮扶自身。"


def test_r5_r15_helper_must_serve_the_stage(world):
    kindergarten = world.urban("城区幼儿园", SchoolType.KINDERGARTEN)
    message = refused(world, kindergarten, world.central(), Stage.COMPULSORY)
    assert message == "“城区幼儿园”不开设义务教育。"


def test_r5_r15_recipient_must_serve_the_stage(world):
    message = refused(world, world.urban(), world.central(), Stage.HIGH_SCHOOL)
    assert message == "“城区实验小学”不开设普通高中。"


def test_r13_a_complete_middle_school_serves_high_school(world):
    helper = world.urban("城区高中", SchoolType.SENIOR_HIGH)
    recipient = world.school("测试县完全中学", SchoolType.COMPLETE_MIDDLE)
    pairing = world.pair(helper, recipient, Stage.HIGH_SCHOOL, Tier.CITY_COUNTY)
    assert pairing.pk


@pytest.mark.parametrize(
    ("stage", "tier", "school_type", "allowed"),
    [
        (Stage.PRESCHOOL, Tier.CITY_COUNTY, SchoolType.KINDERGARTEN, "县—乡、乡—村"),
        (Stage.HIGH_SCHOOL, Tier.COUNTY_TOWNSHIP, SchoolType.SENIOR_HIGH, "市—县"),
        (Stage.HIGH_SCHOOL, Tier.TOWNSHIP_VILLAGE, SchoolType.SENIOR_HIGH, "市—县"),
        (Stage.SPECIAL, Tier.COUNTY_TOWNSHIP, SchoolType.SPECIAL, "市—县"),
    ],
)
def test_r2_r6_r13_r15_stage_and_tier_must_match(world, stage, tier, school_type, allowed):
    helper = world.urban("帮扶方", school_type)
    recipient = world.school("受援方", school_type, township=world.town)
    message = refused(world, helper, recipient, stage, tier)
    assert f"不能建立“{Tier(tier).label}”级结对" in message
    assert f"（可选：{allowed}）" in message


def test_r26_the_same_two_schools_are_paired_once_per_cycle(world):
    helper, recipient = world.urban(), world.central()
    world.pair(helper, recipient)
    assert "在本周期已结对" in refused(world, helper, recipient, Stage.COMPULSORY, Tier.CITY_COUNTY)


def test_r26_an_ended_pair_may_be_paired_again(world):
    helper, recipient = world.urban(), world.central()
    first = world.pair(helper, recipient)
    pairing_end(pairing=first, actor=SYSTEM, on=datetime.date(2017, 7, 1), reason="学校调整")
    again = world.pair(helper, recipient)
    assert again.status == PairingStatus.ACTIVE


def test_r7_compulsory_city_county_within_the_helpers_district_is_allowed(world):
    recipient = world.central("城区镇中心小学", township=world.district_town)
    assert world.pair(world.urban(), recipient).pk


def test_r8_r11_compulsory_city_county_into_the_paired_county_is_allowed(world):
    assert world.pair(world.urban(), world.central()).pk


def test_r7_r8_r11_compulsory_city_county_elsewhere_is_refused(world):
    recipient = world.central("别县中心小学", township=None, county=world.other_county)
    recipient.township = None
    helper = world.urban()
    message = refused(world, helper, world.school("别县小学", county=world.other_county))
    assert "“别县小学”位于别的县" in message
    assert refused_codes(world, helper, world.school("别县二小", county=world.other_county)) == {
        "compulsory_city_county_scope"
    }


def test_r11_the_district_pairing_works_only_one_way(world):
    helper = world.school("县城小学", standing=Standing.HIGH_QUALITY)
    recipient = world.central("城区镇中心小学", township=world.district_town)
    assert refused_codes(world, helper, recipient) == {"compulsory_city_county_scope"}


def test_r6_r10_township_village_stays_within_one_township(world):
    helper = world.central()
    recipient = world.village_school("乙村小学", village=world.other_village)
    message = refused(world, helper, recipient, Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE)
    assert message == "“乡—村”级结对须在同一乡镇内；“甲镇中心小学”与“乙村小学”不在同一乡镇。"


def test_r1_a_closed_school_cannot_be_paired(world):
    recipient = world.central()
    school_close(school=recipient, actor=SYSTEM, on=datetime.date(2017, 1, 1))
    assert refused(world, world.urban(), recipient) == "“甲镇中心小学”已撤销或合并，不能结对。"


def test_all_refusals_of_a_draft_are_reported_together(world):
    helper = world.central()
    school_close(school=helper, actor=SYSTEM, on=datetime.date(2017, 1, 1))
    recipient = world.village_school("乙村小学", village=world.other_village)
    message = refused(world, helper, recipient, Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE)
    assert "已撤销或合并" in message and "同一乡镇" in message


# --- Warnings: the pairing is stored, with the codes -------------------------------------------------------


def test_r5_r7_r9_helper_not_high_quality_warns(world):
    pairing = world.pair(world.urban(standing=Standing.ORDINARY), world.central())
    assert pairing.warnings == ["helper_not_high_quality"]
    assert warning_messages(pairing) == ["帮扶学校未被评为优质学校"]


def test_r1_recipient_not_weak_warns(world):
    pairing = world.pair(world.urban(), world.central(standing=Standing.ORDINARY))
    assert pairing.warnings == ["recipient_not_weak"]


def test_r5_r9_county_township_helper_outside_town_warns(world):
    helper = world.central("乙镇中心小学", township=world.other_town, standing=Standing.HIGH_QUALITY)
    pairing = world.pair(helper, world.central(), Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP)
    assert pairing.warnings == ["county_township_helper_location"]


def test_r9_county_town_helper_at_county_township_does_not_warn(world):
    helper = world.school("县城实验小学", standing=Standing.HIGH_QUALITY, location=Location.COUNTY_TOWN)
    pairing = world.pair(helper, world.central(), Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP)
    assert pairing.warnings == []


def test_r10_village_village_pair_warns(world):
    helper = world.village_school("甲村完小", standing=Standing.ORDINARY)
    recipient = world.village_school("甲村教学点", SchoolType.TEACHING_POINT)
    pairing = world.pair(helper, recipient, Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE)
    assert pairing.warnings == ["village_village_pair"]


def test_r6_r10_central_school_helping_its_village_does_not_warn(world):
    pairing = world.pair(world.central(), world.village_school(), Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE)
    assert pairing.warnings == []


def test_r5_private_kindergarten_helper_not_high_quality_warns(world):
    helper = world.school(
        "县城民办幼儿园", SchoolType.KINDERGARTEN, ownership=Ownership.PRIVATE, standing=Standing.ORDINARY
    )
    recipient = world.central("甲镇中心幼儿园", SchoolType.KINDERGARTEN)
    pairing = world.pair(helper, recipient, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP)
    assert pairing.warnings == ["helper_not_high_quality", "private_kindergarten_helper_not_high_quality"]


def test_r5_high_quality_private_kindergarten_helps_without_warning(world):
    helper = world.school(
        "县城优质民办幼儿园", SchoolType.KINDERGARTEN, ownership=Ownership.PRIVATE, standing=Standing.HIGH_QUALITY
    )
    recipient = world.central("甲镇中心幼儿园", SchoolType.KINDERGARTEN)
    assert world.pair(helper, recipient, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP).warnings == []


def test_r16_city_fixed_pairings_skip_the_standing_warnings(world):
    helper = world.urban("城区高中", SchoolType.SENIOR_HIGH, standing=Standing.ORDINARY)
    recipient = world.school("县高中", SchoolType.SENIOR_HIGH, standing=Standing.ORDINARY)
    pairing = world.pair(helper, recipient, Stage.HIGH_SCHOOL, Tier.CITY_COUNTY, is_city_fixed=True)
    assert pairing.warnings == []


def test_r7_compulsory_city_county_inside_a_county_is_refused(world):
    helper = world.school("县城实验小学", standing=Standing.HIGH_QUALITY)
    assert refused_codes(world, helper, world.central()) == {"city_county_within_a_county"}
    assert "测试县的两所学校应建立“县—乡”级结对" in refused(
        world, helper, world.central("乙镇中心小学", township=world.other_town)
    )


def test_r9_county_township_across_counties_is_refused(world):
    helper = world.school("县城实验小学", standing=Standing.HIGH_QUALITY)
    recipient = world.school("别县中心小学", county=world.other_county, is_central=False, location=Location.TOWNSHIP)
    assert refused_codes(world, helper, recipient, Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP) == {
        "county_township_across_counties"
    }


def test_r9_county_township_recipient_of_another_kind_warns(world):
    helper = world.school("县城实验小学", standing=Standing.HIGH_QUALITY)
    recipient = world.school("县城第二小学", standing=Standing.WEAK, location=Location.COUNTY_TOWN)
    pairing = world.pair(helper, recipient, Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP)
    assert pairing.warnings == ["county_township_recipient_kind"]


def test_r9_a_rural_primary_school_or_teaching_point_is_a_county_township_recipient(world):
    helper = world.school("县城实验小学", standing=Standing.HIGH_QUALITY)
    for recipient in (world.village_school(), world.village_school("甲村教学点", SchoolType.TEACHING_POINT)):
        assert world.pair(helper, recipient, Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP).warnings == []


def test_r5_the_preschool_county_township_recipient_is_a_central_kindergarten(world):
    helper = world.school("县城幼儿园", SchoolType.KINDERGARTEN, standing=Standing.HIGH_QUALITY)
    central = world.central("甲镇中心幼儿园", SchoolType.KINDERGARTEN)
    assert world.pair(helper, central, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP).warnings == []
    other = world.school("甲镇民办幼儿园", SchoolType.KINDERGARTEN, township=world.town, standing=Standing.WEAK)
    pairing = world.pair(helper, other, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP)
    assert pairing.warnings == ["county_township_recipient_kind"]


def test_r6_r10_township_village_recipient_of_another_kind_warns(world):
    recipient = world.school("甲镇第二小学", township=world.town, standing=Standing.WEAK)
    pairing = world.pair(world.central(), recipient, Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE)
    assert pairing.warnings == ["township_village_recipient_kind"]
