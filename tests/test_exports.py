"""The admin's export button: files written by the kernel's writers from the scoped list, with Chinese names, a
fixed number of queries, and a round trip that changes nothing (schools and pairings, xlsx and csv, city and
county)."""

import csv
import datetime
import io
import urllib.parse

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Pairing
from pairings.resources import PairingResource
from pairings.services import pairing_create
from schools.choices import Stage, Standing
from schools.models import School
from schools.resources import SchoolResource
from tests.accounts.conftest import Land
from tests.factories import SchoolFactory

XLSX, CSV = "0", "1"
FORMULA = '=HYPERLINK("http://example.invalid","点击")'


@pytest.fixture
def land(db):
    return Land()


@pytest.fixture
def as_user(client, land):
    def login(role: str):
        client.force_login(land.users[role])
        return client

    return login


def export(client, model: str, file_format: str = XLSX, query: str = ""):
    response = client.post(reverse(f"admin:{model}_export") + query, {"format": file_format, "resource": "0"})
    assert response.status_code == 200, response.status_code
    return response


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode()), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def downloaded_name(response) -> str:
    header = response["Content-Disposition"]
    return urllib.parse.unquote(header.split("filename*=UTF-8''")[1])


def test_the_school_export_is_a_chinese_workbook_with_the_import_columns(as_user, land):
    land.own_school.note = FORMULA
    land.own_school.save()
    response = export(as_user("city"), "schools_school")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert downloaded_name(response) == f"学校名单_{timezone.localdate().isoformat()}.xlsx"
    book = workbook(response)
    assert book.sheetnames == ["学校名单"]
    sheet = book["学校名单"]
    header = [c.value for c in sheet[1]]
    assert header == SchoolResource().get_export_headers()
    assert header[:3] == ["学校名称", "学校标识码", "学校类型"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert set(rows) == set(School.objects.values_list("name", flat=True))
    note = rows["甲村小学"][header.index("备注")]
    # The text is kept as it is, and the quote-prefix style makes Excel show it as text, never run it.
    assert (note.value, note.data_type, note.quotePrefix) == (FORMULA, "s", True)
    values = {h: c.value for h, c in zip(header, rows["甲村小学"], strict=True)}
    assert values["学校类型"] == "小学" and values["县（区）"] == "甲县" and values["乡镇（街道）"] == "甲镇"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(rows) + 1}"
    assert sheet.column_dimensions["A"].width >= 10


def test_the_pairing_export_has_its_own_name_dates_as_dates_and_chinese_values(as_user, land):
    response = export(as_user("city"), "pairings_pairing")
    assert downloaded_name(response) == f"结对名单_{timezone.localdate().isoformat()}.xlsx"
    sheet = workbook(response)["结对名单"]
    header = [c.value for c in sheet[1]]
    assert header == PairingResource().get_export_headers()
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert len(rows) == Pairing.objects.count() == 3
    cross = next(r for r in rows if r["帮扶学校"] == "丙区实验小学")
    assert cross["安排单位"] == "丙区教育局" and cross["帮扶层级"] == "市—县" and cross["学段"] == "义务教育"
    assert isinstance(cross["开始日期"], datetime.datetime)
    assert cross["开始日期"].date() == land.cross_pairing.starts_on


def test_areas_export_under_their_own_names(city_admin, liuzhou):
    for model, stem, first in (
        ("schools_county", "县（区）名单", "区划代码"),
        ("schools_township", "乡镇（街道）名单", "区划代码"),
    ):
        response = export(city_admin, model)
        assert downloaded_name(response).startswith(stem + "_")
        book = workbook(response)
        assert book.sheetnames == [stem] and book[stem]["A1"].value == first


def test_a_county_exports_only_its_own_schools_and_pairings(as_user, land):
    client = as_user("county")
    sheet = workbook(export(client, "schools_school")).active
    assert {r[0].value for r in sheet.iter_rows(min_row=2)} == {"甲镇中心小学", "甲村小学"}
    sheet = workbook(export(client, "pairings_pairing")).active
    header = [c.value for c in sheet[1]]
    helper, recipient = header.index("帮扶学校"), header.index("受援学校")
    pairs = {(r[helper].value, r[recipient].value) for r in sheet.iter_rows(min_row=2)}
    assert pairs == {("甲镇中心小学", "甲村小学"), ("丙区实验小学", "甲镇中心小学")}


def test_the_export_follows_the_lists_search(as_user, land):
    sheet = workbook(export(as_user("city"), "schools_school", query="?q=甲村")).active
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == ["甲村小学"]


