"""The admin's import pages as a clerk meets them: files from Excel in every encoding and disguise, Chinese
refusals, refused rows by spreadsheet line, templates, and the preview of a big file."""

import io

import openpyxl
import pytest
from django.urls import reverse

from pairings.models import Pairing
from schools.models import School
from tests.helpers import xlsx_upload

pytestmark = pytest.mark.django_db

SCHOOLS = "admin:schools_school_import"
PAIRINGS = "admin:pairings_pairing_import"


def upload(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def post(client, url_name: str, file: io.BytesIO, format_index: str = "0"):
    # The format posted is ignored: the page reads it from the file's content.
    return client.post(reverse(url_name), {"format": format_index, "resource": "0", "import_file": file})


def confirm(client, response, url_name: str = "admin:schools_school_process_import"):
    form = response.context.get("confirm_form")
    assert form is not None, response.context["preview"].refused_rows
    return client.post(reverse(url_name), form.initial)


def refusal(response) -> str:
    """Return the error shown on the file field, asserting the page shows no traceback."""
    page = response.content.decode()
    assert response.status_code == 200
    assert "Traceback" not in page and "site-packages" not in page and "Error" not in page
    assert response.context.get("confirm_form") is None
    return " ".join(response.context["form"].errors.get("import_file", []))


CSV_HEADER = "学校名称,学校类型,县（区）,乡镇（街道）,所在位置\r\n"


def test_a_gbk_csv_from_excel_imports_for_a_county_clerk(as_user, land):
    client = as_user("county")
    data = (CSV_HEADER + "甲镇第二小学,小学,甲县,甲镇,乡镇\r\n").encode("gbk")
    response = post(client, SCHOOLS, upload(data, "学校.csv"))
    assert response.context["preview"].new == 1
    assert confirm(client, response).status_code == 302
    assert School.objects.get(name="甲镇第二小学").township.name == "甲镇"


def test_a_utf8_csv_with_bom_imports_for_the_city(as_user, land):
    client = as_user("city")
    data = "\ufeff".encode() + (CSV_HEADER + "乙镇第二小学,小学,乙县,,乡镇\r\n").encode()
    response = post(client, SCHOOLS, upload(data, "学校.csv"), "0")
    assert response.context["preview"].new == 1
    confirm(client, response)
    assert School.objects.filter(name="乙镇第二小学", county=land.other).exists()


def test_an_xlsx_renamed_to_csv_is_read_as_xlsx(as_user, land):
    client = as_user("county")
    workbook = xlsx_upload(["学校名称", "学校类型", "县（区）", "乡镇（街道）", "所在位置"],
                           [["甲镇第三小学", "小学", "甲县", "甲镇", "乡镇"]]).getvalue()  # fmt: skip
    response = post(client, SCHOOLS, upload(workbook, "学校.csv"), "1")
    assert response.context["preview"].new == 1
    confirm(client, response)
    assert School.objects.filter(name="甲镇第三小学").exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "schools.xlsx", "空文件"),
        (b"  \r\n", "schools.csv", "空文件"),
        (CSV_HEADER.encode("gbk"), "schools.csv", "文件只有标题行，没有数据行"),
        ("学校名称,县（区）\r\n甲镇第二小学,甲县\r\n".encode(), "schools.csv", "缺少必需的列：学校类型"),
        ("县（区）\r\n甲县\r\n".encode(), "schools.csv", "缺少必需的列：学校名称、学校类型"),
        (b"%PDF-1.4\x00\x01binary", "schools.xlsx", "既不是 xlsx 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "schools.xls", "旧版 Excel 97—2003 工作簿"),
        (b"PK\x03\x04not really a zip", "schools.xlsx", "不是 xlsx 工作簿"),
        ("学校名称,学校类型\r\n甲,小学,多余\r\n".encode(), "schools.csv", "多余的逗号"),
        ("姓名,年龄\r\n张三,12\r\n".encode(), "schools.csv", "缺少必需的列"),
    ],
    ids=[
        "empty",
        "blank",
        "header only",
        "missing column",
        "missing columns",
        "pdf",
        "xls",
        "broken zip",
        "ragged csv",
        "another table",
    ],  # fmt: skip
)
def test_a_file_that_cannot_be_imported_is_refused_in_chinese(as_user, land, data, name, message):
    response = post(as_user("county"), SCHOOLS, upload(data, name))
    assert message in refusal(response)


