"""Each role's home page and the report pages behind the selectors: scoped, downloadable, bounded in queries."""

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from liuzhou_pairing.actors import SYSTEM
from pairings.models import Agreement
from pairings.services import agreement_save, work_plan_review, work_plan_submit
from schools.choices import Location, SchoolType, Standing
from tests.factories import CycleFactory, SchoolFactory
from tests.helpers import attach_tables

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2016, 10, 10)  # after both deadlines of the land's cycle (plans 09-15, agreements 09-30)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def home(client) -> str:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def items(html: str) -> dict[str, tuple[str, str]]:
    """Return each home item's label → (count or status, link)."""
    found = {}
    for url, label, value in re.findall(
        r'<li class="home-item[^"]*">\s*<a href="([^"]+)">\s*<span class="home-label">([^<]+)</span>\s*'
        r'<span class="home-(?:count|status)">([^<]+)</span>',
        html,
    ):
        found[label] = (value, url.replace("&amp;", "&"))
    return found


@pytest.mark.parametrize(
    ("role", "who"),
    [
        ("city", "柳州市教育局 · 市教育局"),
        ("county", "甲县教育局 · 县（区）教育局"),
        ("school", "甲村小学 · 学校"),
        ("inspector", "甲县 · 督导"),
        ("region", "自治区 · 自治区督导"),
    ],
)
def test_after_login_each_role_lands_on_its_home_page_naming_role_and_unit(as_user, role, who):
    client = as_user(role)
    assert client.get("/", follow=True).redirect_chain[-1][0] == reverse("admin:index")
    html = home(client)
    assert f"<h1>{who}</h1>" in html
    assert "待办事项" in html


def test_county_home_lists_warnings_gaps_agreements_and_its_work_plan(as_user, land):
    SchoolFactory(
        name="甲县未结对小学", county=land.own, school_type=SchoolType.PRIMARY, location=Location.COUNTY_TOWN
    )
    SchoolFactory(name="乙县未结对小学", county=land.other, school_type=SchoolType.PRIMARY)
    client = as_user("county")
    found = items(home(client))
    cycle = f"?cycle={land.cycle.pk}"
    assert found["未参加结对的公办学校"] == ("1", reverse("pairings:coverage") + cycle)
    assert found["有预警的结对"][1] == reverse("pairings:warnings") + cycle
    # The own pairing's agreement is unsigned, the cross-county pairing has none: both overdue.
    assert found["未签订或逾期签订的协议"] == ("2", reverse("pairings:late_agreements") + cycle)
    assert found["本单位工作方案"] == (
        "逾期未报送",
        reverse("admin:pairings_workplan_change", args=[land.own_plan.pk]),
    )
    # Every link resolves for this user.
    for _value, url in found.values():
        assert client.get(url).status_code == 200


def test_county_work_plan_state_follows_submission_and_review(as_user, land):
    from django.core.files.base import ContentFile

    from pairings.demo import DEMO_PDF

    attach_tables(land.own_plan)
    plan = work_plan_submit(plan=land.own_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 20),
                            document=ContentFile(DEMO_PDF, name="p.pdf"))  # fmt: skip
    client = as_user("county")
    assert items(home(client))["本单位工作方案"][0] == "已报送（逾期报送）"
    work_plan_review(plan=plan, actor=SYSTEM, accept=False, reason="缺少安排表")
    html = home(client)
    assert items(html)["本单位工作方案"][0] == "已退回"
    assert "退回原因：缺少安排表" in html


def test_school_home_lists_its_pairings_and_agreements_to_sign(as_user, land):
    client = as_user("school")
    found = items(home(client))
    assert found["本校结对"][0] == "1"
    # The school uploads the scan (its own task); the county bureau records the signing (the school waits for it).
    assert found["待上传签字扫描件的协议"][0] == "1"
    assert found["县（区）教育局尚未登记签订的协议"][0] == "1"
    assert "有预警的结对" not in found and "未参加结对的公办学校" not in found
    land.own_agreement.signed_on = datetime.date(2016, 9, 1)
    land.own_agreement.helper_signatory = land.own_agreement.recipient_signatory = "王校长"
    agreement_save(agreement=land.own_agreement, actor=SYSTEM)
    found = items(home(client))
    assert found["待上传签字扫描件的协议"][0] == "1"  # signed, the scan still missing
    assert found["县（区）教育局尚未登记签订的协议"][0] == "0"


