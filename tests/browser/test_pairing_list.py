"""At 1366×768 (a common office laptop) the pairing list fits the screen, one line per pairing, and the error pages
speak Chinese in the site's look."""

import pytest

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.services import pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from schools.models import Township
from tests.factories import CountyFactory, CycleFactory, SchoolFactory, TownshipFactory

from .test_admin_browser import PASSWORD, login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def laptop(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def pairings_of_a_county(count: int) -> None:
    """Township–village pairings with names as long as real ones (融水县融水镇中心小学), each with a warning (the
    recipient is not rated weak)."""
    cycle = CycleFactory()
    county = CountyFactory(name="融水苗族自治县", short_name="融水县")
    township = TownshipFactory(county=county, name="融水镇")
    helper = SchoolFactory(name="融水县融水镇中心小学", county=county, township=township, is_central=True,
                           location=Location.TOWNSHIP, school_type=SchoolType.PRIMARY)  # fmt: skip
    for i in range(count):
        recipient = SchoolFactory(name=f"融水镇第{i + 1}村小学", county=county, township=township,
                                  location=Location.VILLAGE, standing=Standing.ORDINARY)  # fmt: skip
        pairing_create(helper=helper, recipient=recipient, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE,
                       cycle=cycle, actor=SYSTEM, arranged_by_county=county)  # fmt: skip
    user_create(actor=SYSTEM, username="clerk", role="county", county=county, password=PASSWORD)


def test_the_pairing_list_fits_a_laptop_screen_one_line_per_pairing(laptop, live_server):
    pairings_of_a_county(12)
    login(laptop, live_server, "clerk", PASSWORD)
    laptop.goto(f"{live_server.url}/admin/pairings/pairing/")
    # Nothing scrolls sideways: neither the page nor the table is wider than the window.
    assert laptop.evaluate("document.documentElement.scrollWidth") <= 1366
    table = laptop.locator("#result_list").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= 1366
    container = laptop.locator(".changelist-form-container .results").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert container[0] <= container[1]
    # One line per pairing: every row as tall as one line of text.
    heights = laptop.locator("#result_list tbody tr").evaluate_all("rows => rows.map(r => r.offsetHeight)")
    line = laptop.locator("#result_list tbody td.field-helper, #result_list tbody th.field-helper").first.evaluate(
        "e => parseFloat(getComputedStyle(e).lineHeight) || 18"
    )
    assert len(heights) == 12 and max(heights) < 2 * line + 12, heights
    text = laptop.locator("#result_list").inner_text()
    assert "融水县" in text and "融水苗族自治县" not in text and "⚠ 1" in text


def test_missing_and_forbidden_pages_are_chinese_in_the_sites_look(laptop, live_server):
    pairings_of_a_county(1)
    login(laptop, live_server, "clerk", PASSWORD)
    laptop.goto(f"{live_server.url}/admin/pairings/pairing/999999/nothing/")
    assert laptop.locator("#site-name").inner_text() == "柳州市中小学（幼儿园）结对帮扶管理系统"
    response = laptop.goto(f"{live_server.url}/admin/no-such-page/")
    assert response.status == 404
    assert laptop.locator("h1").inner_text() == "此页面不存在"
    response = laptop.goto(f"{live_server.url}/admin/auth/user/")
    assert response.status == 403
    assert laptop.locator("h1").inner_text() == "您无权打开此页面"
    assert laptop.locator("#site-name").inner_text() == "柳州市中小学（幼儿园）结对帮扶管理系统"


def test_adding_a_kindergarten_pairing_offers_kindergartens_only(laptop, live_server):
    pairings_of_a_county(1)
    township = Township.objects.get(name="融水镇")
    SchoolFactory(name="融水镇中心幼儿园", county=township.county, township=township, is_central=True,
                  location=Location.TOWNSHIP, school_type=SchoolType.KINDERGARTEN)  # fmt: skip
    login(laptop, live_server, "clerk", PASSWORD)
    laptop.goto(f"{live_server.url}/admin/pairings/pairing/add/")
    laptop.select_option("#id_stage", Stage.PRESCHOOL)
    laptop.click(".field-helper .select2-selection")
    laptop.wait_for_selector(".select2-results__option:not(.loading-results)")
    assert laptop.locator(".select2-results__option").all_inner_texts() == ["融水镇中心幼儿园"]
    laptop.keyboard.press("Escape")
    laptop.select_option("#id_stage", Stage.COMPULSORY)
    laptop.click(".field-recipient .select2-selection")
    laptop.wait_for_selector(".select2-results__option:not(.loading-results)")
    offered = laptop.locator(".select2-results__option").all_inner_texts()
    assert "融水镇中心幼儿园" not in offered and "融水县融水镇中心小学" in offered
