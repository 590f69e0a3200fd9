"""Report pages of inspections: the special inspection per county (R31), the assessment input per school (R29) and
the rectification list per county — who may open them, what each role sees, the figures, the xlsx download and a
bounded number of queries."""

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from activities.choices import Kind
from activities.models import Norm
from activities.selectors import compliance
from activities.services import activity_confirm
from inspections.choices import Level, Rating, Review
from inspections.models import Finding
from inspections.selectors import assessment_input
from inspections.services import finding_rectify, finding_save, finding_verify, inspection_save, inspection_sign
from liuzhou_pairing.actors import SYSTEM
from tests.activities.conftest import TODAY as ACTIVITY_DAY
from tests.factories import VillageFactory
from tests.helpers import without_tokens

pytestmark = pytest.mark.django_db

# A day of the 2016—2017 first semester, after the findings' first deadline (2016-12-15).
TODAY = datetime.date(2017, 1, 10)
SEMESTER = "2016—2017学年第一学期"

SPECIAL = reverse("inspections:special")
ASSESSMENT = reverse("inspections:assessment")
RECTIFICATION = reverse("inspections:rectification")
PAGES = [SPECIAL, ASSESSMENT, RECTIFICATION]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def login(client, insp):
    def as_role(role: str):
        client.force_login(insp.users[role])
        return client

    return as_role


def sign(insp, actor="county_inspector", rating=Rating.GOOD, judged=None, found=(), **fields):
    """A signed inspection, with the findings `found` ((text, deadline, unit) recorded while it was a draft)."""
    inspection = insp.inspection(actor=actor, **fields)
    for text, deadline, unit in found:
        finding(insp, inspection, text, deadline, actor=actor, **unit)
    insp.judge_all(inspection, actor=actor, **(judged or {}))
    inspection.refresh_from_db()
    inspection.rating = rating
    user = insp.users[actor]
    return inspection_sign(inspection=inspection_save(inspection=inspection, actor=user), actor=user)


def finding(insp, inspection, text, deadline, actor="county_inspector", **unit):
    return finding_save(
        finding=Finding(inspection=inspection, text=text, deadline=deadline, **unit), actor=insp.users[actor]
    )


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def table_rows(html: str, index: int = 0) -> list[list[str]]:
    """Return the cells' text of the `index`-th table of a report page, a row per list."""
    tables = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", tables[index], re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


def workbook(client, url, **params) -> openpyxl.Workbook:
    response = client.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content if response.streaming else
                                                      [response.content])))  # fmt: skip


def sheet_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=3, values_only=True))


# --- Who may open each page ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "special", "assessment", "rectification"),
    [
        ("city", 200, 200, 200),
        ("region", 200, 200, 200),
        ("city_inspector", 200, 200, 200),
        ("county", 200, 200, 200),
        ("county_inspector", 200, 200, 200),
        ("recipient", 403, 200, 200),
        ("helper", 403, 200, 200),
    ],
)
def test_r29_r31_who_may_open_each_report(login, role, special, assessment, rectification):
    client = login(role)
    assert client.get(SPECIAL).status_code == special
    assert client.get(ASSESSMENT).status_code == assessment
    assert client.get(RECTIFICATION).status_code == rectification


def test_r29_r31_reports_need_a_login_and_are_listed_on_the_home_page(client, login):
    assert client.get(SPECIAL).status_code == 302
    html = page(login("city"), reverse("admin:index"))
    for url in PAGES:
        assert f'href="{url}"' in html
    html = page(login("recipient"), reverse("admin:index"))
    assert f'href="{SPECIAL}"' not in html and f'href="{ASSESSMENT}"' in html and f'href="{RECTIFICATION}"' in html


@pytest.mark.parametrize("url", PAGES)
def test_r29_r31_the_semester_is_chosen_by_default_the_current_one_an_unknown_one_404(login, url):
    client = login("city")
    html = page(client, url)
    assert f"（{SEMESTER}）" in html
    assert '<option value="2016-1" selected>' in html
    assert "（2016—2017学年第二学期）" in page(client, url, semester="2016-2")
    assert client.get(url, {"semester": "2030-1"}).status_code == 404
    assert client.get(url, {"semester": "nonsense"}).status_code == 404
    assert "R29" not in without_tokens(html) and "R31" not in without_tokens(html)


# --- The special inspection per county (R31) -------------------------------------------------------------------