def test_city_home_lists_late_and_missing_work_plans_and_per_county_figures(as_user, land):
    SchoolFactory(name="乙县未结对小学", county=land.other, school_type=SchoolType.PRIMARY)
    html = home(as_user("city"))
    found = items(html)
    assert found["逾期未报送的工作方案"][0] == "2"
    assert found["逾期报送的工作方案"][0] == "0"
    assert found["未参加结对的公办学校"][0] == "1"
    assert "乙县 <b>1</b>" in html  # per county


@pytest.mark.parametrize("role", ["inspector", "region"])
def test_inspectors_home_shows_what_they_may_read(as_user, role):
    found = items(home(as_user(role)))
    # what they may read of the pairings, and the inspections they have still to sign
    assert set(found) == {"有预警的结对", "未参加结对的公办学校", "未签署的督导检查"}


def test_home_keeps_the_model_list_ordered_by_the_work(as_user):
    html = home(as_user("city"))
    content = html[html.index('class="app-pairings') :]
    assert content.index("/admin/pairings/pairing/") < content.index("/admin/pairings/agreement/")
    assert content.index("/admin/pairings/") < content.index("/admin/schools/school/")
    assert content.index("/admin/schools/school/") < content.index("/admin/schools/county/")
    assert content.index("/admin/schools/village/") < content.index("/admin/auth/user/")  # accounts come after


REPORTS = ["pairings:coverage", "pairings:warnings", "pairings:late_agreements", "pairings:late_work_plans"]


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("role", ["city", "county", "inspector", "region"])
def test_report_pages_open_for_the_roles_that_read_them(as_user, name, role):
    response = as_user(role).get(reverse(name))
    assert response.status_code == 200
    assert "下载表格（xlsx）" in response.content.decode()


@pytest.mark.parametrize("name", ["pairings:coverage", "pairings:warnings"])
def test_a_school_may_not_read_county_reports(as_user, name):
    assert as_user("school").get(reverse(name)).status_code == 403


def test_reports_need_a_login_and_an_unknown_cycle_is_404(client, as_user):
    assert client.get(reverse("pairings:coverage")).status_code == 302
    assert as_user("city").get(reverse("pairings:coverage") + "?cycle=999999").status_code == 404
    assert as_user("city").get(reverse("pairings:coverage") + "?cycle=x").status_code == 404


def test_coverage_page_is_scoped_and_shows_gaps_as_warnings(as_user, land):
    SchoolFactory(name="甲县未结对小学", county=land.own, school_type=SchoolType.PRIMARY)
    SchoolFactory(name="乙县未结对小学", county=land.other, school_type=SchoolType.PRIMARY)
    html = as_user("county").get(reverse("pairings:coverage")).content.decode()
    assert "甲县未结对小学" in html and "乙县未结对小学" not in html
    assert re.search(r'class=" level-danger">\s*<a href="[^"]+">甲县未结对小学', html)
    city = as_user("city").get(reverse("pairings:coverage")).content.decode()
    assert "乙县未结对小学" in city


def test_late_reports_show_overdue_as_a_warning_and_are_scoped(as_user, land):
    html = as_user("county").get(reverse("pairings:late_agreements")).content.decode()
    assert "甲村小学" in html and "乙村小学" not in html
    assert "逾期未签订" in html and "level-danger" in html
    plans = as_user("county").get(reverse("pairings:late_work_plans")).content.decode()
    assert "甲县" in plans and "乙县" not in plans
    assert "逾期未报送" in plans


def test_warnings_page_lists_a_warned_pairing_of_the_county_only(as_user, land):
    from pairings.choices import Tier
    from pairings.services import pairing_create
    from schools.choices import Stage

    strong = SchoolFactory(
        name="甲镇强校",
        county=land.own,
        township=land.own_central.township,
        location=Location.TOWNSHIP,
        school_type=SchoolType.PRIMARY,
        standing=Standing.ORDINARY,
    )
    warned = pairing_create(helper=strong, recipient=land.own_school, stage=Stage.COMPULSORY,
                            tier=Tier.TOWNSHIP_VILLAGE, cycle=land.cycle, actor=SYSTEM,
                            arranged_by_county=land.own)  # fmt: skip
    assert warned.warnings
    html = as_user("county").get(reverse("pairings:warnings")).content.decode()
    assert "甲镇强校" in html and "level-warning" in html
    assert "甲镇强校" not in as_user("district").get(reverse("pairings:warnings")).content.decode()


