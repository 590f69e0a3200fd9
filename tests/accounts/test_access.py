"""Who may do what is decided in the services: each defect found trying the first release, as a test that
failed then, and the services' refusals as the admin and imports show them."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from liuzhou_pairing.access import NotAllowed, StaleEdit, save_checked
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import ProblemStatus, Tier, WorkPlanStatus
from pairings.models import Agreement, Cycle, DistrictPairing, Pairing, Problem
from pairings.services import (
    cycle_update,
    district_pairing_update,
    pairing_create,
    pairing_update,
    problem_save,
    work_plan_review,
    work_plan_save,
    work_plan_submit,
)
from schools.choices import Location, SchoolStatus, Stage, Standing
from schools.models import School
from schools.services import school_close, school_update
from tests.factories import SchoolFactory
from tests.helpers import admin_form_data, attach_tables, post_import

pytestmark = pytest.mark.django_db

STALE = "此记录已被他人修改，请刷新后重试"


def invalid_rows(response) -> dict[int, str]:
    return {
        row.number: " ".join(str(e) for errors in row.error_dict.values() for e in errors)
        for row in response.context["result"].invalid_rows
    }


def change_page(client, obj):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return url, admin_form_data(response)


def district_school(land, name):
    return SchoolFactory(name=name, county=land.district, location=Location.URBAN, standing=Standing.HIGH_QUALITY)


# 1. A county moved its own school into another county through the schools import.


def test_a_county_cannot_move_its_school_into_another_county_by_import(as_user, land):
    client = as_user("county")
    other_town = land.other_central.township
    headers = ["学校名称", "学校类型", "县（区）", "乡镇（街道）"]
    response = post_import(
        client, "admin:schools_school_import", headers, [["甲镇中心小学", "小学", "乙县", other_town.name]]
    )
    assert "只能登记和修改本县（区）的学校" in invalid_rows(response)[1]
    land.own_central.refresh_from_db()
    assert (land.own_central.county, land.own_central.township) == (land.own, land.own_pairing.helper.township)


def test_a_county_cannot_move_its_school_into_another_county_through_the_service(land):
    with pytest.raises(NotAllowed):
        school_update(
            school=land.own_central,
            actor=land.users["county"],
            county=land.other,
            township=land.other_central.township,
        )
    assert School.objects.get(pk=land.own_central.pk).county == land.own


def test_a_write_that_leaves_the_actors_area_is_rolled_back(land):
    """The last guard of every service: after saving, the object must still lie in the actor's area."""
    school = land.other_central
    school.contact_person = "张三"
    with pytest.raises(NotAllowed, match="移出您的管辖范围"), transaction.atomic():
        save_checked(school, actor=land.users["county"])
    school.refresh_from_db()
    assert school.contact_person == ""


# 2. A county handed its pairing to another county's bureau through the pairings import (安排单位).

PAIRING_HEADERS = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位"]


