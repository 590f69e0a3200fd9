import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from schools.choices import SchoolStatus, SchoolType, Stage
from schools.models import School
from schools.validators import validate_phone, validate_school_code
from tests.factories import (
    CountyFactory,
    ManagementAreaFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "phone",
    ["0772-2815945", "07722815945", "010-12345678", "0772-2815945-123", "13800138000", "19912345678"],
)
def test_valid_phones_pass(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    ["2815945", "772-2815945", "12345678901", "1380013800", "138001380001", "0772 2815945", "电话", "0772-28159"],
)
def test_invalid_phones_are_refused_with_a_chinese_message(phone):
    with pytest.raises(ValidationError) as exc:
        validate_phone(phone)
    assert "请填写带区号的固定电话" in exc.value.messages[0]


@pytest.mark.parametrize("code", ["4502000001", "1450200123"])
def test_ten_digit_school_codes_pass(code):
    validate_school_code(code)


@pytest.mark.parametrize("code", ["450200001", "45020000011", "45020A0001", ""])
def test_bad_school_codes_are_refused(code):
    with pytest.raises(ValidationError, match="10位数字"):
        validate_school_code(code)


@pytest.mark.parametrize(
    ("school_type", "stages"),
    [
        (SchoolType.KINDERGARTEN, (Stage.PRESCHOOL,)),
        (SchoolType.PRIMARY, (Stage.COMPULSORY,)),
        (SchoolType.JUNIOR_MIDDLE, (Stage.COMPULSORY,)),
        (SchoolType.NINE_YEAR, (Stage.COMPULSORY,)),
        (SchoolType.COMPLETE_MIDDLE, (Stage.COMPULSORY, Stage.HIGH_SCHOOL)),
        (SchoolType.SENIOR_HIGH, (Stage.HIGH_SCHOOL,)),
        (SchoolType.SPECIAL, (Stage.SPECIAL,)),
        (SchoolType.TEACHING_POINT, (Stage.COMPULSORY,)),
    ],
)
def test_stages_derive_from_the_school_type(school_type, stages):
    school = School(school_type=school_type)
    assert school.stages == stages
    assert all(school.serves(s) for s in stages)
    assert not any(school.serves(s) for s in set(Stage.values) - set(stages))


def test_r1_stage_filter_counts_complete_middle_schools_in_both_stages():
    SchoolFactory(school_type=SchoolType.COMPLETE_MIDDLE, name="完中")
    SchoolFactory(school_type=SchoolType.SENIOR_HIGH, name="高中")
    SchoolFactory(school_type=SchoolType.PRIMARY, name="小学")
    assert set(School.objects.serving(Stage.HIGH_SCHOOL).values_list("name", flat=True)) == {"完中", "高中"}
    assert set(School.objects.serving(Stage.COMPULSORY).values_list("name", flat=True)) == {"完中", "小学"}


def test_village_must_lie_in_the_schools_township():
    village = VillageFactory()
    other_township = TownshipFactory(county=village.township.county)
    school = SchoolFactory.build(county=village.township.county, township=other_township, village=village)
    with pytest.raises(ValidationError) as exc:
        school.full_clean()
    assert exc.value.message_dict["village"] == [
        f"村（社区）“{village.name}”不属于乡镇（街道）“{other_township.name}”。"
    ]


def test_township_must_lie_in_the_schools_county():
    township = TownshipFactory()
    other_county = CountyFactory()
    school = SchoolFactory.build(county=other_county, township=township)
    with pytest.raises(ValidationError) as exc:
        school.full_clean()
    assert exc.value.message_dict["township"] == [f"乡镇（街道）“{township.name}”不属于{other_county.name}。"]


def test_r4_management_area_counts_under_its_county():
    area = ManagementAreaFactory()
    good = SchoolFactory.build(county=area.county, management_area=area)
    good.full_clean()
    bad = SchoolFactory.build(county=CountyFactory(), management_area=area)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert f"{area.name}归属{area.county.name}" in exc.value.message_dict["management_area"][0]


def test_village_without_township_is_refused_by_the_database():
    village = VillageFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.create(name="x", school_type=SchoolType.PRIMARY, county=None, village=village)


def test_township_without_county_is_refused_by_the_database():
    township = TownshipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.create(name="x", school_type=SchoolType.PRIMARY, township=township)


def test_school_code_is_unique_when_present_and_blank_codes_may_repeat():
    SchoolFactory(school_code="")
    SchoolFactory(school_code="")
    SchoolFactory(school_code="4502000001")
    duplicate = SchoolFactory.build(school_code="4502000001", county=CountyFactory())
    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
    assert "已有其他学校使用该学校标识码。" in exc.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_merged_school_must_name_the_school_it_merged_into():
    school = SchoolFactory.build(status=SchoolStatus.MERGED, status_date="2018-09-01")
    with pytest.raises(ValidationError, match="并入学校"):
        school.full_clean()


def test_only_kindergartens_primary_and_nine_year_schools_can_be_central():
    township = TownshipFactory()
    school = SchoolFactory.build(
        school_type=SchoolType.JUNIOR_MIDDLE, is_central=True, township=township, county=township.county
    )
    with pytest.raises(ValidationError, match="只有幼儿园、小学或九年一贯制学校"):
        school.full_clean()


def test_central_school_must_name_its_township():
    school = SchoolFactory.build(school_type=SchoolType.PRIMARY, is_central=True)
    with pytest.raises(ValidationError) as exc:
        school.full_clean()
    assert exc.value.message_dict["township"] == ["乡镇中心校（园）必须填写所在乡镇。"]


def test_closed_school_needs_a_date():
    school = SchoolFactory.build(status=SchoolStatus.CLOSED)
    with pytest.raises(ValidationError) as exc:
        school.full_clean()
    assert "status_date" in exc.value.message_dict
