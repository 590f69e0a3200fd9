"""Evidence in the admin: uploaded with the activity, listed with its flags, refused on its row."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities.choices import EvidenceKind, PhotoDate
from activities.evidence import evidence_add
from activities.models import Activity, Evidence
from tests.helpers import admin_form_data

from .test_admin import ADD, LIST, form_data, login, open_window  # noqa: F401 - the fixture keeps entries open
from .test_evidence import PDF, jpeg, png, stored_files

pytestmark = pytest.mark.django_db

EVIDENCE_LIST = reverse("admin:activities_evidence_changelist")


def uploads(*files: tuple[bytes, str]) -> dict:
    data = {"evidence-TOTAL_FORMS": str(len(files)), "evidence-INITIAL_FORMS": "0"}
    for i, (content, name) in enumerate(files):
        data[f"evidence-{i}-file"] = SimpleUploadedFile(name, content)
    return data


def test_r_evidence_a_school_adds_an_activity_with_two_photos_and_a_pdf(client, acts):
    page = login(client, acts, "helper")
    form = page.get(ADD).content.decode()
    assert "上传佐证材料" in form and 'type="file"' in form
    files = uploads((jpeg("2016:10:12 10:00:00"), "现场1.jpg"), (jpeg(None, colour=(9, 9, 9)), "现场2.jpg"),
                    (PDF, "签到表.pdf"))  # fmt: skip
    response = page.post(ADD, form_data(acts, **files))
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get()
    rows = {e.original_name: e for e in activity.evidence.all()}
    assert set(rows) == {"现场1.jpg", "现场2.jpg", "签到表.pdf"}
    assert rows["现场1.jpg"].photo_date == PhotoDate.NEAR and rows["现场2.jpg"].photo_date == PhotoDate.UNDATED
    assert rows["签到表.pdf"].kind == EvidenceKind.PDF and rows["签到表.pdf"].uploaded_by == acts.users["helper"]
    change = page.get(reverse("admin:activities_activity_change", args=[activity.pk])).content.decode()
    assert "签到表.pdf" in change and "无拍摄日期" in change
    assert rows["签到表.pdf"].file.url in change


def test_r_evidence_a_refused_file_shows_on_its_row_and_nothing_is_written(client, acts, settings):
    page = login(client, acts, "helper")
    files = uploads((PDF, "好.pdf"), (b"MZ\x90\x00" + bytes(300), "照片.jpg"))
    response = page.post(ADD, form_data(acts, **files))
    assert response.status_code == 200
    assert "照片.jpg：请上传照片（JPEG、PNG）" in response.content.decode()
    assert not Activity.objects.exists() and not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_files_are_added_and_removed_on_the_activitys_page(client, acts):
    activity = acts.activity()
    evidence_add(activity=activity, file=SimpleUploadedFile("旧.pdf", PDF), actor=acts.users["helper"])
    url = reverse("admin:activities_activity_change", args=[activity.pk])
    page = login(client, acts, "helper")
    data = admin_form_data(page.get(url))
    data["evidence-0-DELETE"] = "on"
    data.update({"evidence-2-TOTAL_FORMS": "1", "evidence-2-INITIAL_FORMS": "0"})
    data["evidence-2-0-file"] = SimpleUploadedFile("新.png", png())
    response = page.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(activity.evidence.values_list("original_name", flat=True)) == ["新.png"]


def test_the_partner_adds_a_file_from_the_evidence_list_but_not_to_a_confirmed_activity(client, acts):
    activity = acts.activity("helper")
    page = login(client, acts, "recipient")
    add = reverse("admin:activities_evidence_add")
    assert f'value="{activity.pk}"' in page.get(add).content.decode()
    response = page.post(add, {"activity": activity.pk, "file": SimpleUploadedFile("合影.jpg", jpeg()), "reason": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Evidence.objects.get().uploaded_by == acts.users["recipient"]


def test_the_partners_read_only_page_offers_no_upload_rows_but_a_link_to_add_files(client, acts):
    """A file chosen on a page that only confirms or rejects would be lost: the partner adds files from the link."""
    activity = acts.activity("helper")
    page = login(client, acts, "recipient").get(reverse("admin:activities_activity_change", args=[activity.pk]))
    html = page.content.decode()
    assert 'type="file"' not in html and 'name="_confirm"' in html
    assert reverse("admin:activities_evidence_add") + f"?activity={activity.pk}" in html


@pytest.mark.parametrize("role", ["inspector", "county", "city"])
def test_r_evidence_the_list_shows_the_flags_and_filters_by_them(client, acts, role):
    first, second = acts.activity(), acts.activity(date=datetime.date(2016, 10, 12))
    photo = jpeg("2016:10:10 10:00:00")
    for activity in (first, second):
        evidence_add(activity=activity, file=SimpleUploadedFile("合影.jpg", photo), actor=acts.users["helper"])
    evidence_add(activity=second, file=SimpleUploadedFile("远.jpg", jpeg("2016:05:01 10:00:00", colour=(5, 5, 5))),
                 actor=acts.users["helper"])  # fmt: skip
    page = login(client, acts, role)
    listing = page.get(EVIDENCE_LIST).content.decode()
    assert listing.count("复用材料") >= 2 and "拍摄日期相差超过7天" in listing
    reused = page.get(EVIDENCE_LIST, {"reused": "yes"}).content.decode()
    assert "合影.jpg" in reused and "远.jpg" not in reused
    flagged = page.get(LIST, {"evidence": "photo_date"}).content.decode()
    assert f"/{second.pk}/change/" in flagged and f"/{first.pk}/change/" not in flagged
    reused_activities = page.get(LIST, {"evidence": "reused"}).content.decode()
    assert f"/{second.pk}/change/" in reused_activities and f"/{first.pk}/change/" in reused_activities


def test_another_countys_user_sees_no_evidence(client, acts):
    evidence_add(activity=acts.activity(), file=SimpleUploadedFile("a.pdf", PDF), actor=acts.users["helper"])
    listing = login(client, acts, "other_county").get(EVIDENCE_LIST).content.decode()
    assert "a.pdf" not in listing


def test_r_evidence_a_reused_files_page_names_the_other_activity_in_sight(client, acts):
    first, second = acts.activity(), acts.activity(date=datetime.date(2016, 10, 12))
    photo = jpeg("2016:10:10 10:00:00")
    one = evidence_add(activity=first, file=SimpleUploadedFile("合影.jpg", photo), actor=acts.users["helper"])
    evidence_add(activity=second, file=SimpleUploadedFile("合影.jpg", photo), actor=acts.users["helper"])
    page = login(client, acts, "county")
    listing = page.get(EVIDENCE_LIST).content.decode()
    assert reverse("admin:activities_evidence_change", args=[one.pk]) in listing
    html = page.get(reverse("admin:activities_evidence_change", args=[one.pk])).content.decode()
    assert reverse("admin:activities_activity_change", args=[second.pk]) in html
    assert reverse("admin:activities_activity_change", args=[first.pk]) in html  # its own activity, above
