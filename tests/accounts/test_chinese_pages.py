"""Every admin page each role can reach speaks Chinese: no English word is left where a user can see it."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.reports import reports_for
from schools.choices import Standing
from schools.services import school_save

pytestmark = pytest.mark.django_db

ROLES = ["city", "county", "school", "inspector", "region"]
# Attributes whose text a user sees (on hovering, in an empty field, instead of an image, on a button).
VISIBLE_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
# Words a Chinese page may show as they are: the test users' names, file types and units users know.
USERNAMES = {"city", "county", "school", "inspector", "region", "district"}
ALLOWED = USERNAMES | {"xlsx", "csv", "CSV", "PDF", "PNG", "JPEG", "MB", "UTF", "GBK"}
# Office file types by the names users know them by (evidence files).
ALLOWED |= {"Office", "Word", "Excel", "PowerPoint"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A requirement ID of the plan ("R16", "（R7）"): users see plain words, not the specification's numbering.
REQUIREMENT_ID = re.compile(r"(?<![A-Za-z0-9])R\d{1,2}(?!\d)")


class VisibleText(HTMLParser):
    """Collect the text a user sees: text nodes outside <script>/<style>/<template>, some attributes, and the
    labels of buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attrs = dict(attrs)
        self.texts += [attrs[a] for a in VISIBLE_ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return {
        w for text in parser.texts for w in LATIN_WORD.findall(text) + REQUIREMENT_ID.findall(text) if w not in ALLOWED
    }


def reachable_pages(client) -> list[str]:
    """Return the admin pages the logged-in user may open, found from the admin's registry and permissions."""
    request = client.get(reverse("admin:index")).wsgi_request
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{prefix}_add"))
        obj = model_admin.get_queryset(request).first()
        if obj is not None:
            urls += [reverse(f"{prefix}_change", args=[obj.pk]), reverse(f"{prefix}_history", args=[obj.pk])]
        # The spreadsheet pages of the lists that have them.
        if getattr(model_admin, "has_import_permission", None) and model_admin.has_import_permission(request):
            urls.append(reverse(f"{prefix}_import"))
        if getattr(model_admin, "has_export_permission", None) and model_admin.has_export_permission(request):
            urls.append(reverse(f"{prefix}_export"))
    # The report pages the home page lists for this user.
    urls += [url for _title, url, _description in reports_for(request.user)]
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_shows_no_english(as_user, role):
    client = as_user(role)
    found = {}
    pages = reachable_pages(client)
    if role in ("city", "county"):  # the spreadsheet and report pages are among them
        assert reverse("admin:schools_school_import") in pages and reverse("admin:schools_school_export") in pages
        assert any(url.startswith("/reports/") for url in pages)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        words = english_words(response.content.decode())
        if words:
            found[url] = sorted(words)
    assert found == {}


def test_the_login_logout_and_password_pages_show_no_english(client, as_user):
    assert english_words(client.get(reverse("admin:login")).content.decode()) == set()
    clerk = as_user("county")
    assert english_words(clerk.get(reverse("admin:password_change_done")).content.decode()) == set()
    assert english_words(clerk.post(reverse("admin:logout")).content.decode()) == set()


def test_a_missing_page_is_explained_in_chinese_in_the_sites_look(as_user):
    response = as_user("county").get("/admin/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "此页面不存在" in page and 'id="site-name"' in page and "柳州市中小学（幼儿园）结对帮扶管理系统" in page
    assert english_words(page) == set()


def test_a_forbidden_page_is_explained_in_chinese(as_user):
    # Accounts are the city's: a county clerk who opens the list of users is refused.
    response = as_user("county").get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "您无权打开此页面" in page and 'id="site-name"' in page
    assert english_words(page) == set()


def test_the_server_error_page_needs_neither_request_context_nor_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/admin/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器出现错误" in page and 'id="site-name"' in page
    assert english_words(page) == set()


def test_a_form_sent_without_its_security_token_is_explained_in_chinese(land):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("admin:login"), {"username": "city", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "表单未能提交" in page
    assert english_words(page) == set()


def test_a_history_page_shows_each_change_as_users_read_it(as_user, land):
    school = land.own_school
    school.contact_person, school.is_central, school.standing = "王老师", True, Standing.ORDINARY
    school_save(school=school, actor=SYSTEM)
    page = as_user("county").get(reverse("admin:schools_school_history", args=[school.pk])).content.decode()
    changes = page.split('id="change-history"')[1]
    assert "否" in changes and "是" in changes and "薄弱" in changes and "一般" in changes and "王老师" in changes
    assert english_words(page) == set()


@pytest.mark.parametrize("path", ["/no-such-page/", "/admin/no-such-page/", "/reports/coverage/?cycle=999"])
def test_with_debug_on_a_missing_page_is_still_the_chinese_one(as_user, settings, path):
    """`make run` (the demo) runs with DEBUG on: a user meets the site's page, not Django's technical one."""
    settings.DEBUG = True
    response = as_user("county").get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "此页面不存在" in page and "DEBUG" not in page
    assert english_words(page) == set()