def test_r31_special_inspection_page_shows_done_and_missing_per_county(login, insp):
    special = sign(insp, is_special=True)
    sign(insp, actor="city", county=insp.land.other)  # not marked special: the other county's is still missing
    client = login("city")
    html = page(client, SPECIAL)
    rows = {r[0]: r for r in table_rows(html)}
    own, other = rows["甲县"], rows["乙县"]
    assert own[1] == "已完成" and own[2] == "县（区）自查 · 2016-12-01" and own[4] == "王督学"
    assert own[5] == "inspector" and own[6]
    assert other[1] == "未完成" and other[2:] == ["", "", "", "", ""]
    assert reverse("admin:inspections_inspection_change", args=[special.pk]) in html
    assert len(re.findall(r'class=" level-danger"', html)) == len(rows) - 1  # every missing one in red
    # The same rows in the workbook.
    sheet = workbook(client, SPECIAL).active
    assert sheet["A1"].value == f"各县（区）专项督导（{SEMESTER}）"
    assert [c.value for c in sheet[2]] == [
        "县（区）",
        "专项督导",
        "督导记录",
        "督导单位",
        "督导人员",
        "签署人",
        "签署日期",
    ]
    by_county = {r[0]: r for r in sheet_rows(sheet)}
    assert by_county["甲县"][1:5] == ("已完成", "县（区）自查 · 2016-12-01", None, "王督学")
    assert (
        by_county["甲县"][5] == "inspector"
        and by_county["甲县"][6].date() == timezone.localtime(special.signed_at).date()
    )
    assert by_county["乙县"][1] == "未完成" and by_county["乙县"][6] is None


def test_r31_special_inspection_signed_by_the_system_names_it(login, insp):
    inspection = insp.inspection(actor=SYSTEM, county=insp.land.other, is_special=True)
    insp.judge_all(inspection, actor=SYSTEM)
    inspection.refresh_from_db()
    inspection.rating = Rating.PASS
    inspection_sign(inspection=inspection_save(inspection=inspection, actor=SYSTEM), actor=SYSTEM)
    rows = {r[0]: r for r in table_rows(page(login("city"), SPECIAL))}
    assert rows["乙县"][1] == "已完成" and rows["乙县"][5] == "系统"


@pytest.mark.parametrize(
    ("role", "everything"),
    [("city", True), ("region", True), ("city_inspector", True), ("county", False), ("county_inspector", False)],
)
def test_r31_special_inspection_page_city_wide_roles_see_every_county_a_county_its_own(login, insp, role, everything):
    counties = [r[0] for r in table_rows(page(login(role), SPECIAL))]
    assert "甲县" in counties
    assert ("乙县" in counties) is everything
    if not everything:
        assert counties == ["甲县"]


def test_r31_special_inspection_page_runs_a_bounded_number_of_queries(login, insp, django_assert_max_num_queries):
    client = login("city")
    client.get(SPECIAL)  # the session and the admin's context warm up
    with django_assert_max_num_queries(13):  # with the counties of the county choice
        page(client, SPECIAL)
    sign(insp, is_special=True)
    sign(insp, actor="city", county=insp.land.other, is_special=True)
    sign(insp, actor="city", county=insp.land.district, is_special=True)
    with django_assert_max_num_queries(13):
        html = page(client, SPECIAL)
    assert [r[1] for r in table_rows(html)].count("已完成") == 3


# --- The assessment input per school (R29) ---------------------------------------------------------------------


def _only_teaching_delivery(insp):
    """Keep one norm (送教, two of the helper's teachers), so that a single confirmed activity makes a pairing
    compliant and the others stay short of it."""
    Norm.objects.exclude(kind=Kind.TEACHING_DELIVERY).delete()
    acts = insp.acts
    activity = acts.activity(participants=[acts.helper_teacher, acts.helper_key])
    activity_confirm(activity=activity, actor=acts.users["recipient"], today=ACTIVITY_DAY)


def test_r29_assessment_input_figures_equal_the_compliance_engine(insp):
    _only_teaching_delivery(insp)
    land = insp.land
    rows = {r.school.name: r for r in assessment_input(semester=insp.semester, user=insp.users["city"])}
    engine = compliance(user=SYSTEM, semester=insp.semester)
    assert set(rows) == {p.helper.name for p in engine} | {p.recipient.name for p in engine}
    for name, row in rows.items():
        mine = [p for p in engine if name in (p.helper.name, p.recipient.name)]
        assert len(row.pairings) == len(mine)
        assert row.compliant == sum(1 for p in mine if p.compliant)
        assert {p.pairing.pk for p in row.short} == {p.pairing.pk for p in mine if not p.compliant}
    central = rows[land.own_central.name]  # helps 甲村小学 (compliant), is helped by 丙区实验小学 (not)
    assert [p.pairing for p in central.as_helper] == [land.own_pairing]
    assert [p.pairing for p in central.as_recipient] == [land.cross_pairing]
    assert (len(central.pairings), central.compliant, len(central.short)) == (2, 1, 1)


