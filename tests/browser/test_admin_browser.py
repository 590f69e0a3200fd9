"""A county clerk's first minutes in a real browser: log in, find the county's pairings, be kept out of others'."""

import pytest

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.services import pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from tests.factories import CountyFactory, CycleFactory, SchoolFactory, TownshipFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Browser-Test-2016"


def pair_in(county, name: str, cycle):
    township = TownshipFactory(county=county, name=f"{name}镇")
    helper = SchoolFactory(name=f"{name}镇中心小学", county=county, township=township, is_central=True,
                           location=Location.TOWNSHIP, school_type=SchoolType.PRIMARY)  # fmt: skip
    recipient = SchoolFactory(name=f"{name}村小学", county=county, township=township, location=Location.VILLAGE,
                              standing=Standing.WEAK)  # fmt: skip
    return pairing_create(helper=helper, recipient=recipient, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE,
                          cycle=cycle, actor=SYSTEM, arranged_by_county=county)  # fmt: skip


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def test_a_county_clerk_logs_in_and_sees_only_the_countys_pairings(page, live_server):
    cycle = CycleFactory()
    own, other = CountyFactory(name="甲县"), CountyFactory(name="乙县")
    pair_in(own, "甲", cycle)
    pair_in(other, "乙", cycle)
    user_create(actor=SYSTEM, username="clerk", role="county", county=own, password=PASSWORD)

    login(page, live_server, "clerk", PASSWORD)
    assert page.locator("#site-name").inner_text() == "柳州市中小学（幼儿园）结对帮扶管理系统"
    page.locator("#content-main a[href='/admin/pairings/pairing/']").first.click()
    page.wait_for_url("**/admin/pairings/pairing/")
    table = page.locator("#result_list").inner_text()
    assert "甲镇中心小学" in table and "甲村小学" in table
    assert "乙镇中心小学" not in table
    assert "1 结对" in page.locator(".paginator").inner_text()

    page.locator("#result_list a", has_text="甲镇中心小学").click()
    assert page.locator("h1").inner_text() == "修改 结对"
    assert page.locator("input[name=_save]").is_visible()


def test_a_wrong_password_is_refused_in_chinese(page, live_server):
    user_create(actor=SYSTEM, username="clerk", role="city", password=PASSWORD)
    login(page, live_server, "clerk", "wrong-password")
    assert "请输入一个正确的" in page.locator(".errornote").inner_text()


def test_two_clerks_on_one_pairing_the_second_is_told_to_reload(browser, live_server):
    """Two tabs open the same pairing; the first saves; the second is refused in Chinese and nothing is lost."""
    cycle = CycleFactory()
    county = CountyFactory(name="甲县")
    pairing = pair_in(county, "甲", cycle)
    user_create(actor=SYSTEM, username="clerk", role="county", county=county, password=PASSWORD)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    first, second = context.new_page(), context.new_page()
    login(first, live_server, "clerk", PASSWORD)
    url = f"{live_server.url}/admin/pairings/pairing/{pairing.pk}/change/"
    first.goto(url)
    second.goto(url)
    first.fill("#id_helper_contact", "王老师")
    first.click("input[name=_save]")
    first.wait_for_url("**/admin/pairings/pairing/")
    second.fill("#id_recipient_contact", "李老师")
    second.click("input[name=_save]")
    assert "此记录已被他人修改，请刷新后重试。" in second.locator("#content-main").inner_text()
    assert second.locator("#id_recipient_contact").input_value() == "李老师"  # the input is kept
    pairing.refresh_from_db()
    assert (pairing.helper_contact, pairing.recipient_contact) == ("王老师", "")
    context.close()
