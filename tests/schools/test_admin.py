import io

import openpyxl
import pytest
from django.urls import reverse

from schools.models import School, Village
from schools.resources import SchoolResource
from tests.helpers import post_import

pytestmark = pytest.mark.django_db

HEADERS = ["学校名称", "学校标识码", "学校类型", "办学性质", "所在位置", "乡镇中心校（园）", "县（区）",
           "乡镇（街道）", "村（社区）", "联系人", "联系电话"]  # fmt: skip
XLSX = "0"  # the admin's format choices: xlsx, csv


@pytest.fixture
def villages(liuzhou):
    return {
        "融水镇": Village.objects.filter(township__name="融水镇").order_by("code")[0],
        "other": Village.objects.filter(township__county__code="450225").exclude(township__name="融水镇")[0],
    }


def good_rows(villages) -> list[list]:
    v = villages["融水镇"]
    return [
        [
            "融水镇示范小学",
            "4502250001",
            "小学",
            "公办",
            "村",
            "否",
            "融水县",
            "融水镇",
            v.name,
            "李老师",
            "0772-5112345",
        ],
        [
            "融水镇中心幼儿园（导入）",
            "",
            "幼儿园",
            "",
            "乡镇",
            "是",
            "融水苗族自治县",
            "450225100",
            "",
            "",
            "13800138000",
        ],
    ]


