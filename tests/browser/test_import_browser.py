"""A county clerk imports in Chromium at 1366×768: downloads the template, sends a GBK CSV with mistakes and reads
each reason, then sends a workbook renamed to .csv."""

import os

import openpyxl
import pytest

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from tests.factories import CountyFactory, TownshipFactory
from tests.helpers import xlsx_upload

from .test_admin_browser import PASSWORD, login

pytestmark = pytest.mark.django_db(transaction=True)

# Set to a folder to keep the screenshots (they are looked at by hand).
SHOTS = os.environ.get("SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_county_clerk_imports_schools_in_chromium(browser, live_server, tmp_path):
    county = CountyFactory(name="甲县")
    TownshipFactory(county=county, name="甲镇")
    user_create(actor=SYSTEM, username="clerk", role="county", county=county, password=PASSWORD)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, "clerk", PASSWORD)
    page.goto(f"{live_server.url}/admin/schools/school/import/")
    assert "下载导入模板" in page.content()
    shot(page, "import-form")

    with page.expect_download() as download:
        page.click("#import-template")
    assert download.value.suggested_filename.startswith("学校导入模板_")
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["数据", "填写说明"]

    csv = tmp_path / "学校.csv"
    csv.write_bytes(
        "学校名称,学校类型,县（区）,乡镇（街道）,所在位置\r\n甲镇第二小学,小学,甲县,甲镇,乡镇\r\n"
        "甲镇第三小学,大学,甲县,甲镇,乡镇\r\n,小学,甲县,不存在镇,乡镇\r\n".encode("gbk")
    )
    page.set_input_files("#id_import_file", str(csv))
    page.click("input[type=submit]")
    refused = page.locator("#import-refused")
    text = refused.inner_text()
    assert "第 3 行" in text and "未知的学校类型“大学”" in text
    assert "第 4 行" in text and "请填写“学校名称”" in text and "甲县没有名为“不存在镇”的乡镇（街道）" in text
    assert refused.locator("li").first.is_visible()  # the reasons are on the page, not behind a hover
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # the page does not scroll sideways
    shot(page, "import-refused")

    workbook = tmp_path / "renamed.csv"
    workbook.write_bytes(xlsx_upload(["学校名称", "学校类型", "县（区）", "乡镇（街道）", "所在位置"],
                                     [["甲镇第二小学", "小学", "甲县", "甲镇", "乡镇"]]).getvalue())  # fmt: skip
    page.set_input_files("#id_import_file", str(workbook))
    page.click("input[type=submit]")
    assert "确认导入" in page.content()
    shot(page, "import-preview")
    page.click("input[name=confirm]")
    page.wait_for_url("**/admin/schools/school/")
    assert "导入完成：新增 1 条" in page.content()
    context.close()