def open_xlsx(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_coverage_downloads_as_xlsx_from_the_same_rows(as_user, land):
    SchoolFactory(name="甲县未结对小学", county=land.own, school_type=SchoolType.PRIMARY)
    response = as_user("county").get(reverse("pairings:coverage") + "?format=xlsx")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert "%E8%A6%86%E7%9B%96%E6%83%85%E5%86%B5_2016-10-10.xlsx" in response["Content-Disposition"]  # 覆盖情况
    book = open_xlsx(response)
    assert book.sheetnames == ["覆盖情况", "未参加结对的公办学校"]
    summary = book["覆盖情况"]
    assert summary["A1"].value.startswith("各县（区）分学段结对覆盖情况")
    assert [c.value for c in summary[2]][:5] == ["县（区）", "学段", "公办学校数", "已结对公办学校", "未结对公办学校"]
    gaps = book["未参加结对的公办学校"]
    assert [c.value for c in gaps[3]][:3] == ["甲县", "义务教育", "甲县未结对小学"]
    assert gaps.max_row == 3  # title, header, one school: 乙县 is not in the county's file


@pytest.mark.parametrize(
    ("name", "stem", "header"),
    [
        ("pairings:warnings", "结对预警", "县（区）"),
        ("pairings:late_agreements", "逾期协议", "帮扶学校"),
        ("pairings:late_work_plans", "逾期工作方案", "报送单位"),
    ],
)
def test_each_report_downloads_as_xlsx(as_user, name, stem, header):
    from urllib.parse import quote

    response = as_user("city").get(reverse(name) + "?format=xlsx")
    assert quote(f"{stem}_2016-10-10.xlsx") in response["Content-Disposition"]
    book = open_xlsx(response)
    assert book.worksheets[0]["A2"].value == header


def test_late_work_plans_xlsx_rows(as_user, land):
    sheet = open_xlsx(as_user("city").get(reverse("pairings:late_work_plans") + "?format=xlsx")).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    # In the order of the counties' codes (the factory's codes wrap around, so either county may come first).
    counties = sorted((land.own, land.other), key=lambda county: county.code)
    assert [(r[0], r[4]) for r in rows] == [(county.name, "逾期未报送") for county in counties]


@pytest.mark.parametrize("name", ["admin:index", *REPORTS])
@pytest.mark.parametrize("role", ["city", "county", "school"])
def test_pages_run_a_bounded_number_of_queries(as_user, land, name, role, django_assert_max_num_queries):
    """The same number of queries with 2 pairings or 32: nothing is read row by row."""
    from tests.accounts.conftest import Land

    client = as_user(role)
    client.get(reverse(name))  # warm the session

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name))
        assert response.status_code in (200, 403)
        # The session's own reads and writes vary with its expiry, not with the data.
        return len([q for q in queries.captured_queries if "session" not in q["sql"] and "SAVEPOINT" not in q["sql"]])

    before = count()
    for i in range(15):
        SchoolFactory(name=f"甲县未结对学校{i}", county=land.own, school_type=SchoolType.PRIMARY)
        helper = SchoolFactory(name=f"甲镇帮扶学校{i}", county=land.own, township=land.own_central.township,
                               location=Location.TOWNSHIP, school_type=SchoolType.PRIMARY)  # fmt: skip
        pairing = Land._pair(land, helper, land.own_school if i % 2 else SchoolFactory(
            name=f"甲村受援学校{i}", county=land.own, township=land.own_central.township,
            village=land.own_school.village, location=Location.VILLAGE, standing=Standing.WEAK), land.own)  # fmt: skip
        agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)
    assert count() == before
    with django_assert_max_num_queries(30):
        client.get(reverse(name))


def test_a_cycle_can_be_chosen(as_user, land):
    later = CycleFactory(name="2021—2025年结对帮扶", first_academic_year=2021, last_academic_year=2025,
                         work_plan_deadline=datetime.date(2021, 9, 15),
                         agreement_deadline=datetime.date(2021, 9, 30))  # fmt: skip
    client = as_user("city")
    assert "2021—2025年结对帮扶" in client.get(reverse("pairings:late_agreements")).content.decode()
    html = client.get(reverse("pairings:late_agreements") + f"?cycle={land.cycle.pk}").content.decode()
    assert "甲村小学" in html
    html = client.get(reverse("pairings:late_agreements") + f"?cycle={later.pk}").content.decode()
    assert "没有逾期的协议。" in html
