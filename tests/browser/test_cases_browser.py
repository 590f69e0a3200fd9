"""The exemplary cases page in a real Chromium at 1366×768, as a school reads it, and printed: A4, without the
site's navigation, the photo within the page."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.cases import case_accept, case_nominate, case_photo_add, case_save
from activities.models import ExemplaryCase
from pairings.models import Pairing

from .test_home_browser import SHOTS, county_land, login, wide_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def big_photo() -> bytes:
    image = Image.new("RGB", (1600, 1200), (60, 130, 90))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def publish() -> ExemplaryCase:
    users = {u.username: u for u in get_user_model().objects.all()}
    case = case_save(
        case=ExemplaryCase(
            pairing=Pairing.objects.get(),
            title="送教下乡：把示范课送到村小",
            write_up="帮扶学校每月送教一次。\n受援学校教师人人上公开课。",
        ),
        actor=users["rongshui"],
    )
    case_photo_add(case=case, image=SimpleUploadedFile("板书.jpg", big_photo()), caption="示范课的板书",
                   no_child_identifiable=True, actor=users["rongshui"])  # fmt: skip
    return case_accept(case=case_nominate(case=case, actor=users["rongshui"]), actor=users["city"])


def test_r32_a_school_reads_an_accepted_case_and_prints_it_on_a4(wide_page, live_server, county_land):  # noqa: F811
    case = publish()
    login(wide_page, live_server, "rs_school")
    wide_page.click("text=典型案例")
    wide_page.wait_for_url("**/cases/")
    article = wide_page.locator(f"#case-{case.pk}")
    assert "送教下乡：把示范课送到村小" in article.inner_text() and "融水县" in article.inner_text()
    image = article.locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1600
    assert wide_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide_page.screenshot(path=str(SHOTS / "cases-school.png"), full_page=True)

    wide_page.emulate_media(media="print")
    for chrome in ("#header", ".breadcrumbs", ".cases-tools"):
        assert not wide_page.locator(chrome).is_visible()
    assert image.is_visible() and "示范课的板书" in article.inner_text()
    # The photo fits within the printed page's width (A4 less its margins, about 178 mm = 673 CSS pixels).
    assert image.evaluate("img => img.getBoundingClientRect().width") <= 680
    wide_page.screenshot(path=str(SHOTS / "cases-print.png"), full_page=True)
    pdf = wide_page.pdf(prefer_css_page_size=True, print_background=False)
    boxes = [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]
    assert len(boxes) == 1  # one case, one page
    assert all(abs(w - 595.3) < 2 and abs(h - 841.9) < 2 for w, h in boxes)  # A4 portrait, in points
    (SHOTS / "cases.pdf").write_bytes(pdf)