def test_admin_pages_are_in_chinese(city_admin, liuzhou):
    response = city_admin.get(reverse("admin:schools_school_changelist"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "柳州市中小学（幼儿园）结对帮扶管理系统" in content
    assert "学段" in content and "办学性质" in content
    response = city_admin.get(reverse("admin:schools_village_changelist"), {"q": "龙城"})
    assert "龙城社区居委会" in response.content.decode()


def test_admin_school_filters_by_stage_and_county(city_admin, liuzhou):
    url = reverse("admin:schools_school_changelist")
    response = city_admin.get(url, {"stage": "special"})
    assert response.context["cl"].result_count == 7
    response = city_admin.get(url, {"stage": "high_school", "county__id__exact": School.objects.get(
        name="融水中学").county_id})  # fmt: skip
    assert {s.name for s in response.context["cl"].result_list} == {"融水中学", "融水民族高中"}


def test_admin_import_of_a_good_file_previews_then_writes_with_history(city_admin, villages):
    before = School.objects.count()
    response = post_import(city_admin, "admin:schools_school_import", HEADERS, good_rows(villages))
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None, response.context.get("result") and response.context["result"].invalid_rows
    assert School.objects.count() == before  # the preview writes nothing

    response = city_admin.post(reverse("admin:schools_school_process_import"), confirm.initial)
    assert response.status_code == 302
    assert School.objects.count() == before + 2
    school = School.objects.get(name="融水镇示范小学")
    assert (school.county.code, school.township.name, school.village, school.school_code) == (
        "450225",
        "融水镇",
        villages["融水镇"],
        "4502250001",
    )
    assert School.objects.get(name="融水镇中心幼儿园（导入）").is_central
    assert school.history.get().history_user == city_admin.user


def test_admin_import_with_bad_rows_names_each_row_and_writes_nothing(city_admin, villages):
    v = villages["融水镇"]
    other = villages["other"]
    rows = good_rows(villages) + [
        ["坏行一", "", "小学", "公办", "乡镇", "否", "不存在县", "", "", "", ""],
        ["坏行二", "", "小学", "公办", "村", "否", "融水县", "融水镇", other.name, "", ""],
        ["坏行三", "", "小学", "公办", "乡镇", "否", "融水县", "融水镇", "", "", "12345"],
        ["坏行四", "4502250001", "小学", "公办", "乡镇", "否", "融水县", "融水镇", "", "", ""],
        ["坏行五", "", "大学", "公办", "乡镇", "否", "融水县", "融水镇", "", "", ""],
        ["坏行六", "", "初级中学", "公办", "乡镇", "是", "融水县", "融水镇", "", "", ""],
    ]
    before = School.objects.count()
    response = post_import(city_admin, "admin:schools_school_import", HEADERS, rows)
    assert response.status_code == 200
    result = response.context["result"]
    assert response.context.get("confirm_form") is None
    errors = {
        row.number: " ".join(str(e) for errs in row.error_dict.values() for e in errs) for row in result.invalid_rows
    }
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert "未知的县（区）“不存在县”" in errors[3]
    assert f"村（社区）“{other.name}”不属于乡镇（街道）“融水镇”" in errors[4]
    assert "请填写带区号的固定电话" in errors[5]
    assert "文件中另有一行使用了这个学校标识码" in errors[6]  # a good row above has the code
    assert "未知的学校类型“大学”" in errors[7]
    assert "只有幼儿园、小学或九年一贯制学校" in errors[8]
    content = response.content.decode()
    for message in ("未知的县（区）“不存在县”", "文件中另有一行使用了这个学校标识码"):
        assert message in content
    assert School.objects.count() == before
    assert not School.objects.filter(name="融水镇示范小学").exists()
    assert v.schools.count() == 0


def test_export_escapes_formula_looking_text(liuzhou):
    school = School.objects.get(name="融水中学")
    school.note = '=HYPERLINK("http://example.invalid","点击")'
    school.contact_person = "+SUM(1,2)"
    school.address = "@cmd"
    school.save()
    dataset = SchoolResource().export()
    from import_export.formats.base_formats import CSV, XLSX

    book = openpyxl.load_workbook(io.BytesIO(XLSX().export_data(dataset)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "融水中学")
    values = dict(zip(header, (c.value for c in row), strict=True))
    assert values["备注"] == '\'=HYPERLINK("http://example.invalid","点击")'
    assert values["联系人"] == "'+SUM(1,2)"
    assert values["地址"] == "'@cmd"
    assert values["县（区）"] == "融水县"
    assert values["学校类型"] == "高级中学"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    csv_text = CSV().export_data(dataset)
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text


def test_admin_export_returns_an_xlsx_that_reopens(city_admin, liuzhou):
    url = reverse("admin:schools_school_export")
    form = city_admin.get(url).context["form"]
    data = {"format": XLSX, "resource": "0"}
    data.update({name: "on" for name in form.fields if name.startswith("schoolresource_")})
    response = city_admin.post(url, data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 30  # header + the 29 named schools
    assert sheet["A1"].value == "学校名称"


def test_schools_cannot_be_deleted_in_admin(city_admin, liuzhou):
    school = School.objects.get(name="市一中")
    response = city_admin.post(reverse("admin:schools_school_delete", args=[school.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert School.objects.filter(pk=school.pk).exists()


def test_admin_edit_validates_the_hierarchy(city_admin, villages):
    school = School.objects.get(name="融水中学")
    other = villages["other"]
    url = reverse("admin:schools_school_change", args=[school.pk])
    form = city_admin.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if not isinstance(v, list)}
    data.update({"township": villages["融水镇"].township_id, "village": other.pk, "status": "active"})
    response = city_admin.post(url, data)
    assert response.status_code == 200
    assert f"村（社区）“{other.name}”不属于乡镇（街道）“融水镇”" in response.content.decode()
    school.refresh_from_db()
    assert school.township is None


def test_a_gbk_csv_from_excel_imports_and_an_unreadable_file_is_explained_in_chinese(city_admin, liuzhou):
    import io

    from django.urls import reverse

    headers = "学校名称,学校类型,县（区）\r\n"
    csv = io.BytesIO((headers + "融水县第九小学,小学,融水县\r\n").encode("gbk"))
    csv.name = "学校.csv"
    response = city_admin.post(reverse("admin:schools_school_import"), {"format": "1", "resource": "0",
                                                                         "import_file": csv})  # fmt: skip
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    confirm = response.context["confirm_form"].initial
    city_admin.post(reverse("admin:schools_school_process_import"), confirm)
    from schools.models import School

    assert School.objects.filter(name="融水县第九小学", county__short_name="融水县").exists()
    broken = io.BytesIO(b"\x81\xff\xfe\x00not a spreadsheet")
    broken.name = "学校.xlsx"
    response = city_admin.post(reverse("admin:schools_school_import"), {"format": "0", "resource": "0",
                                                                         "import_file": broken})  # fmt: skip
    assert "既不是 xlsx 工作簿" in response.content.decode()


def test_a_county_is_shown_by_the_plans_short_name_and_its_own_page_keeps_the_official_name(city_admin, liuzhou):
    county = School.objects.get(name="融水中学").county
    assert (county.name, str(county)) == ("融水苗族自治县", "融水县")
    schools = city_admin.get(reverse("admin:schools_school_changelist"), {"q": "融水中学"}).content.decode()
    assert "融水县" in schools and "融水苗族自治县" not in schools  # the list and its county filter
    townships = city_admin.get(reverse("admin:schools_township_changelist"), {"q": "融水县"}).content.decode()
    assert "融水镇" in townships  # the short name finds the county's townships
    own_page = city_admin.get(reverse("admin:schools_county_change", args=[county.pk])).content.decode()
    assert 'value="融水苗族自治县"' in own_page
    pairings = city_admin.get(reverse("admin:pairings_pairing_changelist")).content.decode()
    assert "融水县" in pairings and "融水苗族自治县" not in pairings  # the filter of either side's county
