import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schools.choices import CountyKind, Ownership, SchoolType, TownshipKind
from schools.demo import DEMO_PREFIX, demo_schools_generate
from schools.models import County, ManagementArea, School, Township, Village
from schools.services import named_school_names

pytestmark = pytest.mark.django_db

R13_SCHOOLS = [
    "柳州高中", "融水中学", "柳铁一中", "三江高中", "市一中", "三江民族高中", "市二中", "融水民族高中",
    "市铁二中", "柳城实验高中", "市三中", "柳江实验高中", "钢一中", "融安二中", "市民族高中", "鹿寨中学",
    "市六中", "柳城中学", "市九中", "鹿寨实验高中", "柳江中学", "融安高中",
]  # fmt: skip
R15_SCHOOLS = [
    "柳州市特殊教育学校", "柳江县特殊教育学校", "融安县特殊教育学校", "鹿寨县特殊教育学校",
    "柳城县特殊教育学校", "融水县特殊教育学校", "三江县特殊教育学校",
]  # fmt: skip


def run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_r4_load_liuzhou_loads_the_real_areas_and_the_named_schools():
    output = run("load_liuzhou")
    assert County.objects.count() == 10
    assert Township.objects.count() == 118
    assert Village.objects.count() == 1237
    assert School.objects.count() == 29
    assert "villages: 1237 created" in output


def test_r4_codes_and_names_are_exact():
    run("load_liuzhou")
    assert list(County.objects.values_list("code", "name", "kind")) == [
        ("450202", "城中区", CountyKind.DISTRICT),
        ("450203", "鱼峰区", CountyKind.DISTRICT),
        ("450204", "柳南区", CountyKind.DISTRICT),
        ("450205", "柳北区", CountyKind.DISTRICT),
        ("450206", "柳江区", CountyKind.DISTRICT),
        ("450222", "柳城县", CountyKind.COUNTY),
        ("450223", "鹿寨县", CountyKind.COUNTY),
        ("450224", "融安县", CountyKind.COUNTY),
        ("450225", "融水苗族自治县", CountyKind.AUTONOMOUS_COUNTY),
        ("450226", "三江侗族自治县", CountyKind.AUTONOMOUS_COUNTY),
    ]
    assert County.objects.get(code="450206").all_names() == ["柳江区", "柳江县"]
    assert County.objects.get(code="450225").short_name == "融水县"
    township = Township.objects.get(code="450203008")
    assert (township.name, township.county.name, township.kind) == ("阳和街道", "鱼峰区", TownshipKind.SUBDISTRICT)
    assert Township.objects.get(code="450225202").kind == TownshipKind.TOWNSHIP
    village = Village.objects.get(code="450202001001")
    assert (village.name, village.township.code) == ("龙城社区居委会", "450202001")
    assert Village.objects.filter(township__county__code="450225").count() == 209


def test_r4_management_areas_count_under_yufeng():
    run("load_liuzhou")
    assert dict(ManagementArea.objects.values_list("name", "county__name")) == {
        "柳东新区": "鱼峰区",
        "阳和工业新区": "鱼峰区",
    }


def test_r13_r15_the_29_named_schools_are_loaded_as_the_plan_writes_them():
    run("load_liuzhou")
    names = set(School.objects.values_list("name", flat=True))
    assert names == set(R13_SCHOOLS) | set(R15_SCHOOLS)
    assert sorted(named_school_names()) == sorted(R13_SCHOOLS + R15_SCHOOLS)
    assert School.objects.filter(school_type=SchoolType.SENIOR_HIGH).count() == 22
    assert School.objects.filter(school_type=SchoolType.SPECIAL).count() == 7
    assert not School.objects.filter(is_demo=True).exists()
    # Nothing is invented: no codes, addresses or contacts.
    assert not School.objects.exclude(school_code="", address="", contact_person="", contact_phone="").exists()


def test_r4_liujiang_county_special_school_belongs_to_liujiang_district():
    run("load_liuzhou")
    assert School.objects.get(name="柳江县特殊教育学校").county.name == "柳江区"
    assert School.objects.get(name="融水县特殊教育学校").county.name == "融水苗族自治县"
    assert School.objects.get(name="柳州市特殊教育学校").county is None
    assert School.objects.get(name="柳州市特殊教育学校").is_city_administered
    assert School.objects.get(name="市一中").county is None


def test_load_liuzhou_second_run_changes_nothing():
    run("load_liuzhou")
    school = School.objects.get(name="融水中学")
    school.contact_person = "张老师"
    school.save()
    history_before = School.history.count()
    output = run("load_liuzhou")
    assert "Nothing to change." in output
    assert County.objects.count() == 10
    assert Township.objects.count() == 118
    assert Village.objects.count() == 1237
    assert School.objects.count() == 29
    assert School.history.count() == history_before
    assert School.objects.get(name="融水中学").contact_person == "张老师"


def test_load_liuzhou_repairs_an_edited_area_name():
    run("load_liuzhou")
    Township.objects.filter(code="450225100").update(name="错误")
    output = run("load_liuzhou")
    assert "townships: 0 created, 1 updated" in output
    assert Township.objects.get(code="450225100").name == "融水镇"


def demo_fingerprint() -> list[tuple]:
    return list(
        School.objects.demo()
        .order_by("name")
        .values_list("name", "school_type", "ownership", "standing", "location", "village__code", "is_central")
    )


def test_generate_demo_shape(liuzhou):
    count = demo_schools_generate(seed=7)
    demo = School.objects.demo()
    assert count == demo.count()
    assert 2200 <= count <= 2800
    assert not demo.exclude(name__startswith=DEMO_PREFIX).exists()
    assert not School.objects.real().filter(name__startswith=DEMO_PREFIX).exists()
    # Every township outside the city's subdistricts has exactly one central school and one central kindergarten.
    for township in Township.objects.exclude(kind=TownshipKind.SUBDISTRICT):
        centrals = demo.filter(township=township, is_central=True)
        assert sorted(centrals.values_list("school_type", flat=True)) in (
            ["kindergarten", "nine_year"],
            ["kindergarten", "primary"],
        ), township.name
    assert demo.filter(school_type=SchoolType.TEACHING_POINT).count() > 100
    assert demo.filter(school_type=SchoolType.KINDERGARTEN, village__isnull=False).count() > 300
    assert demo.filter(school_type=SchoolType.KINDERGARTEN, ownership=Ownership.PRIVATE).count() > 50
    assert demo.filter(management_area__name="柳东新区", county__name="鱼峰区").exists()
    for county in County.objects.all():
        assert demo.filter(county=county, location__in=["urban", "county_town"]).count() >= 10, county.name
    # Every school passes the model's validation (hierarchy included).
    for school in demo.select_related("county", "township__county", "village__township", "management_area")[:400]:
        school.full_clean()


def test_generate_demo_is_deterministic(liuzhou):
    demo_schools_generate(seed=3)
    first = demo_fingerprint()
    demo_schools_generate(seed=3)
    assert demo_fingerprint() == first
    demo_schools_generate(seed=4)
    assert demo_fingerprint() != first
    # Real schools are never touched by a demo run.
    assert School.objects.real().count() == 29


def test_generate_demo_command_needs_areas_first():
    with pytest.raises(CommandError, match="load_liuzhou"):
        run("generate_demo", seed=1)