def test_r29_assessment_page_lists_pairings_compliance_latest_rating_and_findings(login, insp):
    _only_teaching_delivery(insp)
    land = insp.land
    sign(insp, pairing=land.own_pairing, rating=Rating.PASS)
    reviewed = sign(insp, school=land.own_school, date=datetime.date(2016, 12, 10))
    own = {"school": land.own_school}
    sign(insp, actor="city", level=Level.CITY_REVIEW, school=land.own_school, reviews=reviewed,
         rating=Rating.EXCELLENT, date=datetime.date(2016, 12, 20), judged={"review": Review.CONFIRMS},
         found=[("台账不全", datetime.date(2016, 12, 28), own),  # overdue
                ("缺少照片", datetime.date(2017, 3, 1), own),
                ("已整改的问题", datetime.date(2016, 12, 21), own)])  # fmt: skip
    done = Finding.objects.get(text="已整改的问题")
    done.rectification = "已补齐"
    finding_rectify(finding=done, actor=insp.users["recipient"])
    draft = insp.inspection(school=land.own_school)
    finding(insp, draft, "草稿中的问题", datetime.date(2016, 12, 2), school=land.own_school)  # not yet signed

    client = login("city")
    html = page(client, ASSESSMENT)
    rows = {r[0]: r for r in table_rows(html)}
    assert set(rows) == {"甲镇中心小学", "甲村小学", "乙镇中心小学", "乙村小学", "丙区实验小学"}
    central = rows["甲镇中心小学"]
    assert central[1:7] == ["甲县", "帮扶：甲村小学；受援：丙区实验小学", "2", "1", "1", "丙区实验小学（送教 0/2）"]
    assert central[7] == "合格 · 县（区）自查 · 2016-12-01"
    recipient = rows["甲村小学"]
    assert recipient[2:7] == ["受援：甲镇中心小学", "1", "1", "0", ""]
    assert recipient[7:] == ["优秀 · 市级复查 · 2016-12-20", "2", "1"]  # the latest; two open, one overdue
    assert rows["乙村小学"][7:] == ["", "0", "0"]
    # Short of a norm and overdue in red.
    assert re.search(r'class="number level-danger">\s*1\s*</td>\s*<td class=" level-danger">\s*丙区实验小学', html)

    sheet = workbook(client, ASSESSMENT).active
    assert sheet["A1"].value == f"学校年度考核依据（{SEMESTER}）"
    assert [c.value for c in sheet[2]] == [
        "学校", "县（区）", "本学期结对", "结对数", "达标", "未达标", "未达到的规定次数",
        "最近一次督导（评定 · 层级 · 日期）", "待整改", "其中逾期",
    ]  # fmt: skip
    by_school = {r[0]: r for r in sheet_rows(sheet)}
    assert by_school["甲村小学"][2:7] == ("受援：甲镇中心小学", 1, 1, 0, None)
    assert by_school["甲村小学"][7:] == ("优秀 · 市级复查 · 2016-12-20", 2, 1)
    assert by_school["甲镇中心小学"][6] == "丙区实验小学（送教 0/2）"


@pytest.mark.parametrize(
    ("role", "schools"),
    [
        ("city", {"甲镇中心小学", "甲村小学", "乙镇中心小学", "乙村小学", "丙区实验小学"}),
        ("region", {"甲镇中心小学", "甲村小学", "乙镇中心小学", "乙村小学", "丙区实验小学"}),
        ("city_inspector", {"甲镇中心小学", "甲村小学", "乙镇中心小学", "乙村小学", "丙区实验小学"}),
        ("county", {"甲镇中心小学", "甲村小学"}),
        ("county_inspector", {"甲镇中心小学", "甲村小学"}),
        ("recipient", {"甲村小学"}),
        ("helper", {"甲镇中心小学"}),
    ],
)
def test_r29_assessment_page_rows_follow_the_readers_scope(login, role, schools):
    client = login(role)
    assert {r[0] for r in table_rows(page(client, ASSESSMENT))} == schools