def test_the_csv_export_is_utf8_with_bom_and_keeps_formulas_inert(as_user, land):
    land.own_school.note = FORMULA
    land.own_school.address = "-1+2"
    land.own_school.save()
    response = export(as_user("city"), "schools_school", CSV)
    assert response["Content-Type"].startswith("text/csv")
    assert downloaded_name(response) == f"学校名单_{timezone.localdate().isoformat()}.csv"
    rows = csv_rows(response)
    assert rows[0] == SchoolResource().get_export_headers()
    row = dict(zip(rows[0], next(r for r in rows if r[0] == "甲村小学"), strict=True))
    assert row["备注"] == "'" + FORMULA and row["地址"] == "'-1+2"
    assert row["县（区）"] == "甲县"


def test_the_export_page_speaks_chinese(as_user, land):
    response = as_user("county").get(reverse("admin:schools_school_export"))
    page = response.content.decode()
    for english in ("Select all", "Resource", "Format", "Submit", "Name (", "Tablib", "This exporter"):
        assert english not in page
    assert "文件格式" in page and "学校名称、学校标识码" in page and "下载" in page
    assert "共 2 条" in page


@pytest.mark.parametrize("model", ["schools_school", "pairings_pairing"])
def test_export_queries_do_not_grow_with_the_rows(as_user, land, model):
    client = as_user("city")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(client, model)
        return len(captured)

    before = queries()
    assert before <= 12
    for i in range(30):
        school = SchoolFactory(name=f"甲镇第{i}小学", county=land.own, township=land.own_central.township,
                               standing=Standing.WEAK)  # fmt: skip
        pairing_create(helper=land.urban, recipient=school, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY,
                       cycle=land.cycle, actor=SYSTEM, arranged_by_county=land.district)  # fmt: skip
    assert queries() == before


# Round trip: a file exported and imported again, unchanged, reports every row unchanged and writes nothing.


def state(model) -> tuple:
    return (
        sorted(model.objects.values_list("pk", "version")),
        model.history.count(),
    )


def reimport(client, model: str, response, file_format: str):
    name = "export.xlsx" if file_format == XLSX else "export.csv"
    upload = io.BytesIO(response.content)
    upload.name = name
    preview = client.post(reverse(f"admin:{model}_import"), {"format": file_format, "resource": "0",
                                                             "import_file": upload})  # fmt: skip
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), [
        (r.number, r.error_dict) for r in result.invalid_rows
    ]
    confirm = preview.context.get("confirm_form")
    if confirm is not None:
        client.post(reverse(f"admin:{model}_process_import"), confirm.initial)
    return result


@pytest.mark.parametrize("file_format", [XLSX, CSV])
@pytest.mark.parametrize("role", ["city", "county"])
def test_a_schools_file_exported_and_imported_again_changes_nothing(as_user, land, role, file_format):
    # The worst cells: formula-looking text that a CSV file can only keep behind an apostrophe, in the key column too.
    land.own_school.name = "=甲村小学"
    land.own_school.note = FORMULA
    land.own_school.address = "+甲村 1 号"
    land.own_school.save()
    client = as_user(role)
    before = state(School)
    result = reimport(client, "schools_school", export(client, "schools_school", file_format), file_format)
    exported = School.objects.for_user(land.users[role]).count()
    assert result.totals["skip"] == exported and result.totals["new"] == result.totals["update"] == 0
    assert state(School) == before
    assert not School.objects.filter(name__startswith="'").exists()


@pytest.mark.parametrize("file_format", [XLSX, CSV])
@pytest.mark.parametrize("role", ["city", "county"])
def test_a_pairings_file_exported_and_imported_again_changes_nothing(as_user, land, role, file_format):
    Pairing.objects.filter(pk=land.own_pairing.pk).update(helper_contact="=王老师", recipient_contact="@李老师")
    client = as_user(role)
    before = state(Pairing)
    result = reimport(client, "pairings_pairing", export(client, "pairings_pairing", file_format), file_format)
    exported = Pairing.objects.for_user(land.users[role]).count()
    assert result.totals["skip"] == exported and result.totals["new"] == result.totals["update"] == 0
    assert state(Pairing) == before


def test_an_old_export_with_apostrophes_imports_back_as_the_same_school(as_user, land):
    """Before workbooks used the quote-prefix style, exports put an apostrophe before formula-looking text."""
    land.own_school.name = "=甲村小学"
    land.own_school.save()
    headers = SchoolResource().get_export_headers()
    row = SchoolResource().export_resource(School.objects.get(pk=land.own_school.pk))
    assert row[0] == "'=甲村小学"
    text = io.StringIO()
    csv.writer(text).writerows([headers, row])
    client = as_user("county")
    before = state(School)
    upload = io.BytesIO(text.getvalue().encode("utf-8"))
    upload.name = "old.csv"
    response = client.post(reverse("admin:schools_school_import"), {"format": CSV, "resource": "0",
                                                                    "import_file": upload})  # fmt: skip
    assert response.context["result"].totals["skip"] == 1
    assert state(School) == before