def test_a_header_only_xlsx_with_formatted_blank_rows_is_refused(as_user, land):
    workbook = xlsx_upload(["学校名称 ", "学校类型"], [[None, None], ["", ""]]).getvalue()
    response = post(as_user("county"), SCHOOLS, upload(workbook, "学校.xlsx"))
    assert "文件只有标题行，没有数据行" in refusal(response)


SCHOOL_HEADERS = ["学校名称", "学校类型", "县（区）", "乡镇（街道）", "所在位置"]
PAIRING_HEADERS = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位"]


def test_refused_rows_show_their_spreadsheet_line_column_and_real_reason(as_user, land):
    client = as_user("county")
    cycle = land.cycle.name
    rows = [
        [cycle, "义务教育", "乡—村", "不存在的学校", land.own_school.name, ""],  # line 2
        [cycle, "义务教育", "乡—村", land.own_central.name, land.own_school.name, ""],  # line 3: fine
        [cycle, "义务教育", "乡—村", land.other_central.name, land.other_central.name, ""],  # line 4
        [cycle, "义务教育", "乡—村", land.own_central.name, "", ""],  # line 5
        [cycle, "大学", "乡—村", land.own_central.name, land.own_school.name, ""],  # line 6
    ]
    response = post(client, PAIRINGS, xlsx_upload(PAIRING_HEADERS, rows))
    preview = response.context["preview"]
    reasons = {row.line: row.reasons for row in preview.refused_rows}
    assert sorted(reasons) == [2, 4, 5, 6]
    assert reasons[2] == [("帮扶学校", "没有学校标识码或完整名称为“不存在的学校”的学校。")]
    assert reasons[4] == [("受援学校", "学校不能帮扶自身。")]  # not "outside your area"
    assert reasons[5] == [("受援学校", "请填写“受援学校”。")]  # not "Pairing has no recipient."
    assert reasons[6][0][0] == "学段" and "未知的学段“大学”" in reasons[6][0][1]
    assert preview.refused == 4
    page = response.content.decode()
    assert "第 2 行" in page and "第 4 行" in page and "<strong>帮扶学校</strong>：没有学校标识码" in page
    assert "<th>帮扶学校</th>" in page and "<th>错误原因</th>" in page
    assert "validation-error-container" not in page  # every message is on the page, not behind a hover
    assert "Pairing has no" not in page and "Traceback" not in page
    assert Pairing.objects.count() == 3  # the land's own pairings only: nothing was written


def test_a_file_refused_as_a_whole_shows_only_its_message(as_user, land, monkeypatch):
    from liuzhou_pairing.resources import ImportRefused
    from schools.services import SchoolBatch

    def refuse(self):
        raise ImportRefused("整个文件被拒绝的原因")

    monkeypatch.setattr(SchoolBatch, "save", refuse)
    data = (CSV_HEADER + "甲镇第二小学,小学,甲县,甲镇,乡镇\r\n").encode("gbk")
    response = post(as_user("county"), SCHOOLS, upload(data, "学校.csv"))
    page = response.content.decode()
    assert "整个文件被拒绝的原因" in page
    assert response.context.get("confirm_form") is None
    assert "Traceback" not in page and "ImportRefused" not in page


def test_the_schools_template_has_headers_drop_downs_and_an_explanation_sheet(as_user, land):
    client = as_user("county")
    page = client.get(reverse(SCHOOLS)).content.decode()
    url = reverse("admin:schools_school_import_template")
    assert url in page and "下载导入模板" in page
    response = client.get(url)
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert "%E5%AD%A6%E6%A0%A1%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF_" in response["Content-Disposition"]  # 学校导入模板
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["数据", "填写说明"]
    data, explanation = book["数据"], book["填写说明"]
    headers = [c.value for c in data[1]]
    assert headers[:3] == ["学校名称", "学校标识码", "学校类型"] and "演示数据" not in headers
    assert data.max_row == 1  # only the headers: nothing in the data sheet imports by mistake
    lists = {
        headers[next(iter(v.sqref.ranges)).min_col - 1]: v.formula1.strip('"').split(",")
        for v in data.data_validations.dataValidation
    }
    assert lists["学校类型"][:2] == ["幼儿园", "小学"] and lists["办学性质"] == ["公办", "民办"]
    assert lists["所在位置"] == ["市区", "县城", "乡镇", "村"] and lists["局属学校"] == ["是", "否"]
    assert {"办学水平", "状态", "乡镇中心校（园）"} <= set(lists)
    assert "学校名称" not in lists
    rows = {r[0]: r[1:] for r in explanation.iter_rows(min_row=2, values_only=True) if r[0] in headers}
    assert [c.value for c in explanation[1]] == ["列名", "必填", "填写要求", "示例"]
    assert rows["学校名称"][0] == "必填" and rows["学校类型"][0] == "必填" and rows["地址"][0] == "选填"
    assert "从下拉列表中选择" in rows["学校类型"][1] and rows["学校类型"][2] == "小学"
    assert "空白视为“公办”" in rows["办学性质"][1]


