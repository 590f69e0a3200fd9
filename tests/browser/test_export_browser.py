"""A county clerk exports the county's schools in a real browser: a Chinese page, a Chinese file name, the county's
rows only."""

import re

import openpyxl
import pytest
from django.utils import timezone

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from tests.browser.test_admin_browser import PASSWORD, login, pair_in
from tests.factories import CountyFactory, CycleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_county_clerk_downloads_the_countys_schools_as_a_chinese_workbook(browser, live_server, tmp_path):
    cycle = CycleFactory()
    own, other = CountyFactory(name="甲县"), CountyFactory(name="乙县")
    pair_in(own, "甲", cycle)
    pair_in(other, "乙", cycle)
    user_create(actor=SYSTEM, username="clerk", role="county", county=own, password=PASSWORD)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, "clerk", PASSWORD)
        page.goto(f"{live_server.url}/admin/schools/school/")
        page.locator("a.export_link").click()
        page.wait_for_url(re.compile(r"/admin/schools/school/export/"))
        assert page.locator("h1").inner_text() == "导出学校"
        content = page.locator("#content").inner_text()
        assert "共 2 条" in content and "文件格式" in content and "学校名称、学校标识码" in content
        assert page.locator("input[name=format][value='0']").is_checked()
        with page.expect_download() as info:
            page.locator("input[type=submit]").click()
        download = info.value
        assert download.suggested_filename == f"学校名单_{timezone.localdate().isoformat()}.xlsx"
        path = tmp_path / "schools.xlsx"
        download.save_as(path)
        sheet = openpyxl.load_workbook(path)["学校名单"]
        assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {"甲镇中心小学", "甲村小学"}
    finally:
        context.close()
