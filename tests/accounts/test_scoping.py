"""Scoping beyond the matrix: cross-county tampering by URL, cross-county pairings, imports, exports, choices,
and the audit trail of admin edits and imports."""

import io

import openpyxl
import pytest
from django.urls import reverse

from pairings.models import Pairing, WorkPlan
from schools.models import School
from tests.helpers import post_import

pytestmark = pytest.mark.django_db


def test_for_user_scopes_each_model_in_one_place(land):
    county, school, inspector = land.users["county"], land.users["school"], land.users["inspector"]
    assert set(School.objects.for_user(county)) == {land.own_central, land.own_school}
    assert set(School.objects.for_user(school)) == {land.own_school}
    assert set(School.objects.for_user(inspector)) == {land.own_central, land.own_school}
    assert School.objects.for_user(land.users["region"]).count() == School.objects.count()
    assert set(Pairing.objects.for_user(county)) == {land.own_pairing, land.cross_pairing}
    assert set(Pairing.objects.for_user(school)) == {land.own_pairing}
    assert set(Pairing.objects.editable_by(county)) == {land.own_pairing}
    assert set(Pairing.objects.editable_by(land.district_user)) == {land.cross_pairing}
    assert set(WorkPlan.objects.for_user(county)) == {land.own_plan}
    assert not Pairing.objects.editable_by(inspector).exists()


@pytest.mark.parametrize("name", ["other_central", "other_pairing", "other_agreement", "other_plan"])
def test_another_countys_object_is_not_served_by_url(as_user, land, name):
    client = as_user("county")
    obj = getattr(land, name)
    prefix = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
    response = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.get(reverse(f"{prefix}_history", args=[obj.pk])).status_code in (403, 404)


def test_posting_to_another_countys_school_changes_nothing(as_user, land):
    client = as_user("county")
    school = land.other_central
    response = client.post(
        reverse("admin:schools_school_change", args=[school.pk]),
        {"name": "被篡改", "school_type": "primary", "ownership": "public", "standing": "weak", "status": "active",
         "contact_phone": "0772-2815945"},
    )  # fmt: skip
    assert response.status_code == 302 and response.url == reverse("admin:index")
    school.refresh_from_db()
    assert school.name == "乙镇中心小学"
    assert school.history.count() == 1


def test_posting_to_another_countys_pairing_changes_nothing(as_user, land):
    client = as_user("county")
    pairing = land.other_pairing
    response = client.post(reverse("admin:pairings_pairing_change", args=[pairing.pk]), {"status": "ended"})
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == "active"


def test_a_cross_county_pairing_is_seen_by_both_and_edited_by_the_side_that_arranged_it(as_user, land):
    url = reverse("admin:pairings_pairing_change", args=[land.cross_pairing.pk])
    recipient_side = as_user("county")
    response = recipient_side.get(url)
    assert response.status_code == 200 and not response.context["has_change_permission"]
    arranging_side = as_user("district")
    response = arranging_side.get(url)
    assert response.status_code == 200 and response.context["has_change_permission"]


def test_school_staff_edit_only_their_contact_details(as_user, land):
    client = as_user("school")
    url = reverse("admin:schools_school_change", args=[land.own_school.pk])
    response = client.post(url, {"contact_person": "王老师", "contact_phone": "0772-5123456", "name": "改名"})
    assert response.status_code == 302
    land.own_school.refresh_from_db()
    assert (land.own_school.contact_person, land.own_school.name) == ("王老师", "甲村小学")
    record = land.own_school.history.first()
    assert record.history_user == land.users["school"]


def test_county_choices_are_limited_to_the_users_scope(as_user, land):
    client = as_user("county")
    form = client.get(reverse("admin:schools_school_add")).context["adminform"].form
    assert list(form.fields["county"].queryset) == [land.own]
    form = client.get(reverse("admin:pairings_pairing_add")).context["adminform"].form
    choices = set(form.fields["helper"].queryset)
    assert land.urban in choices  # the district paired with this county (R8, R11)
    assert land.other_central not in choices


