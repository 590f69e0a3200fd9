"""load_liuzhou creates exactly the city-fixed arrangements of the plan (R3, R11, R13, R15, R25)."""

import datetime
import io

import pytest
from django.core.management import call_command

from pairings.choices import ArrangedBy, PairingStatus, Tier, WorkPlanStatus
from pairings.liuzhou import liuzhou_cycle
from pairings.models import Cycle, DistrictPairing, Pairing, WorkPlan
from schools.choices import Stage

pytestmark = pytest.mark.django_db

R11 = {
    ("城中区", "融安县"),
    ("鱼峰区", "融水苗族自治县"),
    ("柳南区", "三江侗族自治县"),
    ("柳北区", "鹿寨县"),
    ("柳江区", "柳城县"),
}
R13 = {
    ("柳州高中", "融水中学"), ("柳铁一中", "三江高中"), ("市一中", "三江民族高中"), ("市二中", "融水民族高中"),
    ("市铁二中", "柳城实验高中"), ("市三中", "柳江实验高中"), ("钢一中", "融安二中"), ("市民族高中", "鹿寨中学"),
    ("市六中", "柳城中学"), ("市九中", "鹿寨实验高中"), ("柳江中学", "融安高中"),
}  # fmt: skip
R15 = {("柳江县特殊教育学校", "融安县特殊教育学校"), ("鹿寨县特殊教育学校", "柳城县特殊教育学校"),
       ("融水县特殊教育学校", "三江县特殊教育学校")}  # fmt: skip


def load() -> str:
    out = io.StringIO()
    call_command("load_liuzhou", stdout=out)
    return out.getvalue()


def pairs(stage: str) -> set[tuple[str, str]]:
    return set(Pairing.objects.filter(stage=stage).values_list("helper__name", "recipient__name"))


def test_r3_r25_r26_the_2016_2020_cycle():
    load()
    cycle = liuzhou_cycle()
    assert cycle.name == "2016—2020年结对帮扶"
    assert (cycle.first_semester_label, cycle.last_semester_label) == (
        "2016—2017学年第一学期",
        "2020—2021学年第一学期",
    )
    assert cycle.work_plan_deadline == datetime.date(2016, 9, 15)
    assert cycle.agreement_deadline == datetime.date(2016, 9, 30)


def test_r11_the_five_district_pairs():
    load()
    assert set(DistrictPairing.objects.values_list("helper_county__name", "recipient_county__name")) == R11


def test_r13_the_eleven_high_school_pairs():
    load()
    assert pairs(Stage.HIGH_SCHOOL) == R13
    high = Pairing.objects.filter(stage=Stage.HIGH_SCHOOL)
    assert high.count() == 11
    assert set(high.values_list("tier", "is_city_fixed", "status", "arranged_by")) == {
        (Tier.CITY_COUNTY, True, PairingStatus.ACTIVE, ArrangedBy.CITY)
    }
    assert not high.exclude(warnings=[]).exists()


def test_r15_the_special_education_arrangement_and_its_lead_school():
    load()
    assert pairs(Stage.SPECIAL) == R15
    special = Pairing.objects.filter(stage=Stage.SPECIAL)
    assert set(special.values_list("lead_school__name", "tier", "is_city_fixed")) == {
        ("柳州市特殊教育学校", Tier.CITY_COUNTY, True)
    }
    assert Pairing.objects.count() == 14


def test_r25_work_plans_are_due_from_every_bureau_high_school_and_the_city_special_school():
    load()
    plans = WorkPlan.objects.all()
    assert plans.filter(county__isnull=False).count() == 10
    assert set(plans.filter(school__isnull=False).values_list("school__name", flat=True)) == {
        helper for helper, _ in R13
    } | {"柳州市特殊教育学校"}
    assert set(plans.values_list("status", flat=True)) == {WorkPlanStatus.MISSING}


def test_load_liuzhou_twice_changes_nothing():
    load()
    history = (Pairing.history.count(), DistrictPairing.history.count(), WorkPlan.history.count())
    output = load()
    assert "Nothing to change." in output
    assert (Cycle.objects.count(), DistrictPairing.objects.count(), Pairing.objects.count()) == (1, 5, 14)
    assert WorkPlan.objects.count() == 22
    assert (Pairing.history.count(), DistrictPairing.history.count(), WorkPlan.history.count()) == history


def test_load_liuzhou_records_why_it_made_the_city_fixed_pairings():
    load()
    record = Pairing.history.filter(helper__name="市一中").get()
    assert record.history_change_reason == "load_liuzhou: 柳教基〔2016〕68号"
