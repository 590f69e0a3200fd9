"""Inspections (R28–R31): the checklist, scoping per role, signing, frozen facts, the review chain, findings."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from activities.choices import Kind
from activities.selectors import compliance
from activities.services import activity_confirm
from inspections.choices import FindingStatus, InspectionStatus, ItemResult, Level, Rating, Review
from inspections.liuzhou import LIUZHOU_CHECKLIST, checklist_ensure
from inspections.models import ChecklistItem, Finding, Inspection, InspectionItem
from inspections.selectors import facts_of, inspection_facts, special_inspections
from inspections.services import (
    checklist_item_save,
    finding_rectify,
    finding_save,
    finding_verify,
    inspection_item_save,
    inspection_save,
    inspection_sign,
)
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Semester
from tests.activities.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_r28_r30_checklist_is_loaded_once_per_level_and_a_city_edit_is_kept(insp):
    assert ChecklistItem.objects.count() == len(LIUZHOU_CHECKLIST) * len(Level.values)
    item = ChecklistItem.objects.get(level=Level.COUNTY_SELF, code="1.1")
    item.text = "有组织（市里改过的）"
    checklist_item_save(item=item, actor=insp.users["city"])
    assert checklist_ensure() == 0
    assert ChecklistItem.objects.get(pk=item.pk).text == "有组织（市里改过的）"
    with pytest.raises(NotAllowed):
        checklist_item_save(item=item, actor=insp.users["county_inspector"])


def test_r28_an_inspection_keeps_the_checklist_as_it_was_made(insp):
    inspection = insp.inspection()
    assert [i.code for i in inspection.items.all()] == [code for code, _text in LIUZHOU_CHECKLIST]
    item = ChecklistItem.objects.get(level=Level.COUNTY_SELF, code="2.4")
    item.text = "帮扶成效（新）"
    checklist_item_save(item=item, actor=insp.users["city"])
    assert inspection.items.get(code="2.4").text == "帮扶成效"
    assert insp.inspection().items.get(code="2.4").text == "帮扶成效（新）"


def test_r28_an_inspection_names_exactly_one_inspected_unit(insp):
    with pytest.raises(ValidationError):
        insp.inspection(county=insp.land.own, school=insp.land.own_school)


@pytest.mark.parametrize(
    ("role", "level", "allowed"),
    [
        ("county_inspector", Level.COUNTY_SELF, True),
        ("county", Level.COUNTY_SELF, True),
        ("county_inspector", Level.CITY_REVIEW, False),
        ("city_inspector", Level.COUNTY_SELF, False),
        ("region", Level.REGION_SPOT_CHECK, True),
        ("region", Level.COUNTY_SELF, False),
        ("school", Level.COUNTY_SELF, False),
        ("city", Level.COUNTY_SELF, True),
    ],
)
def test_r28_who_records_which_level(insp, role, level, allowed):
    fields = {}
    if level == Level.REGION_SPOT_CHECK:
        fields = {"pairing": insp.land.own_pairing, "spot_check": insp.sample()}
    if allowed:
        assert insp.inspection(actor=role, level=level, **fields).pk
    else:
        with pytest.raises((NotAllowed, ValidationError)):
            insp.inspection(actor=role, level=level, **fields)


def test_r28_a_region_spot_check_inspects_a_pairing_drawn_in_a_sample_of_its_semester(insp):
    sample = insp.sample(size=1)
    drawn = sample.pairings.get()
    inspection = insp.inspection(actor="region", level=Level.REGION_SPOT_CHECK, pairing=drawn, spot_check=sample)
    assert inspection.spot_check == sample and list(sample.inspections.all()) == [inspection]
    with pytest.raises(ValidationError, match="抽查样本"):
        insp.inspection(actor="region", level=Level.REGION_SPOT_CHECK, pairing=drawn)
    not_drawn = insp.land.other_pairing if drawn == insp.land.own_pairing else insp.land.own_pairing
    with pytest.raises(ValidationError, match="没有抽到"):
        insp.inspection(actor="region", level=Level.REGION_SPOT_CHECK, pairing=not_drawn, spot_check=sample)
    with pytest.raises(ValidationError, match="抽查样本中的结对"):
        insp.inspection(actor="region", level=Level.REGION_SPOT_CHECK, county=insp.land.own, spot_check=sample)
    later = Semester.objects.get(cycle=insp.land.cycle, academic_year=2017, term=1)
    with pytest.raises(ValidationError, match="其他学期"):
        insp.inspection(
            actor="region", level=Level.REGION_SPOT_CHECK, semester=later, pairing=drawn, spot_check=sample,
            date=later.starts_on,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="只有自治区抽查"):
        insp.inspection(spot_check=sample)
    assert Inspection.objects.count() == 1


def test_r28_a_county_inspects_only_its_own_county(insp):
    with pytest.raises(NotAllowed):
        insp.inspection(county=insp.land.other)
    with pytest.raises(NotAllowed):
        insp.inspection(actor="county", pairing=insp.land.other_pairing)
    assert insp.inspection(school=insp.land.own_school).pk


def test_r28_scoping_of_inspections_items_and_findings_per_role(insp):
    own = insp.inspection()
    other = insp.signed(actor="city", county=insp.land.other)
    finding = finding_save(
        finding=Finding(
            inspection=own, school=insp.land.own_school, text="台账不全", deadline=datetime.date(2017, 1, 1)
        ),
        actor=insp.users["county_inspector"],
    )
    own = insp.sign(own)
    draft = insp.inspection(school=insp.land.own_school)
    seen = {
        role: set(Inspection.objects.for_user(insp.users[role]).values_list("pk", flat=True))
        for role in ("city", "county", "county_inspector", "city_inspector", "region", "recipient", "helper")
    }
    everything = {own.pk, other.pk, draft.pk}
    assert seen["city"] == seen["city_inspector"] == seen["region"] == everything
    assert seen["county"] == seen["county_inspector"] == {own.pk, draft.pk}
    assert seen["recipient"] == set()  # a school sees only signed inspections of itself or its pairings
    for role in ("county", "county_inspector", "city_inspector", "region", "recipient"):
        assert (
            set(InspectionItem.objects.for_user(insp.users[role]).values_list("inspection_id", flat=True))
            <= (seen[role])
        )
    assert list(Finding.objects.for_user(insp.users["recipient"])) == [finding]
    assert list(Finding.objects.for_user(insp.users["helper"])) == []
    assert list(Finding.objects.for_user(insp.users["other_county"])) == []
    assert list(Finding.objects.for_user(insp.users["county"])) == [finding]
    # Who writes: the county's inspectors its drafts; nobody a signed inspection.
    assert set(Inspection.objects.editable_by(insp.users["county_inspector"])) == {draft}
    assert not Inspection.objects.editable_by(insp.users["city_inspector"]).exists()
    assert not Inspection.objects.editable_by(insp.users["recipient"]).exists()
    assert not Inspection.objects.editable_by(insp.users["city"]).filter(status=InspectionStatus.SIGNED).exists()
    assert set(Finding.objects.editable_by(insp.users["recipient"])) == {finding}
    assert not Finding.objects.editable_by(insp.users["helper"]).exists()


def test_r28_a_signed_inspection_never_changes(insp):
    inspection = insp.signed()
    assert inspection.status == InspectionStatus.SIGNED and inspection.signed_at
    inspection.inspectors = "改过的"
    with pytest.raises(NotAllowed):
        inspection_save(inspection=inspection, actor=insp.users["county_inspector"])
    with pytest.raises(NotAllowed):
        inspection_save(inspection=inspection, actor=insp.users["city"])
    item = inspection.items.first()
    item.result = ItemResult.FAIL
    with pytest.raises(NotAllowed):
        inspection_item_save(item=item, actor=insp.users["county_inspector"])
    with pytest.raises(NotAllowed):
        inspection_sign(inspection=inspection, actor=insp.users["county_inspector"])
    assert Inspection.objects.get(pk=inspection.pk).inspectors == "王督学"


def test_r28_signing_needs_every_item_judged_and_a_rating(insp):
    inspection = insp.inspection()
    with pytest.raises(ValidationError):
        inspection_sign(inspection=inspection, actor=insp.users["county_inspector"])
    insp.judge_all(inspection)
    with pytest.raises(ValidationError):
        inspection_sign(inspection=Inspection.objects.get(pk=inspection.pk), actor=insp.users["county_inspector"])


def _one_confirmed_delivery(insp):
    acts = insp.acts
    activity = acts.activity(participants=[acts.helper_teacher, acts.helper_key])
    activity_confirm(activity=activity, actor=acts.users["recipient"], today=TODAY)
    acts.activity(date=datetime.date(2016, 10, 12), kind=Kind.JOINT_RESEARCH)  # pending


def test_r30_prefilled_compliance_figures_equal_the_compliance_engine(insp):
    _one_confirmed_delivery(insp)
    pairing = insp.land.own_pairing
    inspection = insp.inspection(pairing=pairing)
    facts = inspection_facts(inspection)
    (row,) = [r for r in compliance(user=SYSTEM, semester=insp.semester) if r.pairing == pairing]
    (fact,) = facts["compliance"]
    assert fact["compliant"] == row.compliant and fact["silent"] == row.silent is False
    assert [(n["kind"], n["count"], n["required"]) for n in fact["norms"]] == [
        (n.kind, n.count, n.required) for n in row.norms.values()
    ]
    assert dict((n["kind"], n["count"]) for n in fact["norms"])[Kind.TEACHING_DELIVERY] == 2
    assert facts["pending"] == 1 and facts["rejected"] == 0
    assert facts["agreements"][0]["signed_on"] is None


def test_r30_a_county_inspection_shows_coverage_gaps_and_the_compliance_share(insp):
    facts = inspection_facts(insp.inspection())
    assert facts["judged"] == len([r for r in compliance(user=SYSTEM, semester=insp.semester)
                                   if insp.land.own.pk in (r.helper.county_id, r.recipient.county_id)])  # fmt: skip
    assert "coverage_gaps" in facts and "warnings" in facts


def test_r30_facts_are_live_in_a_draft_and_frozen_at_signing(insp):
    draft = insp.inspection(pairing=insp.land.own_pairing)
    signed = insp.signed(pairing=insp.land.own_pairing)
    assert facts_of(draft)["pending"] == facts_of(signed)["pending"] == 0
    assert signed.facts["as_of"]
    _one_confirmed_delivery(insp)
    assert facts_of(draft)["pending"] == 1
    assert facts_of(Inspection.objects.get(pk=signed.pk))["pending"] == 0


def test_r28_a_city_review_overturns_an_item_of_the_self_inspection(insp):
    own = insp.signed()
    with pytest.raises(ValidationError):
        insp.inspection(actor="city_inspector", level=Level.CITY_REVIEW)  # names no self-inspection
    review = insp.inspection(actor="city_inspector", level=Level.CITY_REVIEW, reviews=own)
    items = list(review.items.all())
    overturned = items[0]
    overturned.result, overturned.review = ItemResult.FAIL, Review.OVERTURNS
    with pytest.raises(ValidationError):
        inspection_item_save(item=overturned, actor=insp.users["city_inspector"])  # an overturn says why
    overturned.review_note = "组织机构未实际运转"
    inspection_item_save(item=overturned, actor=insp.users["city_inspector"])
    for item in items[1:]:
        item.result, item.review = ItemResult.PASS, Review.CONFIRMS
        inspection_item_save(item=item, actor=insp.users["city_inspector"])
    review.refresh_from_db()
    review.rating = Rating.PASS
    review = inspection_save(inspection=review, actor=insp.users["city_inspector"])
    inspection_sign(inspection=review, actor=insp.users["city_inspector"])
    # The county sees the result.
    seen = InspectionItem.objects.for_user(insp.users["county"]).get(pk=overturned.pk)
    assert seen.review == Review.OVERTURNS and seen.review_note == "组织机构未实际运转"
    # A self-inspection's item is not "overturned".
    item = insp.inspection().items.first()
    item.review = Review.CONFIRMS
    with pytest.raises(ValidationError):
        inspection_item_save(item=item, actor=insp.users["county_inspector"])


def test_r28_findings_rectified_by_the_school_verified_or_reopened_by_the_city(insp):
    inspection = insp.inspection()
    finding = finding_save(
        finding=Finding(inspection=inspection, school=insp.land.own_school, text="送教记录缺照片",
                        deadline=datetime.date(2017, 1, 15)),
        actor=insp.users["county_inspector"],
    )  # fmt: skip
    insp.sign(inspection)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    finding.rectification = "已补齐照片与签到表"
    with pytest.raises(NotAllowed):
        finding_rectify(finding=finding, actor=insp.users["helper"])
    with pytest.raises(NotAllowed):
        finding_rectify(finding=finding, actor=insp.users["county_inspector"])
    finding = finding_rectify(finding=finding, actor=insp.users["recipient"])
    assert finding.status == FindingStatus.RECTIFIED
    with pytest.raises(NotAllowed):
        finding_verify(finding=finding, actor=insp.users["county"])
    with pytest.raises(ValidationError):
        finding_verify(finding=finding, actor=insp.users["city"], accept=False)
    finding = finding_verify(finding=finding, actor=insp.users["city"], accept=False, note="照片日期不符")
    assert finding.status == FindingStatus.REOPENED
    finding.rectification = "重新补交"
    finding = finding_rectify(finding=finding, actor=insp.users["recipient"])
    finding = finding_verify(finding=finding, actor=insp.users["city"])
    assert finding.status == FindingStatus.VERIFIED
    assert finding.history.count() >= 5


def test_r28_a_finding_of_a_draft_is_not_shown_to_the_school_nor_rectified_until_the_inspection_is_signed(insp):
    draft = insp.inspection(school=insp.land.own_school)
    finding = finding_save(
        finding=Finding(
            inspection=draft, school=insp.land.own_school, text="台账不全", deadline=datetime.date(2017, 1, 1)
        ),
        actor=insp.users["county_inspector"],
    )
    assert not Finding.objects.for_user(insp.users["recipient"]).exists()
    finding.rectification = "已补齐"
    with pytest.raises(NotAllowed, match="尚未签署"):
        finding_rectify(finding=finding, actor=insp.users["county"])
    insp.judge_all(draft)
    draft.refresh_from_db()
    draft.rating = Rating.GOOD
    draft = inspection_save(inspection=draft, actor=insp.users["county_inspector"])
    inspection_sign(inspection=draft, actor=insp.users["county_inspector"])
    assert list(Finding.objects.for_user(insp.users["recipient"])) == [finding]
    assert finding_rectify(finding=finding, actor=insp.users["recipient"]).status == FindingStatus.RECTIFIED


def test_r28_overdue_findings_follow_from_the_deadline_and_status(insp):
    inspection = insp.inspection()
    actor = insp.users["county_inspector"]

    def finding(deadline):
        return finding_save(
            finding=Finding(inspection=inspection, school=insp.land.own_school, text="x", deadline=deadline),
            actor=actor,
        )

    late, early = finding(datetime.date(2016, 12, 2)), finding(datetime.date(2017, 3, 1))
    insp.sign(inspection)
    late.refresh_from_db()
    today = datetime.date(2017, 1, 1)
    assert list(Finding.objects.overdue(today)) == [late]
    assert late.is_overdue(today) and not early.is_overdue(today)
    late.rectification = "已整改"
    finding_rectify(finding=late, actor=insp.users["recipient"])
    assert not Finding.objects.overdue(today).exists()


def test_r31_the_special_inspection_is_done_or_missing_per_county_per_semester(insp):
    def state():
        return {
            row.county.pk: row.done for row in special_inspections(semester=insp.semester, user=insp.users["city"])
        }

    assert state()[insp.land.own.pk] is False
    draft = insp.inspection(is_special=True)
    assert state()[insp.land.own.pk] is False  # a draft does not count
    insp.judge_all(draft)
    draft.refresh_from_db()
    draft.rating = Rating.GOOD
    inspection_sign(inspection=inspection_save(inspection=draft, actor=insp.users["county_inspector"]),
                    actor=insp.users["county_inspector"])  # fmt: skip
    assert state()[insp.land.own.pk] is True
    assert state()[insp.land.other.pk] is False
    assert [r.county for r in special_inspections(semester=insp.semester, user=insp.users["county"])] == [
        insp.land.own
    ]