def test_autocomplete_offers_only_schools_in_scope(as_user, land):
    client = as_user("county")
    url = reverse("admin:autocomplete")
    params = {"app_label": "pairings", "model_name": "pairing", "field_name": "helper", "term": "小学"}
    names = {r["text"] for r in client.get(url, params).json()["results"]}
    assert names == {"甲镇中心小学", "甲村小学", "丙区实验小学"}


def test_export_contains_only_the_users_schools(as_user, land):
    client = as_user("county")
    url = reverse("admin:schools_school_export")
    form = client.get(url).context["form"]
    data = {"format": "0", "resource": "0", **{n: "on" for n in form.fields if n.startswith("schoolresource_")}}
    sheet = openpyxl.load_workbook(io.BytesIO(client.post(url, data).content)).active
    assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {"甲镇中心小学", "甲村小学"}


SCHOOL_HEADERS = ["学校名称", "学校类型", "县（区）", "联系电话"]


def test_import_refuses_rows_outside_the_scope_row_by_row_and_writes_nothing(as_user, land):
    client = as_user("county")
    rows = [
        ["甲县新小学", "小学", "甲县", "0772-5123456"],
        ["乙县新小学", "小学", "乙县", ""],
        ["乙镇中心小学", "小学", "乙县", "0772-5999999"],
    ]
    response = post_import(client, "admin:schools_school_import", SCHOOL_HEADERS, rows)
    errors = {r.number: " ".join(str(e) for es in r.error_dict.values() for e in es)
              for r in response.context["result"].invalid_rows}  # fmt: skip
    assert sorted(errors) == [2, 3]
    assert "县（区）教育局只能登记和修改本县（区）的学校" in errors[2]
    assert "不在您的管辖范围内" in errors[3]
    assert not School.objects.filter(name__in=["甲县新小学", "乙县新小学"]).exists()
    land.other_central.refresh_from_db()
    assert land.other_central.contact_phone == ""


def test_import_records_the_importing_user_in_history(as_user, land):
    client = as_user("county")
    response = post_import(client, "admin:schools_school_import", SCHOOL_HEADERS,
                           [["甲县新小学", "小学", "甲县", "0772-5123456"]])  # fmt: skip
    client.post(reverse("admin:schools_school_process_import"), response.context["confirm_form"].initial)
    school = School.objects.get(name="甲县新小学")
    assert school.history.get().history_user == land.users["county"]


def test_pairing_import_by_a_county_is_limited_to_its_arrangements(as_user, land):
    client = as_user("county")
    headers = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位"]
    rows = [
        [land.cycle.name, "义务教育", "县—乡", "甲镇中心小学", "甲村小学", ""],  # exists, arranged by 甲县: update
        [land.cycle.name, "义务教育", "乡—村", "乙镇中心小学", "乙村小学", "乙县"],  # another county's
    ]
    response = post_import(client, "admin:pairings_pairing_import", headers, rows)
    invalid = {r.number for r in response.context["result"].invalid_rows}
    assert invalid == {2}
    assert Pairing.objects.get(pk=land.own_pairing.pk).tier == "township_village"


