"""The inspections' admin: who reaches which page (the permission matrix of the new models), the checklist inline,
facts shown, the sign action, findings per school and the overdue filter."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from inspections.choices import FindingStatus, InspectionStatus, ItemResult, Level, Rating, Review
from inspections.models import Finding, Inspection
from inspections.services import finding_save, inspection_item_save, inspection_save, inspection_sign

pytestmark = pytest.mark.django_db

ROLES = ["city", "county", "county_inspector", "city_inspector", "region", "recipient", "helper"]
INSPECTORS = {"city", "county", "county_inspector", "city_inspector", "region"}

# model: {action: roles allowed} for a draft county self-inspection of the own county and its finding.
MATRIX = {
    "inspection": {
        "list": set(ROLES) - {"helper", "recipient"} | {"helper", "recipient"},
        "view": INSPECTORS,
        "add": INSPECTORS,
        "change": {"city", "county", "county_inspector"},
    },
    "finding": {
        "list": set(ROLES),
        "view": INSPECTORS | {"recipient"},
        "add": INSPECTORS,
        "change": {"city", "county", "county_inspector", "recipient"},
    },
    "checklistitem": {
        "list": set(ROLES) - {"helper", "recipient"},
        "view": set(ROLES) - {"helper", "recipient"},
        "add": {"city"},
        "change": {"city"},
        "delete": set(),
    },
    "spotcheck": {
        "list": {"city", "city_inspector", "region"},
        "view": {"city", "city_inspector", "region"},
        "add": {"region"},  # the city may record one from the command line only
        "change": set(),  # a drawn sample is kept as it was drawn
        "delete": set(),
    },
}
MATRIX["inspection"]["delete"] = set()  # never deleted; a signed one never changes
MATRIX["finding"]["delete"] = set()
CELLS = [(role, model, action) for model in MATRIX for role in ROLES for action in MATRIX[model]]


@pytest.fixture
def world(insp):
    draft = insp.inspection()
    signed = insp.inspection(school=insp.land.own_school)
    finding = finding_save(
        finding=Finding(inspection=signed, school=insp.land.own_school, text="台账不全",
                        deadline=datetime.date(2016, 12, 20)),
        actor=insp.users["county_inspector"],
    )  # fmt: skip
    insp.sign(signed)
    finding.refresh_from_db()
    spot_check = insp.sample(size=1)
    return {"inspection": draft, "finding": finding, "checklistitem": None, "spotcheck": spot_check, "insp": insp}


def login(client, insp, role):
    client.force_login(insp.users[role])
    return client


def served(client, model, action, obj) -> bool:
    prefix = f"admin:inspections_{model}"
    if action == "list":
        response = client.get(reverse(f"{prefix}_changelist"))
    elif action == "add":
        response = client.get(reverse(f"{prefix}_add"))
    elif action == "delete":
        response = client.get(reverse(f"{prefix}_delete", args=[obj.pk]))
    else:
        response = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        if action == "change" and response.status_code == 200:
            return response.context["has_change_permission"]
    assert response.status_code in (200, 302, 403), (model, action, response.status_code)
    return response.status_code == 200


@pytest.mark.parametrize(("role", "model", "action"), CELLS, ids=[f"{r}-{m}-{a}" for r, m, a in CELLS])
def test_r28_permission_matrix_of_the_inspection_models(client, world, role, model, action):
    insp = world["insp"]
    obj = world[model]
    if model == "checklistitem":
        from inspections.models import ChecklistItem

        obj = ChecklistItem.objects.first()
    expected = role in MATRIX[model][action]
    assert served(login(client, insp, role), model, action, obj) is expected


def test_r30_the_inspection_page_shows_the_items_and_the_live_facts(client, world):
    insp = world["insp"]
    response = login(client, insp, "county_inspector").get(
        reverse("admin:inspections_inspection_change", args=[world["inspection"].pk])
    )
    html = response.content.decode()
    assert "有组织" in html and "来自系统的实时数据" in html and "达标结对" in html


def test_r28_the_sign_action_signs_a_judged_draft_and_leaves_an_unjudged_one(client, world):
    insp = world["insp"]
    judged = world["inspection"]
    insp.judge_all(judged)
    judged.refresh_from_db()
    judged.rating = Rating.GOOD
    inspection_save(inspection=judged, actor=insp.users["county_inspector"])
    unjudged = insp.inspection(school=insp.land.own_school)
    response = login(client, insp, "county_inspector").post(
        reverse("admin:inspections_inspection_changelist"),
        {"action": "sign_selected", "_selected_action": [judged.pk, unjudged.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Inspection.objects.get(pk=judged.pk).status == InspectionStatus.SIGNED
    assert Inspection.objects.get(pk=unjudged.pk).status == InspectionStatus.DRAFT
    assert Inspection.objects.get(pk=judged.pk).facts["as_of"]


def test_r28_a_school_lists_what_it_must_fix_and_records_the_rectification(client, world):
    insp = world["insp"]
    finding = world["finding"]
    client = login(client, insp, "recipient")
    response = client.get(reverse("admin:inspections_finding_changelist"))
    assert list(response.context["cl"].result_list) == [finding]
    url = reverse("admin:inspections_finding_change", args=[finding.pk])
    response = client.post(url, {"rectification": "已补齐台账", "edit_version": finding.version})
    assert response.status_code == 302, response.content.decode()[:2000]
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RECTIFIED and finding.text == "台账不全"


def test_r28_a_school_reads_a_finding_of_the_countys_inspection_it_does_not_open(client, world):
    insp = world["insp"]
    of_county = insp.inspection(county=insp.land.own)
    finding = finding_save(
        finding=Finding(
            inspection=of_county, school=insp.land.own_school, text="档案缺失", deadline=datetime.date(2017, 1, 1)
        ),
        actor=insp.users["county_inspector"],
    )
    of_county = insp.sign(of_county)
    url = reverse("admin:inspections_finding_change", args=[finding.pk])
    inspection_url = reverse("admin:inspections_inspection_change", args=[of_county.pk])
    school = login(client, insp, "recipient")
    page = school.get(url).content.decode()
    assert str(of_county) in page and inspection_url not in page  # named, not linked
    assert school.get(inspection_url).status_code != 200
    assert inspection_url in login(Client(), insp, "county").get(url).content.decode()


def test_r28_the_overdue_filter_and_the_city_verifies(client, world):
    insp = world["insp"]
    finding = world["finding"]
    client = login(client, insp, "city")
    response = client.get(reverse("admin:inspections_finding_changelist") + "?overdue=yes")
    assert list(response.context["cl"].result_list) == [finding]  # its deadline lies in 2016
    response = client.get(reverse("admin:inspections_finding_changelist") + f"?county={insp.land.other.pk}")
    assert list(response.context["cl"].result_list) == []
    finding.rectification = "已补齐"
    from inspections.services import finding_rectify

    finding_rectify(finding=finding, actor=insp.users["recipient"])
    client.post(
        reverse("admin:inspections_finding_changelist"),
        {"action": "verify_selected", "_selected_action": [finding.pk]},
    )
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.VERIFIED


def test_r28_judging_items_in_the_inline(client, world):
    insp = world["insp"]
    inspection = world["inspection"]
    items = list(inspection.items.all())
    data = {
        "level": inspection.level, "semester": inspection.semester_id, "county": inspection.county_id,
        "date": "2016-12-01", "inspectors": "王督学", "rating": "good", "edit_version": inspection.version,
        "items-TOTAL_FORMS": len(items), "items-INITIAL_FORMS": len(items), "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 0, "findings-TOTAL_FORMS": 0, "findings-INITIAL_FORMS": 0,
        "findings-MIN_NUM_FORMS": 0, "findings-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, item in enumerate(items):
        data.update({f"items-{i}-id": item.pk, f"items-{i}-inspection": inspection.pk,
                     f"items-{i}-result": ItemResult.PASS, f"items-{i}-note": "", f"items-{i}-score": "",
                     f"items-{i}-edit_version": item.version})  # fmt: skip
    client = login(client, insp, "county_inspector")
    response = client.post(reverse("admin:inspections_inspection_change", args=[inspection.pk]), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert set(inspection.items.values_list("result", flat=True)) == {ItemResult.PASS}


def test_r28_the_county_reads_the_citys_overturn_on_its_self_inspection_and_the_city_sees_the_countys_result(
    client, world
):
    insp = world["insp"]
    own = insp.signed()
    own_item = own.items.order_by("order", "code").first()
    review = insp.inspection(actor="city_inspector", level=Level.CITY_REVIEW, reviews=own)
    for i, item in enumerate(review.items.order_by("order", "code")):
        if i == 0:
            item.result, item.review, item.review_note = ItemResult.FAIL, Review.OVERTURNS, "组织机构未实际运转"
        else:
            item.result, item.review = ItemResult.PASS, Review.CONFIRMS
        inspection_item_save(item=item, actor=insp.users["city_inspector"])
    # While re-inspecting, the city sees the county's own result of each item beside its judgement.
    page = login(client, insp, "city_inspector").get(
        reverse("admin:inspections_inspection_change", args=[review.pk])
    ).content.decode()  # fmt: skip
    assert "县（区）自查结果" in page and own_item.get_result_display() in page
    # The county's page of its self-inspection says nothing until the review is signed, then names the overturn.
    url = reverse("admin:inspections_inspection_change", args=[own.pk])
    county = login(Client(), insp, "county")
    assert "尚未复查" in county.get(url).content.decode()
    review.refresh_from_db()
    review.rating = Rating.PASS
    review = inspection_save(inspection=review, actor=insp.users["city_inspector"])
    inspection_sign(inspection=review, actor=insp.users["city_inspector"])
    page = county.get(url).content.decode()
    assert "1 项被推翻" in page and "组织机构未实际运转" in page and own_item.text in page