def test_r29_assessment_page_county_filter_for_the_city_only(login, insp):
    land = insp.land
    html = page(login("city"), ASSESSMENT, county=land.own.pk)
    assert {r[0] for r in table_rows(html)} == {"甲镇中心小学", "甲村小学"}
    assert f"（甲县，{SEMESTER}）" in html
    assert login("city").get(ASSESSMENT, {"county": 999999}).status_code == 404
    # A county bureau has no county choice: its own schools whatever it asks.
    html = page(login("county"), ASSESSMENT, county=land.other.pk)
    assert {r[0] for r in table_rows(html)} == {"甲镇中心小学", "甲村小学"}
    assert 'name="county"' not in html


def _more_pairings(insp, count: int):
    """`count` more village schools of 甲镇 helped by its central school, each with a signed inspection of its
    pairing and an overdue finding."""
    from tests.accounts.conftest import Land

    land = insp.land
    for i in range(count):
        village = VillageFactory(township=land.own_central.township)
        school = Land._school(land, f"甲镇第{i}村小学", land.own_central.township, village=village)
        pairing = Land._pair(land, land.own_central, school, land.own)
        sign(insp, pairing=pairing, found=[("台账不全", datetime.date(2016, 12, 15), {"school": school})])


def test_r29_assessment_page_runs_a_bounded_number_of_queries(login, insp, django_assert_max_num_queries):
    client = login("city")
    client.get(ASSESSMENT)
    with django_assert_max_num_queries(17):
        page(client, ASSESSMENT)
    _only_teaching_delivery(insp)
    _more_pairings(insp, 6)
    with django_assert_max_num_queries(17):
        html = page(client, ASSESSMENT)
    assert len(table_rows(html)) == 11
    with django_assert_max_num_queries(17):
        workbook(client, ASSESSMENT)


# --- The rectification list (整改清单) ---------------------------------------------------------------------------


@pytest.fixture
def findings(insp):
    """Findings of signed inspections in both counties, in every state, and one of a draft."""
    land = insp.land
    texts = {"overdue": "送教记录缺照片", "bureau": "县级台账不全", "verified": "协议未盖章", "reopened": "计划未执行",
             "other": "乙县问题"}  # fmt: skip
    sign(insp, found=[
        (texts["overdue"], datetime.date(2016, 12, 15), {"school": land.own_school}),
        (texts["bureau"], datetime.date(2017, 3, 1), {"county": land.own}),
        (texts["verified"], datetime.date(2016, 12, 2), {"school": land.own_central}),
        (texts["reopened"], datetime.date(2017, 2, 1), {"school": land.own_central}),
    ])  # fmt: skip
    sign(insp, actor="city", county=land.other,
         found=[(texts["other"], datetime.date(2017, 2, 1), {"school": land.other_central})])  # fmt: skip
    made = {name: Finding.objects.get(text=text) for name, text in texts.items()}
    for name in ("verified", "reopened"):
        made[name].rectification = "已整改"
        rectified = finding_rectify(finding=made[name], actor=insp.users["city"])
        made[name] = finding_verify(finding=rectified, actor=insp.users["city"], accept=name == "verified",
                                    note="" if name == "verified" else "未见材料")  # fmt: skip
    made["bureau"].rectification = "已补齐"
    made["bureau"] = finding_rectify(finding=made["bureau"], actor=insp.users["county"])
    draft = insp.inspection(school=land.own_school)
    finding(insp, draft, "草稿中的问题", datetime.date(2016, 12, 2), school=land.own_school)
    return made