def test_the_template_filled_with_its_examples_imports(city_admin, liuzhou):
    book = openpyxl.load_workbook(io.BytesIO(city_admin.get(reverse("admin:schools_school_import_template")).content))
    headers = [c.value for c in book["数据"][1]]
    examples = {r[0]: r[3] for r in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    filled = xlsx_upload(headers, [[examples.get(h) for h in headers]])
    response = post(city_admin, SCHOOLS, filled)
    assert response.context["preview"].new == 1, response.context["preview"].refused_rows


def test_the_pairings_template_offers_the_coded_columns(as_user, land):
    response = as_user("county").get(reverse("admin:pairings_pairing_import_template"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    data = book["数据"]
    headers = [c.value for c in data[1]]
    assert "预警" not in headers and "市局统筹" not in headers
    lists = {
        headers[next(iter(v.sqref.ranges)).min_col - 1]: v.formula1.strip('"').split(",")
        for v in data.data_validations.dataValidation
    }
    assert lists["学段"] == ["学前教育", "义务教育", "普通高中", "特殊教育"]
    assert lists["帮扶层级"] == ["市—县", "县—乡", "乡—村"] and "状态" in lists


def test_a_school_user_cannot_download_an_import_template(as_user, land):
    assert as_user("school").get(reverse("admin:schools_school_import_template")).status_code == 403


def test_a_big_file_previews_as_counts_and_refused_rows(as_user, land):
    client = as_user("county")
    rows = [[f"甲镇测试学校{i:03d}", "小学", "甲县", "甲镇", "乡镇"] for i in range(250)]
    rows[100][1] = "大学"
    rows.append([land.own_central.name, "小学", "甲县", "甲镇", "乡镇"])  # an existing school, unchanged
    response = post(client, SCHOOLS, xlsx_upload(SCHOOL_HEADERS, rows))
    preview = response.context["preview"]
    assert (preview.total, preview.new, preview.unchanged, preview.refused) == (251, 249, 1, 1)
    assert [row.line for row in preview.refused_rows] == [102]
    page = response.content.decode()
    assert 'id="import-counts"' in page and 'id="import-rows"' not in page
    assert "甲镇测试学校000" not in page  # rows without a refusal are counted, not listed

    rows[100][1] = "小学"
    response = post(client, SCHOOLS, xlsx_upload(SCHOOL_HEADERS, rows))
    assert response.context["preview"].new == 250
    assert "文件共有 251 行数据：只显示统计数字" in response.content.decode()


def test_a_short_file_previews_every_row(as_user, land):
    client = as_user("county")
    rows = [["甲镇第四小学", "小学", "甲县", "甲镇", "乡镇"]]
    response = post(client, SCHOOLS, xlsx_upload(SCHOOL_HEADERS, rows))
    page = response.content.decode()
    assert 'id="import-rows"' in page and "甲镇第四小学" in page and "确认导入" in page


def test_a_20000_row_file_previews_as_a_short_page_and_imports(as_user, land):
    """The size of a region's registry: the preview is counts (a page of kilobytes, not the 28.7 MB of every row)
    and confirming writes every school. Its speed is measured by bench/import_schools.py, not here."""
    from schools.models import School

    client = as_user("county")
    rows = [[f"甲镇规模测试学校{i:05d}", "小学", "甲县", "甲镇", "乡镇"] for i in range(20000)]
    response = post(client, SCHOOLS, xlsx_upload(SCHOOL_HEADERS, rows))
    preview = response.context["preview"]
    assert (preview.total, preview.new, preview.refused) == (20000, 20000, 0)
    assert len(response.content) < 100_000
    response = client.post(reverse("admin:schools_school_process_import"), response.context["confirm_form"].initial)
    assert response.status_code == 302
    assert School.objects.filter(name__startswith="甲镇规模测试学校").count() == 20000
