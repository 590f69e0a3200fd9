"""The activities and staff pages of the admin, per role: scoping, entering, and confirming from the list."""

import datetime

import pytest
from django.urls import reverse

from activities.choices import Confirmation, Kind
from activities.models import Activity, DifficultyHelp
from activities.services import activity_reject
from liuzhou_pairing.actors import SYSTEM
from pairings.services import semester_update
from tests.accounts.test_chinese_pages import english_words, reachable_pages

pytestmark = pytest.mark.django_db

LIST = reverse("admin:activities_activity_changelist")
ADD = reverse("admin:activities_activity_add")
STAFF_LIST = reverse("admin:activities_staff_changelist")


@pytest.fixture(autouse=True)
def open_window(acts):
    """The pages use the real date: the city keeps the 2016—2017 first semester's entries open for these tests."""
    semester = acts.pairing.cycle.semester_rows.get(academic_year=2016, term=1)
    semester_update(semester=semester, actor=SYSTEM, entry_closes_on=datetime.date(2099, 12, 31))


def login(client, acts, role):
    client.force_login(acts.users[role])
    return client


@pytest.mark.parametrize(
    ("role", "sees", "adds"),
    [("helper", True, True), ("recipient", True, True), ("county", True, True), ("inspector", True, False),
     ("other_county", False, True), ("city", True, True), ("region", True, False)],
)  # fmt: skip
def test_the_activity_pages_per_role(client, acts, role, sees, adds):
    activity = acts.activity()
    page = login(client, acts, role)
    listing = page.get(LIST)
    assert listing.status_code == 200
    assert (f"/{activity.pk}/change/" in listing.content.decode()) is sees
    assert page.get(ADD).status_code == (200 if adds else 403)
    change = page.get(reverse("admin:activities_activity_change", args=[activity.pk]))
    assert change.status_code == (200 if sees else 302)


def test_the_partner_sees_the_activity_read_only_and_its_side_may_edit(client, acts):
    activity = acts.activity()
    url = reverse("admin:activities_activity_change", args=[activity.pk])
    if True:  # (kept as a block)
        own = login(client, acts, "helper").get(url).content.decode()
        assert 'name="teachers_reached"' in own
        partner = login(client, acts, "recipient").get(url).content.decode()
        assert 'name="teachers_reached"' not in partner


def test_awaiting_my_confirmation_lists_the_partners_pending_activities(client, acts):
    theirs = acts.activity("helper")
    mine = acts.activity("recipient", participants=[acts.recipient_key])
    page = login(client, acts, "recipient").get(LIST, {"awaiting": "me"}).content.decode()
    assert f"/{theirs.pk}/change/" in page and f"/{mine.pk}/change/" not in page
    assert "待我确认" in page


def test_the_partner_confirms_from_the_list(client, acts):
    activity = acts.activity("helper")
    response = login(client, acts, "recipient").post(
        LIST, {"action": "confirm_selected", "_selected_action": [activity.pk]}, follow=True
    )
    assert response.status_code == 200
    activity.refresh_from_db()
    assert activity.status == Confirmation.CONFIRMED
    assert "已确认 1 项活动" in response.content.decode()


def test_the_partner_rejects_from_the_list_with_a_reason(client, acts):
    activity = acts.activity("helper")
    page = login(client, acts, "recipient")
    response = page.post(LIST, {"action": "reject_selected", "_selected_action": [activity.pk], "reason": ""},
                         follow=True)  # fmt: skip
    assert "请填写退回原因" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Confirmation.PENDING
    page.post(LIST, {"action": "reject_selected", "_selected_action": [activity.pk], "reason": "人数不符"})
    activity.refresh_from_db()
    assert (activity.status, activity.rejection_reason) == (Confirmation.REJECTED, "人数不符")


def test_the_side_that_entered_cannot_confirm_its_own(client, acts):
    activity = acts.activity("helper")
    response = login(client, acts, "helper").post(
        LIST, {"action": "confirm_selected", "_selected_action": [activity.pk]}, follow=True
    )
    activity.refresh_from_db()
    assert activity.status == Confirmation.PENDING
    assert "只有结对另一方学校" in response.content.decode()


