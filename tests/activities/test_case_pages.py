"""Exemplary cases as users meet them: the page every signed-in user reads (accepted cases only, never the
activity's evidence, staff or children helped), the photos served per role, the admin for the county and the city,
and the home page's items."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities.cases import case_accept, case_nominate, case_photo_add, case_return, case_save
from activities.choices import CaseStatus
from activities.evidence import evidence_add
from activities.models import ExemplaryCase
from liuzhou_pairing.reports import reports_for
from tests.helpers import admin_form_data

from .conftest import TODAY
from .test_cases import WRITE_UP, Cases, jpeg_file
from .test_evidence import PDF

pytestmark = pytest.mark.django_db

LIST = reverse("cases:list")
ROLES = ["city", "county", "other_county", "school", "helper", "inspector", "region", "district"]
CASE_LIST = reverse("admin:activities_exemplarycase_changelist")
CASE_ADD = reverse("admin:activities_exemplarycase_add")


@pytest.fixture
def cases(acts):
    return Cases(acts)


@pytest.fixture
def published(cases, acts):
    """An accepted case on an activity with a participant, an evidence file and a description; a nominated and a
    draft case beside it."""
    activity = acts.activity(today=TODAY, description="活动记录里的内部说明")
    evidence_add(activity=activity, file=SimpleUploadedFile("签到表内部.pdf", PDF), actor=acts.users["helper"],
                 today=TODAY)  # fmt: skip
    accepted = cases.accepted(activity=activity, title="公开的送教案例")
    nominated = cases.nominated(title="待采用的案例")
    draft = cases.with_photo(title="还在写的草稿")
    return accepted, nominated, draft


def login(client, acts, role):
    client.force_login(acts.users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_r32_every_signed_in_user_reads_the_accepted_cases_only(client, acts, published, role):
    accepted, nominated, draft = published
    html = login(client, acts, role).get(LIST).content.decode()
    assert "公开的送教案例" in html and "待采用的案例" not in html and "还在写的草稿" not in html
    assert accepted.photos.get().image.url in html and "示范课板书" in html
    assert "甲镇中心小学" in html and "甲村小学" in html and "甲县" in html
    detail = login(client, acts, role).get(reverse("cases:detail", args=[accepted.pk]))
    assert detail.status_code == 200 and "公开的送教案例" in detail.content.decode()
    for hidden in (nominated, draft):
        assert login(client, acts, role).get(reverse("cases:detail", args=[hidden.pk])).status_code == 404


def test_r24_the_page_shows_no_evidence_staff_or_activity_record(client, acts, published):
    accepted, _nominated, _draft = published
    evidence = accepted.activity.evidence.get()
    for url in (LIST, reverse("cases:detail", args=[accepted.pk])):
        html = login(client, acts, "school").get(url).content.decode()
        assert "王老师" not in html  # the activity's participant
        assert "签到表内部.pdf" not in html and evidence.file.url not in html
        assert "活动记录里的内部说明" not in html
        assert "帮扶学校每月送教一次" in html  # the write-up is there


def test_the_page_asks_a_bounded_number_of_queries(client, acts, cases, django_assert_max_num_queries):
    for n in range(4):
        cases.accepted(title=f"案例{n}")
    page = login(client, acts, "school")
    with django_assert_max_num_queries(12):
        assert page.get(LIST).status_code == 200


def test_the_page_is_for_signed_in_users_only(client, published):
    assert client.get(LIST).status_code == 302
    accepted = published[0]
    assert client.get(accepted.photos.get().image.url).status_code == 302


def test_the_page_is_on_every_roles_home_page(client, acts):
    for role in ROLES:
        assert LIST in [url for _title, url, _description in reports_for(acts.users[role])]
    html = login(client, acts, "school").get(reverse("admin:index")).content.decode()
    assert f'href="{LIST}"' in html and "典型案例" in html


@pytest.mark.parametrize(
    ("role", "sees_unaccepted"),
    [("city", True), ("county", True), ("other_county", False), ("school", False), ("helper", False),
     ("inspector", False), ("region", False)],
)  # fmt: skip
def test_r32_photos_of_accepted_cases_are_served_to_all_and_others_only_to_their_county_and_the_city(
    client, acts, published, role, sees_unaccepted
):
    accepted, nominated, draft = published
    page = login(client, acts, role)
    assert page.get(accepted.photos.get().image.url).status_code == 200
    for case in (nominated, draft):
        response = page.get(case.photos.get().image.url)
        assert response.status_code == (200 if sees_unaccepted else 404)


# --- Admin --------------------------------------------------------------------------------------------------


def photo_rows(*rows):
    data = {"new_photos-TOTAL_FORMS": str(len(rows)), "new_photos-INITIAL_FORMS": "0"}
    for i, (content, caption, confirmed) in enumerate(rows):
        data[f"new_photos-{i}-image"] = SimpleUploadedFile(f"照片{i}.jpg", content)
        data[f"new_photos-{i}-caption"] = caption
        if confirmed:
            data[f"new_photos-{i}-no_child_identifiable"] = "on"
    return data


def add_data(page, acts, **extra):
    data = admin_form_data(page.get(CASE_ADD))
    data.update({"pairing": acts.pairing.pk, "title": "后台填写的案例", "write_up": "两校联合教研。"})
    data.update(extra)
    return data


def test_r24_the_form_says_no_child_may_be_identifiable_and_a_photo_without_the_tick_is_refused(
    client, acts, settings
):
    page = login(client, acts, "county")
    form = page.get(CASE_ADD).content.decode()
    assert "照片中不得出现可识别的学生面部或姓名" in form and "我确认：照片中没有可识别的学生面部或姓名" in form
    response = page.post(CASE_ADD, add_data(page, acts, **photo_rows((jpeg_file().read(), "板书", False))))
    assert response.status_code == 200
    assert "请确认这张照片中不能识别出学生的面部或姓名" in response.content.decode()
    assert not ExemplaryCase.objects.exists()


def test_r32_a_county_writes_a_case_with_photos_and_nominates_it_from_its_page(client, acts):
    page = login(client, acts, "county")
    rows = photo_rows((jpeg_file().read(), "板书", True), (jpeg_file().read(), "教研会场", True))
    response = page.post(CASE_ADD, add_data(page, acts, **rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    case = ExemplaryCase.objects.get()
    assert case.status == CaseStatus.DRAFT and case.county == acts.land.own
    assert sorted(case.photos.values_list("caption", flat=True)) == ["教研会场", "板书"]
    change = reverse("admin:activities_exemplarycase_change", args=[case.pk])
    html = page.get(change).content.decode()
    assert "推荐到市教育局" in html
    workflow = reverse("admin:activities_exemplarycase_workflow", args=[case.pk])
    assert page.post(workflow, {"_nominate": "1"}).status_code == 302
    assert ExemplaryCase.objects.get().status == CaseStatus.NOMINATED
    # Nominated: read-only for the county, no more uploads, no accept button.
    html = page.get(change).content.decode()
    assert "new_photos-TOTAL_FORMS" not in html and 'name="_accept"' not in html


def test_r32_the_city_accepts_and_returns_from_the_page_and_a_return_needs_its_reason(client, acts, cases):
    first, second = cases.nominated(title="甲"), cases.nominated(title="乙")
    page = login(client, acts, "city")
    html = page.get(reverse("admin:activities_exemplarycase_change", args=[first.pk])).content.decode()
    assert 'name="_accept"' in html and 'name="_return"' in html
    page.post(reverse("admin:activities_exemplarycase_workflow", args=[first.pk]), {"_accept": "1"})
    assert ExemplaryCase.objects.get(pk=first.pk).status == CaseStatus.ACCEPTED
    workflow = reverse("admin:activities_exemplarycase_workflow", args=[second.pk])
    response = page.post(workflow, {"_return": "1", "return_reason": ""}, follow=True)
    assert "请填写退回理由" in response.content.decode()
    assert ExemplaryCase.objects.get(pk=second.pk).status == CaseStatus.NOMINATED
    page.post(workflow, {"_return": "1", "return_reason": "照片不够清晰"})
    assert ExemplaryCase.objects.get(pk=second.pk).return_reason == "照片不够清晰"


def test_r32_a_county_may_not_accept_through_the_page(client, acts, cases):
    case = cases.nominated()
    page = login(client, acts, "county")
    response = page.post(reverse("admin:activities_exemplarycase_workflow", args=[case.pk]), {"_accept": "1"},
                         follow=True)  # fmt: skip
    assert "只有市教育局可以采用或退回典型案例" in response.content.decode()
    assert ExemplaryCase.objects.get().status == CaseStatus.NOMINATED


def test_r32_the_city_accepts_with_the_list_action(client, acts, cases):
    case = cases.nominated()
    page = login(client, acts, "city")
    page.post(CASE_LIST, {"action": "accept_selected", "_selected_action": [case.pk], "reason": ""})
    assert ExemplaryCase.objects.get().status == CaseStatus.ACCEPTED


@pytest.mark.parametrize("role", ["school", "helper", "inspector", "region"])
def test_r32_schools_and_inspectors_have_no_case_admin(client, acts, role):
    page = login(client, acts, role)
    assert page.get(CASE_LIST).status_code == 403
    assert page.get(CASE_ADD).status_code == 403


def test_a_county_sees_its_own_cases_but_not_anothers_drafts(client, acts, cases):
    cases.with_photo(title="甲县草稿")
    page = login(client, acts, "other_county")
    html = page.get(CASE_LIST).content.decode()
    assert "甲县草稿" not in html


def test_r24_only_the_accepted_text_is_published_never_a_cases_drafts_or_history(client, acts, cases):
    """An accepted case's earlier drafts (a child named, then edited out) and its return reasons stay with its
    county and the city: another county reads the published page, not the record or its history."""
    case = cases.draft(write_up="三年级学生王小明在帮扶下进步很大。")
    case.write_up = WRITE_UP
    case = case_save(case=case, actor=acts.users["county"])
    case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=True, actor=acts.users["county"])
    case_accept(case=case_nominate(case=case, actor=acts.users["county"]), actor=acts.users["city"])
    record = reverse("admin:activities_exemplarycase_change", args=[case.pk])
    history = reverse("admin:activities_exemplarycase_history", args=[case.pk])
    first = case.history.earliest().history_id
    old_version = reverse("admin:activities_exemplarycase_simple_history", args=[case.pk, first])
    page = login(client, acts, "other_county")
    assert WRITE_UP in page.get(reverse("cases:detail", args=[case.pk])).content.decode()
    for url in (record, history, old_version):
        response = page.get(url)
        assert response.status_code in (302, 403, 404) and "王小明" not in response.content.decode()
    assert "王小明" not in page.get(CASE_LIST).content.decode()
    own = login(client, acts, "county")
    assert own.get(history).status_code == 200 and "王小明" in own.get(old_version).content.decode()


# --- Home items ---------------------------------------------------------------------------------------------


def test_r32_the_city_sees_the_cases_awaiting_acceptance_and_a_county_its_returned_ones(client, acts, cases):
    cases.nominated(title="甲")
    returned = case_return(case=cases.nominated(title="乙"), actor=acts.users["city"], reason="补充材料")
    city = login(client, acts, "city").get(reverse("admin:index")).content.decode()
    assert "待采用的典型案例" in city and f"{CASE_LIST}?status__exact=nominated" in city
    county = login(client, acts, "county").get(reverse("admin:index")).content.decode()
    assert "市教育局退回的典型案例" in county and f"{CASE_LIST}?status__exact=returned" in county
    assert returned.status == CaseStatus.RETURNED
    school = login(client, acts, "school").get(reverse("admin:index")).content.decode()
    assert "待采用的典型案例" not in school and "退回的典型案例" not in school


def test_r32_a_nominated_case_then_accepted_appears_on_the_page(client, acts, cases):
    case = case_nominate(case=cases.with_photo(title="刚推荐"), actor=acts.users["county"])
    assert "刚推荐" not in login(client, acts, "school").get(LIST).content.decode()
    case_accept(case=case, actor=acts.users["city"])
    assert "刚推荐" in login(client, acts, "school").get(LIST).content.decode()


def test_r32_a_photo_is_removed_on_the_cases_page_while_it_is_a_draft(client, acts, cases):
    case = cases.with_photo()
    page = login(client, acts, "county")
    url = reverse("admin:activities_exemplarycase_change", args=[case.pk])
    data = admin_form_data(page.get(url))
    data["photos-0-DELETE"] = "on"
    data.update(photo_rows((jpeg_file().read(), "新照片", True)))
    response = page.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(case.photos.values_list("caption", flat=True)) == ["新照片"]


def test_demo_cases_are_accepted_with_drawn_photos_and_replaced_by_the_next_run(acts, settings):
    from PIL import Image

    from activities.case_demo import demo_cases_clear, demo_cases_generate
    from activities.models import Activity, CasePhoto

    activity = acts.activity("county", today=TODAY)
    Activity.objects.filter(pk=activity.pk).update(is_demo=True)
    assert demo_cases_generate(seed=1) == 3  # one case (one demo activity of its kind) and its two photos
    case = ExemplaryCase.objects.get()
    assert case.status == CaseStatus.ACCEPTED and case.is_demo and case.activity_id == activity.pk
    for photo in case.photos.all():
        with photo.image.open("rb") as file, Image.open(file) as image:
            assert image.size == (960, 640)
    demo_cases_generate(seed=1)
    assert ExemplaryCase.objects.count() == 1 and CasePhoto.objects.count() == 2
    demo_cases_clear()
    assert not ExemplaryCase.objects.exists() and not ExemplaryCase.history.exists()
    assert not any(p.is_file() for p in (settings.MEDIA_ROOT / "cases").glob("*"))


def test_only_the_citys_case_list_asks_for_a_reason_to_return(client, acts, cases):
    cases.nominated(title="列表里的案例")
    county = login(client, acts, "county").get(CASE_LIST).content.decode()
    assert "列表里的案例" in county and 'name="reason"' not in county and "退回所选案例" not in county
    city = login(client, acts, "city").get(CASE_LIST).content.decode()
    assert 'name="reason"' in city and "退回所选案例" in city and "推荐单位" in city


@pytest.mark.parametrize("role", ["city", "county", "school"])
def test_the_case_pages_speak_chinese(client, acts, cases, role):
    from tests.accounts.test_chinese_pages import english_words

    nominated = cases.nominated(title="待采用")
    accepted = cases.accepted(title="已公开")
    urls = [LIST, reverse("cases:detail", args=[accepted.pk])]
    if role != "school":
        urls += [CASE_LIST, CASE_ADD, reverse("admin:activities_exemplarycase_change", args=[nominated.pk]),
                 reverse("admin:activities_exemplarycase_history", args=[nominated.pk])]  # fmt: skip
    page = login(client, acts, role)
    for url in urls:
        response = page.get(url)
        assert response.status_code == 200, url
        assert english_words(response.content.decode()) == set(), url