def test_admin_edit_history_shows_who_changed_which_field(as_user, land):
    client = as_user("county")
    url = reverse("admin:schools_school_change", args=[land.own_central.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if not isinstance(v, list)}
    data.update({"contact_phone": "0772-5123456", "contact_person": "李主任"})
    assert client.post(url, data).status_code == 302
    record = land.own_central.history.first()
    assert record.history_user == land.users["county"]
    page = client.get(reverse("admin:schools_school_history", args=[land.own_central.pk])).content.decode()
    assert "0772-5123456" in page and "李主任" in page and "联系电话" in page


def test_work_plan_review_is_the_citys(as_user, land):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pairings.services import work_plan_submit
    from tests.helpers import attach_tables

    attach_tables(land.own_plan, land.users["county"])
    work_plan_submit(plan=land.own_plan, actor=land.users["county"], submitted_on=land.cycle.work_plan_deadline,
                     document=SimpleUploadedFile("p.pdf", b"%PDF-1.4 x"))  # fmt: skip
    client = as_user("county")
    url = reverse("admin:pairings_workplan_change", args=[land.own_plan.pk])
    data = {"status": "accepted", "submitted_on": "2016-09-15", "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0"}  # fmt: skip
    response = client.post(url, data)
    assert "只有市教育局可以采纳或退回工作方案" in response.content.decode()
    land.own_plan.refresh_from_db()
    assert land.own_plan.status == "submitted"
    city = as_user("city")
    assert city.post(url, data).status_code == 302
    land.own_plan.refresh_from_db()
    assert land.own_plan.status == "accepted"


def test_school_staff_upload_their_agreement_scan_but_not_its_terms(as_user, land):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user("school")
    url = reverse("admin:pairings_agreement_change", args=[land.own_agreement.pk])
    scan = SimpleUploadedFile("协议.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, content_type="image/png")
    data = {"scan": scan, "plan": "改写的方案", "problems-TOTAL_FORMS": "0", "problems-INITIAL_FORMS": "0",
            "problems-MIN_NUM_FORMS": "0", "problems-MAX_NUM_FORMS": "1000"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    land.own_agreement.refresh_from_db()
    assert land.own_agreement.scan.name.endswith(".png")
    assert land.own_agreement.plan == ""
    assert land.own_agreement.history.first().history_user == land.users["school"]


def test_city_staff_create_an_account_with_its_role_in_the_admin(as_user, land, django_user_model):
    client = as_user("city")
    data = {
        "username": "new_clerk", "password1": "Another-Strong-2016", "password2": "Another-Strong-2016",
        "usable_password": "true",
        "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "0", "profile-MIN_NUM_FORMS": "1",
        "profile-MAX_NUM_FORMS": "1", "profile-0-role": "county", "profile-0-county": land.own.pk,
        "profile-0-school": "",
    }  # fmt: skip
    response = client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = django_user_model.objects.get(username="new_clerk")
    assert (user.profile.role, user.profile.county, user.is_staff, user.is_superuser) == (
        "county", land.own, True, False
    )  # fmt: skip
    assert user.groups.get().name == "县（区）教育局"
    assert set(School.objects.for_user(user)) == {land.own_central, land.own_school}


def test_city_staff_cannot_make_superusers(as_user, land):
    client = as_user("city")
    target = land.users["county"]
    page = client.get(reverse("admin:auth_user_change", args=[target.pk])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page


def test_a_county_bureau_arranges_a_pairing_into_its_paired_county(as_user, land):
    from pairings.choices import ArrangedBy

    client = as_user("district")
    helper = School.objects.create(name="丙区二小", school_type="primary", county=land.district, location="urban",
                                   standing="high_quality")  # fmt: skip
    data = {
        "cycle": land.cycle.pk, "stage": "compulsory", "tier": "city_county", "helper": helper.pk,
        "recipient": land.own_school.pk, "status": "active", "ended_on": "", "end_reason": "", "reason": "",
        "helper_contact": "", "helper_phone": "", "recipient_contact": "", "recipient_phone": "",
        "agreement-TOTAL_FORMS": "0", "agreement-INITIAL_FORMS": "0", "agreement-MIN_NUM_FORMS": "0",
        "agreement-MAX_NUM_FORMS": "1",
    }  # fmt: skip
    response = client.post(reverse("admin:pairings_pairing_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    pairing = Pairing.objects.get(helper=helper)
    assert (pairing.arranged_by, pairing.arranged_by_county, pairing.is_city_fixed) == (
        ArrangedBy.COUNTY, land.district, False
    )  # fmt: skip
    # A school of a county it is not paired with cannot be chosen.
    data["recipient"] = land.other_central.pk
    response = client.post(reverse("admin:pairings_pairing_add"), data)
    assert response.status_code == 200
    assert not Pairing.objects.filter(recipient=land.other_central, helper=helper).exists()
