"""Each role's home page and a report page with its download, in a real Chromium at 1366×768."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Agreement, WorkPlan
from pairings.services import agreement_save, pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from tests.factories import CountyFactory, CycleFactory, SchoolFactory, TownshipFactory, VillageFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Browser-Test-2016"
SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def county_land(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2016, 10, 10))
    cycle = CycleFactory()
    county = CountyFactory(name="融水苗族自治县", short_name="融水县")
    town = TownshipFactory(county=county, name="融水镇")
    village = VillageFactory(township=town, name="新安村")
    central = SchoolFactory(name="融水镇中心小学", county=county, township=town, is_central=True,
                            location=Location.TOWNSHIP, school_type=SchoolType.PRIMARY)  # fmt: skip
    school = SchoolFactory(name="新安村小学", county=county, township=town, village=village,
                           location=Location.VILLAGE, standing=Standing.WEAK)  # fmt: skip
    SchoolFactory(name="融水县未结对小学", county=county, school_type=SchoolType.PRIMARY)
    pairing = pairing_create(helper=central, recipient=school, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE,
                             cycle=cycle, actor=SYSTEM, arranged_by_county=county)  # fmt: skip
    agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)
    WorkPlan.objects.create(cycle=cycle, county=county)
    user_create(actor=SYSTEM, username="city", role="city", password=PASSWORD)
    user_create(actor=SYSTEM, username="rongshui", role="county", county=county, password=PASSWORD)
    user_create(actor=SYSTEM, username="rs_school", role="school", school=school, password=PASSWORD)
    user_create(actor=SYSTEM, username="inspector", role="inspector", county=county, password=PASSWORD)
    user_create(actor=SYSTEM, username="region", role="region", password=PASSWORD)
    return county


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector(".home-who h1")


@pytest.mark.parametrize(
    ("username", "who", "first_item"),
    [
        ("city", "柳州市教育局 · 市教育局", "有预警的结对"),
        ("rongshui", "融水县教育局 · 县（区）教育局", "有预警的结对"),
        ("rs_school", "新安村小学 · 学校", "本校结对"),
        ("inspector", "融水县 · 督导", "有预警的结对"),
        ("region", "自治区 · 自治区督导", "有预警的结对"),
    ],
)
def test_each_role_lands_on_its_home_page(wide_page, live_server, county_land, username, who, first_item):
    login(wide_page, live_server, username)
    assert wide_page.locator(".home-who h1").inner_text() == who
    assert wide_page.locator(".home-item .home-label").first.inner_text() == first_item
    # The page fits the screen: nothing scrolls sideways.
    assert wide_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide_page.screenshot(path=str(SHOTS / f"home-{username}.png"), full_page=True)


def test_a_county_clerk_opens_the_coverage_report_and_downloads_it(wide_page, live_server, county_land):
    login(wide_page, live_server, "rongshui")
    gap = wide_page.locator(".home-item", has_text="未参加结对的公办学校")
    assert gap.locator(".home-count").inner_text() == "1"
    assert "level-danger" in gap.get_attribute("class")
    gap.locator("a").click()
    wide_page.wait_for_url("**/reports/coverage/**")
    assert "融水县未结对小学" in wide_page.locator("#content-main").inner_text()
    danger = wide_page.locator("td.level-danger", has_text="融水县未结对小学")
    assert danger.evaluate("el => getComputedStyle(el).color") == "rgb(186, 33, 33)"  # red, not a green tick
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide_page.screenshot(path=str(SHOTS / "report-coverage.png"), full_page=True)
    with wide_page.expect_download() as info:
        wide_page.click("a.report-download")
    download = info.value
    assert download.suggested_filename == "覆盖情况_2016-10-10.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert book.sheetnames == ["覆盖情况", "未参加结对的公办学校"]
    assert book["未参加结对的公办学校"]["C3"].value == "融水县未结对小学"
