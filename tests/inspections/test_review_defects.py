"""Defects a review found in the first inspections release, each as a test that failed then: who records what is
decided by the inspected unit's county, a signed inspection's findings never change, a finding names a unit of the
inspected unit, the special inspection is an inspector's, and a county reads the city's inspections once signed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inspections.choices import Level, Review
from inspections.models import Finding, Inspection, InspectionItem, SpotCheck
from inspections.selectors import special_inspections
from inspections.services import finding_save, inspection_item_save, inspection_sign, spot_check_draw
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Pairing

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2017, 1, 15)


def found(insp, inspection, actor="county_inspector", **unit):
    unit = unit or {"school": insp.land.own_school}
    return finding_save(
        finding=Finding(inspection=inspection, text="台账不全", deadline=DEADLINE, **unit), actor=insp.users[actor]
    )


def test_r28_a_helper_districts_bureau_neither_judges_nor_signs_the_recipient_countys_self_inspection(insp):
    draft = insp.inspection(pairing=insp.land.cross_pairing)  # 丙区 helps 甲县: 甲县 inspects it
    district = insp.users["district"]
    assert draft in Inspection.objects.for_user(district)  # it reads the inspection of its school's pairing
    assert draft not in Inspection.objects.editable_by(district)
    item = draft.items.first()
    item.result = "pass"
    with pytest.raises(NotAllowed):
        inspection_item_save(item=item, actor=district)
    insp.judge_all(draft)
    draft.refresh_from_db()
    draft.rating = "good"
    draft.save()
    with pytest.raises(NotAllowed):
        inspection_sign(inspection=draft, actor=district)
    assert Inspection.objects.get(pk=draft.pk).status == "draft"
    assert inspection_sign(inspection=draft, actor=insp.users["county_inspector"]).status == "signed"


def test_r28_the_findings_of_a_signed_inspection_are_neither_added_to_nor_changed(insp):
    draft = insp.inspection()
    finding = found(insp, draft)
    signed = insp.sign(draft)
    finding.refresh_from_db()
    finding.text, finding.deadline = "改轻了", datetime.date(2030, 1, 1)
    with pytest.raises(NotAllowed, match="已签署"):
        finding_save(finding=finding, actor=insp.users["county_inspector"])
    with pytest.raises(NotAllowed, match="已签署"):
        found(insp, signed)
    stored = Finding.objects.get(pk=finding.pk)
    assert (stored.text, stored.deadline) == ("台账不全", DEADLINE) and signed.findings.count() == 1


def test_r28_a_county_cannot_move_the_citys_finding_onto_its_own_inspection(insp):
    own = insp.signed()
    review = insp.inspection(actor="city_inspector", level=Level.CITY_REVIEW, reviews=own)
    finding = found(insp, review, actor="city_inspector")
    finding.inspection = insp.inspection()  # a draft of the county's own
    finding.deadline = datetime.date(2030, 1, 1)
    with pytest.raises(NotAllowed):
        finding_save(finding=finding, actor=insp.users["county"])
    assert Finding.objects.get(pk=finding.pk).inspection_id == review.pk


def test_r28_a_finding_names_a_school_or_bureau_of_the_inspected_unit(insp):
    land = insp.land
    of_county = insp.inspection()
    with pytest.raises(ValidationError, match="被督导单位"):
        found(insp, of_county, school=land.other_central)  # a school of 乙县 on 甲县's inspection
    with pytest.raises(ValidationError, match="被督导单位"):
        found(insp, of_county, county=land.other)
    assert found(insp, of_county, county=land.own).pk and found(insp, of_county, school=land.own_central).pk
    of_school = insp.inspection(school=land.own_school)
    with pytest.raises(ValidationError, match="被督导单位"):
        found(insp, of_school, school=land.own_central)  # another school of the county
    assert found(insp, of_school, county=land.own).pk
    of_pairing = insp.inspection(pairing=land.cross_pairing)  # both sides, and their counties' bureaus
    assert found(insp, of_pairing, school=land.urban).pk and found(insp, of_pairing, county=land.district).pk
    with pytest.raises(ValidationError, match="被督导单位"):
        found(insp, of_pairing, school=land.own_school)


def test_r31_a_county_bureau_signing_its_own_inspection_is_not_the_special_inspection(insp):
    with pytest.raises(NotAllowed, match="专项督导"):
        insp.signed(actor="county", is_special=True)
    done = {s.county.pk: s.done for s in special_inspections(semester=insp.semester, user=insp.users["city"])}
    assert done[insp.land.own.pk] is False
    insp.signed(actor="county_inspector", is_special=True)
    done = {s.county.pk: s.done for s in special_inspections(semester=insp.semester, user=insp.users["city"])}
    assert done[insp.land.own.pk] is True


def test_r28_a_county_reads_the_citys_re_inspection_once_it_is_signed(insp, client):
    own = insp.signed()
    review = insp.inspection(actor="city_inspector", level=Level.CITY_REVIEW, reviews=own)
    finding = found(insp, review, actor="city_inspector")
    for role in ("county", "county_inspector"):
        user = insp.users[role]
        assert review not in Inspection.objects.for_user(user) and finding not in Finding.objects.for_user(user)
        assert not InspectionItem.objects.for_user(user).filter(inspection=review).exists()
        assert own in Inspection.objects.for_user(user)
    insp.judge_all(review, actor="city_inspector", review=Review.CONFIRMS)
    insp.sign(review, actor="city_inspector")
    for role in ("county", "county_inspector"):
        user = insp.users[role]
        assert review in Inspection.objects.for_user(user) and finding in Finding.objects.for_user(user)


@pytest.mark.parametrize("model", ["inspection", "finding"])
def test_the_inspection_and_finding_lists_run_a_bounded_number_of_queries(insp, client, model,
                                                                          django_assert_max_num_queries):  # fmt: skip
    client.force_login(insp.users["city"])
    url = reverse(f"admin:inspections_{model}_changelist")

    def more(n):
        for _ in range(n):
            draft = insp.inspection(school=insp.land.own_school)
            found(insp, draft)

    more(2)
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    more(10)
    with django_assert_max_num_queries(40) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_r28_the_admin_offers_findings_only_on_drafts(insp, client):
    draft = insp.inspection()
    finding = found(insp, draft)
    client.force_login(insp.users["county_inspector"])
    page = client.get(reverse("admin:inspections_inspection_change", args=[draft.pk]))
    assert page.context["inline_admin_formsets"][1].has_add_permission
    add = client.get(reverse("admin:inspections_finding_add"))
    assert list(add.context["adminform"].form.fields["inspection"].queryset) == [draft]
    signed = insp.sign(draft)
    page = client.get(reverse("admin:inspections_inspection_change", args=[signed.pk]))
    assert not page.context["inline_admin_formsets"][1].has_add_permission
    add = client.get(reverse("admin:inspections_finding_add"))
    assert not add.context["adminform"].form.fields["inspection"].queryset.exists()
    change = client.get(reverse("admin:inspections_finding_change", args=[finding.pk]))
    assert "text" not in change.context["adminform"].form.fields  # read-only once signed


# Defects found trying the release in Chromium.


def test_r28_a_re_inspection_that_confirms_an_item_finds_what_the_county_found(insp):
    own = insp.inspection()
    insp.judge_all(own)  # every item passed
    own = insp.sign(own)
    review = insp.inspection(actor="city_inspector", level=Level.CITY_REVIEW, reviews=own)
    item = review.items.order_by("order", "code").first()
    item.result, item.review = "fail", Review.CONFIRMS
    with pytest.raises(ValidationError, match="应选择“推翻”"):
        inspection_item_save(item=item, actor=insp.users["city_inspector"])
    item.result, item.review, item.review_note = "pass", Review.OVERTURNS, "理由"
    with pytest.raises(ValidationError, match="应选择“维持”"):
        inspection_item_save(item=item, actor=insp.users["city_inspector"])
    item.result = "fail"
    assert inspection_item_save(item=item, actor=insp.users["city_inspector"]).review == Review.OVERTURNS


def test_r28_the_date_lies_in_the_semester_and_a_deadline_after_the_inspection(insp):
    with pytest.raises(ValidationError, match="督导日期须在所选学期内"):
        insp.inspection(date=datetime.date(2026, 11, 30))
    draft = insp.inspection()  # 2016-12-01
    for deadline in (datetime.date(2016, 11, 1), draft.date):
        with pytest.raises(ValidationError, match="整改期限须在督导日期"):
            finding_save(
                finding=Finding(inspection=draft, school=insp.land.own_school, text="x", deadline=deadline),
                actor=insp.users["county_inspector"],
            )
    assert not Finding.objects.exists()


def test_r28_a_county_self_inspection_is_made_by_the_countys_own_bureau(insp):
    with pytest.raises(NotAllowed, match="本县（区）教育局"):
        insp.inspection(inspecting_county=insp.land.other)
    assert insp.inspection(inspecting_county=insp.land.own).pk


def test_r28_a_recorded_sample_is_at_most_the_semesters_active_pairings(insp):
    active = Pairing.objects.active_in(insp.semester).count()
    with pytest.raises(ValidationError, match=f"只有 {active} 个在帮结对"):
        spot_check_draw(semester=insp.semester, size=active + 1, seed=1, actor=SYSTEM, reason="抽查")
    sample, _none = spot_check_draw(semester=insp.semester, size=99999, seed=1, actor=SYSTEM, dry_run=True)
    assert len(sample) == active and not SpotCheck.objects.exists()  # a dry run still shows them all


def test_r28_the_add_page_offers_only_what_the_user_may_choose(insp, client):
    insp.inspection(county=insp.land.own)  # a draft: not reviewable
    signed = insp.signed(school=insp.land.own_school)
    own = insp.signed(county=insp.land.own)
    client.force_login(insp.users["county_inspector"])
    form = client.get(reverse("admin:inspections_inspection_add")).context["adminform"].form
    assert [value for value, _label in form.fields["level"].choices if value] == [Level.COUNTY_SELF]
    assert list(form.fields["inspecting_county"].queryset) == [insp.land.own]
    client.force_login(insp.users["city_inspector"])
    form = client.get(reverse("admin:inspections_inspection_add")).context["adminform"].form
    assert [value for value, _label in form.fields["level"].choices if value] == [Level.CITY_REVIEW]
    assert set(form.fields["reviews"].queryset) == {signed, own}


def test_r28_the_city_reopens_a_rectification_with_its_reason(insp, client):
    draft = insp.inspection()
    finding = found(insp, draft)
    insp.sign(draft)
    finding.refresh_from_db()
    finding.rectification = "已补齐"
    from inspections.services import finding_rectify

    finding_rectify(finding=finding, actor=insp.users["recipient"])
    client.force_login(insp.users["city"])
    url = reverse("admin:inspections_finding_changelist")
    action = {"action": "reopen_selected", "_selected_action": [finding.pk]}
    page = client.post(url, action).content.decode()
    assert "退回的理由" in page and "台账不全" in page
    page = client.post(url, {**action, "confirm": "1", "reason": "  "}).content.decode()
    assert "请说明" in page and Finding.objects.get(pk=finding.pk).status == "rectified"
    response = client.post(url, {**action, "confirm": "1", "reason": "照片与活动日期不符"}, follow=True)
    stored = Finding.objects.get(pk=finding.pk)
    assert (stored.status, stored.verification_note) == ("reopened", "照片与活动日期不符")
    assert "已退回重新整改 1 项" in response.content.decode()


def test_r28_a_rectified_finding_waits_for_the_city_and_is_read_only_to_the_school(insp, client):
    draft = insp.inspection()
    finding = found(insp, draft)
    insp.sign(draft)
    finding.refresh_from_db()
    finding.rectification = "已补齐"
    from inspections.services import finding_rectify

    finding_rectify(finding=finding, actor=insp.users["recipient"])
    assert not Finding.objects.editable_by(insp.users["recipient"]).exists()
    client.force_login(insp.users["recipient"])
    page = client.get(reverse("admin:inspections_finding_change", args=[finding.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert 'name="_save"' not in page.content.decode()