def test_r28_rectification_list_counts_per_county_and_lists_findings(login, insp, findings):
    client = login("city")
    html = page(client, RECTIFICATION)
    summary = {r[0]: r[1:] for r in table_rows(html, 0)}
    assert summary["甲县"] == ["4", "1", "1", "1", "1", "1"]  # total, open, rectified, verified, reopened, overdue
    assert summary["乙县"] == ["1", "1", "0", "0", "0", "0"]
    assert summary["丙区"] == ["0", "0", "0", "0", "0", "0"]
    detail = table_rows(html, 1)
    assert [r[2] for r in detail] == ["协议未盖章", "送教记录缺照片", "计划未执行", "县级台账不全", "乙县问题"]
    overdue = next(r for r in detail if r[2] == "送教记录缺照片")
    assert overdue[:2] == ["甲县", "甲村小学"] and overdue[4:] == ["2016年12月15日", "待整改", "逾期"]
    assert next(r for r in detail if r[2] == "县级台账不全")[1] == "甲县"
    assert next(r for r in detail if r[2] == "协议未盖章")[5:] == ["已验收", ""]  # verified: never overdue
    assert "草稿中的问题" not in html
    assert reverse("admin:inspections_finding_change", args=[findings["overdue"].pk]) in html
    assert re.search(r'class=" level-danger">\s*逾期', html)

    book = workbook(client, RECTIFICATION)
    assert book.sheetnames == ["各县（区）整改情况", "整改问题"]
    by_county = book["各县（区）整改情况"]
    assert by_county["A1"].value == f"整改清单（{SEMESTER}）"
    assert [c.value for c in by_county[2]] == ["县（区）", "问题数", "待整改", "已整改", "已验收", "退回整改", "逾期"]
    assert {r[0]: r[1:] for r in sheet_rows(by_county)}["甲县"] == (4, 1, 1, 1, 1, 1)
    listed = sheet_rows(book["整改问题"])
    assert [r[2] for r in listed] == [r[2] for r in detail]
    assert listed[1][4].date() == datetime.date(2016, 12, 15) and listed[1][6] == "逾期"


@pytest.mark.parametrize(
    ("role", "counties", "texts"),
    [
        ("region", None, {"送教记录缺照片", "县级台账不全", "协议未盖章", "计划未执行", "乙县问题"}),
        ("city_inspector", None, {"送教记录缺照片", "县级台账不全", "协议未盖章", "计划未执行", "乙县问题"}),
        ("county", ["甲县"], {"送教记录缺照片", "县级台账不全", "协议未盖章", "计划未执行"}),
        ("county_inspector", ["甲县"], {"送教记录缺照片", "县级台账不全", "协议未盖章", "计划未执行"}),
        ("recipient", [], {"送教记录缺照片"}),
        ("helper", [], {"协议未盖章", "计划未执行"}),
    ],
)
def test_r28_rectification_list_is_scoped_to_the_reader(login, findings, role, counties, texts):
    html = page(login(role), RECTIFICATION)
    if counties == []:  # a school: only its own findings, no per-county counts
        assert "各县（区）整改情况" not in html
        detail = table_rows(html, 0)
    else:
        summary = [r[0] for r in table_rows(html, 0)]
        assert summary == counties if counties else {"甲县", "乙县"} <= set(summary)
        detail = table_rows(html, 1)
    assert {r[2] for r in detail} == texts


def test_r28_rectification_list_county_filter_and_semester(login, insp, findings):
    client = login("city")
    html = page(client, RECTIFICATION, county=insp.land.other.pk)
    assert [r[0] for r in table_rows(html, 0)] == ["乙县"]
    assert [r[2] for r in table_rows(html, 1)] == ["乙县问题"]
    # A later semester lists what is still to be fixed from earlier ones, not what was rectified or verified.
    html = page(client, RECTIFICATION, semester="2016-2")
    assert {r[2] for r in table_rows(html, 1)} == {"送教记录缺照片", "计划未执行", "乙县问题"}
    html = page(client, RECTIFICATION, semester="2017-2")
    assert {r[2] for r in table_rows(html, 1)} == {"送教记录缺照片", "计划未执行", "乙县问题"}
    findings["other"].rectification = "已整改"
    finding_rectify(finding=findings["other"], actor=insp.users["city"])
    assert {r[2] for r in table_rows(page(client, RECTIFICATION, semester="2016-2"), 1)} == {
        "送教记录缺照片",
        "计划未执行",
    }


def test_r28_rectification_list_runs_a_bounded_number_of_queries(login, insp, django_assert_max_num_queries):
    client = login("city")
    client.get(RECTIFICATION)
    with django_assert_max_num_queries(12):
        page(client, RECTIFICATION)
    _more_pairings(insp, 6)
    with django_assert_max_num_queries(12):
        html = page(client, RECTIFICATION)
    assert len(table_rows(html, 1)) == 6
    with django_assert_max_num_queries(12):
        workbook(client, RECTIFICATION)


@pytest.mark.parametrize("url", PAGES)
def test_r29_r31_before_any_semester_is_set_up_the_pages_open_and_say_so(as_user, url):
    """The land of tests/accounts has a cycle whose semesters are not made yet."""
    html = page(as_user("city"), url)
    assert "还没有设置学期" in html
    assert 'name="semester"' not in html
    assert as_user("city").get(url, {"semester": "2016-1"}).status_code == 404