def test_a_county_cannot_hand_its_pairing_to_another_bureau_by_import(as_user, land):
    client = as_user("county")
    town_school = SchoolFactory(name="甲县实验小学", county=land.own, standing=Standing.HIGH_QUALITY)
    rows = [
        [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", "乙县教育局"],  # existing, handed over
        [land.cycle.name, "义务教育", "县—乡", town_school.name, "甲村小学", "乙县"],  # new, in another's name
    ]
    errors = invalid_rows(post_import(client, "admin:pairings_pairing_import", PAIRING_HEADERS, rows))
    assert sorted(errors) == [1, 2]
    assert "您不能修改以下项目：安排的县（区）教育局" in errors[1]
    assert "只能以本单位名义安排结对" in errors[2]
    land.own_pairing.refresh_from_db()
    assert land.own_pairing.arranged_by_county == land.own
    assert not Pairing.objects.filter(helper=town_school).exists()
    # Left blank, the arranging unit is the importing bureau itself.
    rows = [[land.cycle.name, "义务教育", "县—乡", town_school.name, "甲村小学", ""]]
    response = post_import(client, "admin:pairings_pairing_import", PAIRING_HEADERS, rows)
    assert not invalid_rows(response)


# 3. A county created or moved a pairing in which neither school was its own.


def test_a_county_cannot_pair_two_schools_of_its_paired_district(land):
    second = district_school(land, "丙区第二小学")
    own_central = land.own_central
    with pytest.raises(NotAllowed, match="至少一方是本县"):
        pairing_create(helper=land.urban, recipient=second, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY,
                       cycle=land.cycle, actor=land.users["county"])  # fmt: skip
    assert not Pairing.objects.filter(recipient=second).exists()
    # Nor move one of its own pairings onto two schools of that district.
    with pytest.raises(NotAllowed):
        pairing_update(pairing=land.own_pairing, actor=land.users["county"], helper=land.urban, recipient=second,
                       tier=Tier.CITY_COUNTY)  # fmt: skip
    land.own_pairing.refresh_from_db()
    assert land.own_pairing.helper == own_central


def test_a_county_pairing_of_two_district_schools_is_refused_in_the_admin_and_import(as_user, land):
    second = district_school(land, "丙区第二小学")
    client = as_user("county")
    response = client.get(reverse("admin:pairings_pairing_add"))
    data = admin_form_data(response)
    data.update(cycle=land.cycle.pk, stage="compulsory", tier="city_county", helper=land.urban.pk,
                recipient=second.pk, status="active")  # fmt: skip
    response = client.post(reverse("admin:pairings_pairing_add"), data)
    assert response.status_code == 200
    assert "至少一方是本县（区）学校" in response.content.decode()
    rows = [[land.cycle.name, "义务教育", "市—县", land.urban.name, second.name, ""]]
    errors = invalid_rows(post_import(client, "admin:pairings_pairing_import", PAIRING_HEADERS, rows))
    assert "至少一方是本县（区）学校" in errors[1]
    assert not Pairing.objects.filter(recipient=second).exists()


# 4. An accepted work plan could still be changed by the county (R25).


def pdf(name="方案.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 plan", content_type="application/pdf")


def test_r25_an_accepted_work_plan_is_no_longer_changed_by_the_county(as_user, land):
    county, city = land.users["county"], land.users["city"]
    attach_tables(land.own_plan, county)
    plan = work_plan_submit(plan=land.own_plan, actor=county, submitted_on=datetime.date(2016, 9, 14),
                            document=pdf())  # fmt: skip
    work_plan_review(plan=plan, actor=city, accept=True)
    plan.submitted_on = datetime.date(2016, 9, 13)
    with pytest.raises(NotAllowed, match="已被采纳"):
        work_plan_save(plan=plan, actor=county)
    client = as_user("county")
    url = reverse("admin:pairings_workplan_change", args=[land.own_plan.pk])
    response = client.get(url)
    assert not response.context["has_change_permission"]  # shown read-only
    data = {"status": "accepted", "submitted_on": "2016-09-13"}
    assert client.post(url, data).status_code == 403
    land.own_plan.refresh_from_db()
    assert (land.own_plan.status, land.own_plan.has_arrangement_tables) == (WorkPlanStatus.ACCEPTED, True)
    assert land.own_plan.submitted_on == datetime.date(2016, 9, 14)


# 6. District pairings and cycles were changed in the admin's default save: no service, no reason.


def test_r16_a_district_pairing_changes_only_by_the_city_with_a_reason(as_user, land):
    pair = DistrictPairing.objects.get()
    with pytest.raises(NotAllowed):
        district_pairing_update(pair=pair, actor=land.users["county"], reason="调整", recipient_county=land.other)
    client = as_user("city")
    url, data = change_page(client, pair)
    data["recipient_county"] = land.other.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "请填写调整市局统筹安排的原因" in response.content.decode()
    assert DistrictPairing.objects.get().recipient_county == land.own
    data["reason"] = "市政府调整对口帮扶关系"
    assert client.post(url, data).status_code == 302
    pair = DistrictPairing.objects.get()
    assert pair.recipient_county == land.other
    assert pair.history.first().history_change_reason == "市政府调整对口帮扶关系"
    assert pair.history.first().history_user == land.users["city"]


def test_a_cycles_deadlines_change_only_by_the_city_with_a_reason(as_user, land):
    with pytest.raises(NotAllowed):
        cycle_update(cycle=land.cycle, actor=land.users["county"], reason="延期",
                     work_plan_deadline=datetime.date(2016, 9, 30))  # fmt: skip
    client = as_user("city")
    url, data = change_page(client, land.cycle)
    data["work_plan_deadline"] = "2016-09-30"
    response = client.post(url, data)
    assert "请填写修改帮扶周期的原因" in response.content.decode()
    assert Cycle.objects.get().work_plan_deadline == datetime.date(2016, 9, 15)
    data["reason"] = "市局通知延期报送"
    assert client.post(url, data).status_code == 302
    cycle = Cycle.objects.get()
    assert cycle.work_plan_deadline == datetime.date(2016, 9, 30)
    assert cycle.history.first().history_change_reason == "市局通知延期报送"


def add_problem(land) -> Problem:
    problem = Problem(agreement=land.own_agreement, problem="教研薄弱", countermeasure="联合教研",
                      measure="teaching", responsible_side="both")  # fmt: skip
    return problem_save(problem=problem, actor=land.users["county"])


# 7. Problem rows could be deleted from the agreement page; they are withdrawn instead.


def test_problems_are_withdrawn_never_deleted(as_user, land):
    problem = add_problem(land)
    client = as_user("county")
    url, data = change_page(client, land.own_agreement)
    data["problems-0-DELETE"] = "on"
    data["problems-0-status"] = ProblemStatus.WITHDRAWN
    assert client.post(url, data).status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.WITHDRAWN
    assert problem.history.first().history_user == land.users["county"]
    assert not land.users["county"].has_perm("pairings.delete_problem")
    assert not land.users["city"].has_perm("pairings.delete_problem")


# 8. The admin's and the import's status / merged-into fields skipped school_close's checks.


def test_a_school_cannot_merge_into_a_closed_school_through_the_admin_or_import(as_user, land):
    closed = SchoolFactory(name="已撤销小学", county=land.own)
    school_close(school=closed, actor=SYSTEM, on=datetime.date(2018, 7, 1))
    client = as_user("county")
    url, data = change_page(client, land.own_school)
    data.update(status="merged", status_date="2019-09-01", merged_into=closed.pk)
    response = client.post(url, data)
    assert "只能并入正常办学" in response.content.decode()
    headers = [
        "学校名称",
        "学校类型",
        "县（区）",
        "乡镇（街道）",
        "村（社区）",
        "所在位置",
        "状态",
        "状态变更日期",
        "并入学校",
    ]
    row = [land.own_school.name, "小学", "甲县", "甲镇", land.own_school.village.name, "村", "已合并", "2019-09-01",
           closed.name]  # fmt: skip
    errors = invalid_rows(post_import(client, "admin:schools_school_import", headers, [row]))
    assert "只能并入正常办学" in errors[1]
    land.own_school.refresh_from_db()
    assert land.own_school.status == SchoolStatus.ACTIVE


# 9. Lost updates: a second save from an older page silently reverted the first.


def test_a_stale_pairing_page_does_not_revert_a_newer_change(as_user, land):
    client = as_user("county")
    url, first = change_page(client, land.own_pairing)
    _url, second = change_page(client, land.own_pairing)
    first["helper_contact"] = "王老师"
    assert client.post(url, first).status_code == 302
    second["recipient_contact"] = "李老师"
    response = client.post(url, second)
    assert response.status_code == 200
    assert STALE in response.content.decode()
    land.own_pairing.refresh_from_db()
    assert (land.own_pairing.helper_contact, land.own_pairing.recipient_contact) == ("王老师", "")


def test_a_stale_edit_is_refused_by_the_service(land):
    version = land.own_pairing.version
    pairing_update(pairing=Pairing.objects.get(pk=land.own_pairing.pk), actor=land.users["county"],
                   expected_version=version, helper_contact="王老师")  # fmt: skip
    with pytest.raises(StaleEdit):
        pairing_update(pairing=Pairing.objects.get(pk=land.own_pairing.pk), actor=land.users["county"],
                       expected_version=version, recipient_contact="李老师")  # fmt: skip
    assert Pairing.objects.get(pk=land.own_pairing.pk).recipient_contact == ""


# The permission matrix, extended: a stale edit on every change page, and an import row moving an object out
# of the importing user's scope, for each model that imports.

STALE_PAGES = {
    # model: (the land's object, {role: (field, new value)})
    "school": (lambda land: land.own_school, {"city": ("contact_person", "张老师"), "county": ("address", "新址")}),
    "pairing": (lambda land: land.own_pairing, {"city": ("recipient_contact", "李老师"),
                                                "county": ("helper_contact", "王老师")}),
    "agreement": (lambda land: land.own_agreement, {"city": ("plan", "一对一精准方案"), "county": ("plan", "方案")}),
    "work plan": (lambda land: land.own_plan, {"city": ("return_reason", "请补充安排表"),
                                               "county": ("submitted_on", "2016-09-01")}),
    "cycle": (lambda land: land.cycle, {"city": ("name", "2016—2020年结对帮扶（修订）")}),
    "district pairing": (lambda land: DistrictPairing.objects.get(), {"city": ("recipient_county", None)}),
    "county": (lambda land: land.own, {"city": ("short_name", "甲县（新）")}),
    "user": (lambda land: land.users["school"], {"city": ("first_name", "小明")}),
}  # fmt: skip
STALE_CELLS = [(model, role) for model, (_obj, roles) in STALE_PAGES.items() for role in roles]


@pytest.mark.parametrize(("model", "role"), STALE_CELLS, ids=[f"{m}-{r}" for m, r in STALE_CELLS])
def test_every_change_page_refuses_a_stale_edit(as_user, land, model, role):
    get_obj, roles = STALE_PAGES[model]
    field, value = roles[role]
    obj = get_obj(land)
    client = as_user(role)
    url, data = change_page(client, obj)
    # Someone else saved meanwhile (an account's version is kept on its profile).
    versioned = obj.profile if model == "user" else obj
    type(versioned).objects.filter(pk=versioned.pk).update(version=versioned.version + 1)
    data[field] = land.other.pk if value is None else value
    data["reason"] = "调整"
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    response = client.post(url, data)
    assert response.status_code == 200
    assert STALE in response.content.decode()
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_a_stale_agreement_row_on_the_pairing_page_is_refused(as_user, land):
    client = as_user("county")
    url, data = change_page(client, land.own_pairing)
    Agreement.objects.filter(pk=land.own_agreement.pk).update(version=F("version") + 1)
    data["agreement-0-plan"] = "新方案"
    response = client.post(url, data)
    assert STALE in response.content.decode()
    assert Agreement.objects.get(pk=land.own_agreement.pk).plan == ""


def test_a_stale_problem_row_on_the_agreement_page_is_refused(as_user, land):
    problem = add_problem(land)
    client = as_user("county")
    url, data = change_page(client, land.own_agreement)
    Problem.objects.filter(pk=problem.pk).update(version=F("version") + 1)
    data["problems-0-countermeasure"] = "送教下乡"
    response = client.post(url, data)
    assert STALE in response.content.decode()
    assert Problem.objects.get(pk=problem.pk).countermeasure == "联合教研"


def test_a_stale_account_page_does_not_reactivate_an_account(as_user, land):
    client = as_user("city")
    target = land.users["school"]
    url, first = change_page(client, target)
    _url, second = change_page(client, target)
    first.pop("is_active")  # deactivate
    assert client.post(url, first).status_code == 302
    second["first_name"] = "小明"
    response = client.post(url, second)
    assert STALE in response.content.decode()
    target.refresh_from_db()
    assert (target.is_active, target.first_name) == (False, "")


def test_accounts_are_managed_by_the_city_and_superusers_by_superusers(land, django_user_model):
    from accounts.services import account_save

    target = land.users["school"]
    target.first_name = "小明"
    with pytest.raises(NotAllowed, match="账号由市教育局管理"):
        account_save(user=target, profile=target.profile, actor=land.users["county"])
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", "x-Strong-Pass-2016")
    root.first_name = "改"
    with pytest.raises(NotAllowed, match="超级管理员"):
        account_save(user=root, profile=None, actor=land.users["city"])
    assert django_user_model.objects.get(pk=root.pk).first_name == ""
    account_save(user=target, profile=target.profile, actor=land.users["city"])
    assert django_user_model.objects.get(pk=target.pk).first_name == "小明"


OUT_OF_SCOPE_ROWS = {
    "school": (
        "admin:schools_school_import",
        ["学校名称", "学校类型", "县（区）"],
        lambda land: ["甲县实验中学", "初中", "乙县"],
    ),
    "pairing": (
        "admin:pairings_pairing_import",
        PAIRING_HEADERS,
        lambda land: [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", "乙县"],
    ),
}


@pytest.mark.parametrize("model", sorted(OUT_OF_SCOPE_ROWS))
def test_every_import_refuses_a_row_moving_an_object_out_of_scope(as_user, land, model):
    url_name, headers, row = OUT_OF_SCOPE_ROWS[model]
    if model == "school":
        SchoolFactory(name="甲县实验中学", school_type="junior_middle", county=land.own)
    client = as_user("county")
    response = post_import(client, url_name, headers, [row(land)])
    assert list(invalid_rows(response)) == [1]
    assert School.objects.filter(name="甲县实验中学", county=land.other).count() == 0
    assert Pairing.objects.filter(arranged_by_county=land.other, helper=land.own_central).count() == 0


@pytest.mark.parametrize("role", ["inspector", "county", "city"])
def test_a_history_version_page_saves_nothing(as_user, land, role):
    """django-simple-history's version page saved a POST without asking for change permission or a service."""
    agreement = land.own_agreement
    version = agreement.history.first()
    client = as_user(role)
    url = reverse("admin:pairings_agreement_simple_history", args=[agreement.pk, version.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"plan": "篡改的方案", "signed_on": "", "helper_signatory": "", "recipient_signatory": ""}
    )
    assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.plan == ""


def test_only_the_city_creates_accounts(land):
    from accounts.services import user_create

    with pytest.raises(NotAllowed, match="账号由市教育局创建"):
        user_create(actor=land.users["county"], username="clerk2", role="county", county=land.own)
    user, _password = user_create(actor=land.users["city"], username="clerk2", role="county", county=land.own)
    assert user.profile.county == land.own


def test_an_import_confirmed_after_a_row_became_invalid_writes_nothing(as_user, land):
    """The confirm step re-reads the file against the records as they are then: one refused row rolls back all."""
    client = as_user("county")
    town_school = SchoolFactory(name="甲县实验小学", county=land.own, standing=Standing.HIGH_QUALITY)
    rows = [
        [land.cycle.name, "义务教育", "县—乡", town_school.name, "甲村小学", ""],
        [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", ""],  # unchanged: blank 安排单位 is 甲县
    ]
    response = post_import(client, "admin:pairings_pairing_import", PAIRING_HEADERS, rows)
    assert not invalid_rows(response)
    confirm = response.context["confirm_form"].initial
    # The school closes meanwhile (written directly: its own pairings are not the point here).
    School.objects.filter(pk=land.own_school.pk).update(status="closed", status_date=datetime.date(2017, 1, 1))
    response = client.post(reverse("admin:pairings_pairing_process_import"), confirm, follow=True)
    page = response.content.decode()
    assert "没有导入任何数据" in page
    assert "第 2 行" in page  # the first data row is line 2 of the spreadsheet
    assert not Pairing.objects.filter(helper=town_school).exists()


def test_a_closed_school_is_not_reopened_or_merged_through_the_admin(as_user, land):
    school_close(school=land.own_school, actor=SYSTEM, on=datetime.date(2018, 7, 1))
    client = as_user("county")
    url, data = change_page(client, land.own_school)
    for change in ({"status": "active", "status_date": ""}, {"status": "merged", "merged_into": land.own_central.pk}):
        response = client.post(url, {**data, **change})
        assert "该学校已撤销或合并" in response.content.decode()
        land.own_school.refresh_from_db()
        assert land.own_school.status == SchoolStatus.CLOSED


def test_a_long_reason_is_kept_whole_in_the_history(land):
    reason = "市政府调整对口帮扶关系，" * 15
    assert len(reason) > 100
    pair = DistrictPairing.objects.get()
    district_pairing_update(pair=pair, actor=land.users["city"], reason=reason, recipient_county=land.other)
    assert pair.history.first().history_change_reason == reason


def test_a_resubmitted_work_plan_clears_the_reason_it_was_returned_for(as_user, land):
    county, city = land.users["county"], land.users["city"]
    attach_tables(land.own_plan, county)
    plan = work_plan_submit(plan=land.own_plan, actor=county, submitted_on=datetime.date(2016, 9, 14),
                            document=pdf())  # fmt: skip
    work_plan_review(plan=plan, actor=city, accept=False, reason="请补充安排表")
    assert plan.history.first().history_change_reason == "请补充安排表"
    client = as_user("county")
    url, data = change_page(client, land.own_plan)
    data["status"] = "submitted"
    data["document"] = pdf("方案二.pdf")
    assert client.post(url, data).status_code == 302
    land.own_plan.refresh_from_db()
    assert (land.own_plan.status, land.own_plan.return_reason) == (WorkPlanStatus.SUBMITTED, "")
    assert land.own_plan.history.first().history_change_reason in (None, "")


def test_a_county_re_imports_the_rows_it_sees_but_does_not_arrange_when_unchanged(as_user, land):
    client = as_user("county")
    row = [land.cycle.name, "义务教育", "市—县", land.urban.name, land.own_central.name, "丙区教育局"]
    response = post_import(client, "admin:pairings_pairing_import", PAIRING_HEADERS, [row])
    assert not invalid_rows(response)
    row[-1] = "甲县教育局"  # but changing it is refused
    errors = invalid_rows(post_import(client, "admin:pairings_pairing_import", PAIRING_HEADERS, [row]))
    assert list(errors) == [1]
    assert Pairing.objects.get(pk=land.cross_pairing.pk).arranged_by_county == land.district