def form_data(acts, **extra):
    data = {
        "pairing": acts.pairing.pk,
        "date": "2016-10-12",
        "kind": Kind.STUDENTS_IN_DIFFICULTY,
        "form": "home_school",
        "measure": "students_in_difficulty",
        "focus": "",
        "participants": [acts.helper_teacher.pk],
        "teachers_reached": "2",
        "students_reached": "15",
        "description": "走访留守儿童家庭",
        "donation_items": "",
        "donation_quantity": "",
        "donation_value": "",
        "reason": "",
        "difficulty_help-TOTAL_FORMS": "1",
        "difficulty_help-INITIAL_FORMS": "0",
        "difficulty_help-MIN_NUM_FORMS": "0",
        "difficulty_help-MAX_NUM_FORMS": "1000",
        "difficulty_help-0-child_kind": "left_behind",
        "difficulty_help-0-children": "15",
        "difficulty_help-0-help_kind": "home_visit",
        # No evidence files uploaded (the upload rows of activities.admin.EvidenceUploadInline).
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_a_school_enters_an_activity_with_children_helped_on_the_page(client, acts):
    page = login(client, acts, "helper")
    if True:  # (kept as a block)
        form = page.get(ADD).content.decode()
        assert "请勿填写儿童的姓名" in form
        # The participants are searched by name (no list of every name on the page), among the staff of the
        # pairing chosen on the form, and never another county's.
        assert "王老师" not in form and 'data-forward="pairing"' in form
        search = {"app_label": "activities", "model_name": "activity", "field_name": "participants", "term": ""}
        found = page.get(reverse("admin:autocomplete"), {**search, "pairing": acts.pairing.pk}).json()["results"]
        assert {r["text"].split("（")[0] for r in found} == {"王老师", "李骨干", "张主任"}
        anywhere = page.get(reverse("admin:autocomplete"), search).json()["results"]
        assert "赵老师" not in str(anywhere) and "王老师" in str(anywhere)
        response = page.post(ADD, form_data(acts))
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get()
    assert (activity.status, activity.entered_by) == (Confirmation.PENDING, "helper")
    assert DifficultyHelp.objects.get().children == 15
    assert list(activity.participants.all()) == [acts.helper_teacher]
    assert "等待对方学校" in page.get(response.url).content.decode()


def test_an_activity_a_county_bureau_enters_is_confirmed_on_entry_and_the_page_says_so(client, acts):
    page = login(client, acts, "county")
    assert "待确认" not in page.get(ADD).content.decode()  # no status before there is an activity
    response = page.post(ADD, form_data(acts), follow=True)
    assert Activity.objects.exists()
    assert Activity.objects.get().status == Confirmation.CONFIRMED
    assert "已直接确认" in response.content.decode()


def test_a_refusal_shows_on_the_page_and_saves_nothing(client, acts):
    page = login(client, acts, "helper")
    if True:  # (kept as a block)
        response = page.post(ADD, form_data(acts, participants=[acts.other_staff.pk]))
    assert response.status_code == 200
    assert not Activity.objects.exists() and not DifficultyHelp.objects.exists()


@pytest.mark.parametrize(
    ("role", "sees"),
    [("helper", True), ("recipient", True), ("county", True), ("other_county", False), ("city", True)],
)
def test_the_staff_list_shows_names_in_scope_only(client, acts, role, sees):
    page = login(client, acts, role).get(STAFF_LIST).content.decode()
    assert ("李骨干" in page) is sees


@pytest.mark.parametrize("role", ["helper", "recipient", "county", "inspector", "region", "city"])
def test_the_activities_pages_speak_chinese(client, acts, role):
    activity = acts.activity()
    activity_reject(activity=activity, actor=acts.users["recipient"], reason="日期有误")
    login(client, acts, role)
    pages = [u for u in reachable_pages(client) if "/activities/" in u]
    assert LIST in pages and STAFF_LIST in pages
    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        # The test users' own names (helper, other_county) are no English a user is shown.
        words = english_words(response.content.decode()) - {"helper", "other"}
        if words:
            found[url] = sorted(words)
    assert found == {}


def test_the_partner_confirms_or_rejects_on_the_activitys_page(client, acts):
    first, second = acts.activity("helper"), acts.activity("helper", participants=[acts.helper_key])
    page = login(client, acts, "recipient")
    change = page.get(reverse("admin:activities_activity_change", args=[first.pk])).content.decode()
    decide = reverse("admin:activities_activity_decide", args=[first.pk])
    assert f'formaction="{decide}"' in change and 'name="_confirm"' in change
    response = page.post(decide, {"_confirm": ""})
    assert response.url == LIST + "?awaiting=me"  # back to what still awaits the school
    first.refresh_from_db()
    assert first.status == Confirmation.CONFIRMED
    # Who confirmed is shown as text, not as a link to an account page the school may not open.
    confirmed_page = page.get(reverse("admin:activities_activity_change", args=[first.pk])).content.decode()
    assert acts.users["recipient"].username in confirmed_page and "/admin/auth/user/" not in confirmed_page
    decide = reverse("admin:activities_activity_decide", args=[second.pk])
    response = page.post(decide, {"_reject": "", "decision_reason": ""}, follow=True)
    assert "请填写退回原因" in response.content.decode()
    page.post(decide, {"_reject": "", "decision_reason": "未开展"})
    second.refresh_from_db()
    assert (second.status, second.rejection_reason) == (Confirmation.REJECTED, "未开展")


def test_the_side_that_entered_has_no_decision_buttons_and_cannot_post_them(client, acts):
    activity = acts.activity("helper")
    page = login(client, acts, "helper")
    assert (
        'name="_confirm"'
        not in page.get(reverse("admin:activities_activity_change", args=[activity.pk])).content.decode()
    )
    page.post(reverse("admin:activities_activity_decide", args=[activity.pk]), {"_confirm": ""})
    activity.refresh_from_db()
    assert activity.status == Confirmation.PENDING
    outsider = login(client, acts, "other_county")
    assert outsider.post(
        reverse("admin:activities_activity_decide", args=[activity.pk]), {"_confirm": ""}
    ).status_code in (302, 404)
    activity.refresh_from_db()
    assert activity.status == Confirmation.PENDING
