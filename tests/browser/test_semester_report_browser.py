"""The semester compliance report in a real Chromium at 1366×768: the city reads the county rows and the charts,
a figure opens the list behind it, a county bureau reads only its own county, and the page prints on A4 without
the navigation."""

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from tests.accounts.conftest import (
    PASSWORD,
    land,  # noqa: F401
)
from tests.activities.conftest import acts  # noqa: F401
from tests.inspections.conftest import insp  # noqa: F401
from tests.inspections.test_semester_report import busy  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
TITLE = "学期结对帮扶工作情况"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2017, 1, 10))


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector(".home-who h1")


def open_report(page) -> None:
    page.get_by_role("link", name=TITLE).first.click()
    page.wait_for_url("**/reports/inspections/semester/**")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_the_city_reads_the_counties_and_charts_and_opens_a_figures_list(wide_page, live_server, busy):  # noqa: F811
    login(wide_page, live_server, "city")
    open_report(wide_page)
    main = wide_page.locator("#content-main")
    rows = wide_page.locator(".report-table").first.locator("tbody tr")
    places = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert {"甲县", "乙县", "丙区", "全市"} <= set(places)
    charts = wide_page.locator("svg.pygal-chart")
    assert charts.count() == 2
    for i in range(2):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 400 and box["height"] > 150
    assert "甲县" in charts.first.text_content()
    assert wide_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(wide_page, "semester-report-city.png")
    # 乙县's pairings with no confirmed activity: one, and its list has that one pairing.
    row = rows.filter(has_text="乙县").filter(has_text="小计")
    silent = row.locator("td").nth(6).locator("a")
    assert silent.inner_text() == "1"
    silent.click()
    wide_page.wait_for_url(re.compile(r".*/semester/list/\?what=silent.*"))
    assert "本学期无已确认活动的结对（乙县，" in wide_page.locator("#content h1").inner_text()
    listed = wide_page.locator(".report-table tbody tr")
    assert listed.count() == 1 and "乙村小学" in listed.first.inner_text()
    assert "甲村小学" not in main.inner_text()
    shot(wide_page, "semester-report-list.png")


def test_a_county_bureau_reads_only_its_own_county(wide_page, live_server, busy):  # noqa: F811
    login(wide_page, live_server, "county")
    open_report(wide_page)
    text = wide_page.locator("#content-main").inner_text()
    assert "甲县" in text and "乙县" not in text and "丙区" not in text
    assert wide_page.locator("select[name=county]").count() == 0
    shot(wide_page, "semester-report-county.png")


def test_the_report_prints_on_a4_without_the_navigation(wide_page, live_server, busy, tmp_path):  # noqa: F811
    login(wide_page, live_server, "city")
    open_report(wide_page)
    assert wide_page.locator("#header").is_visible() and wide_page.locator(".report-filters").is_visible()
    assert wide_page.locator("#nav-sidebar").is_visible()
    wide_page.emulate_media(media="print")
    for hidden in (
        "#header",
        ".breadcrumbs",
        "#nav-sidebar",
        "#toggle-nav-sidebar",
        ".report-filters",
        "a.report-download",
    ):
        assert not wide_page.locator(hidden).first.is_visible(), hidden
    assert wide_page.locator("svg.pygal-chart").first.is_visible()
    assert wide_page.locator(".report-table").first.is_visible()
    pdf = wide_page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all((round(float(w)), round(float(h))) == (842, 595) for w, h in boxes)  # A4 landscape
    if shutil.which("pdfinfo"):
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Page size:\s+841\.\d+ x 59[45]\.\d+ pts \(A4\)", info), info
    # The chart fits the page's width: its box is no wider than A4 landscape less its margins.
    width = wide_page.locator("svg.pygal-chart").first.bounding_box()["width"]
    assert width <= 277 / 25.4 * 96 + 1
    (SHOTS / "semester-report-print.pdf").parent.mkdir(parents=True, exist_ok=True)
    (SHOTS / "semester-report-print.pdf").write_bytes(pdf)
