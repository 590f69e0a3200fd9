import io

import openpyxl
import pytest
from django.urls import reverse

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import PairingStatus, Tier
from pairings.models import Pairing
from schools.choices import SchoolType, Stage, Standing
from tests.helpers import post_import

pytestmark = pytest.mark.django_db

HEADERS = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位", "帮扶学校联系人", "帮扶学校联系电话"]


@pytest.fixture
def county_staff(client, world):
    """Staff of the recipient county: the ordinary pairing permissions, not the city's R16 permission."""
    from accounts.services import user_create

    user, _ = user_create(
        actor=SYSTEM, username="county", role="county", county=world.county, password="x-Strong-Pass-2016"
    )
    client.force_login(user)
    return client


def form_data(pairing: Pairing, **changes) -> dict:
    data = {
        "cycle": pairing.cycle_id,
        "stage": pairing.stage,
        "tier": pairing.tier,
        "helper": pairing.helper_id,
        "recipient": pairing.recipient_id,
        "lead_school": pairing.lead_school_id or "",
        "arranged_by": pairing.arranged_by,
        "arranged_by_county": pairing.arranged_by_county_id or "",
        "status": pairing.status,
        "ended_on": "",
        "end_reason": "",
        "reason": "",
        "helper_contact": pairing.helper_contact,
        "helper_phone": pairing.helper_phone,
        "recipient_contact": pairing.recipient_contact,
        "recipient_phone": pairing.recipient_phone,
        "agreement-TOTAL_FORMS": "0",
        "agreement-INITIAL_FORMS": "0",
        "agreement-MIN_NUM_FORMS": "0",
        "agreement-MAX_NUM_FORMS": "1",
    }
    data.update(changes)
    return data


def test_admin_add_shows_a_refusal_as_a_form_error_and_writes_nothing(city_admin, world):
    helper, recipient = world.urban(), world.school("别县小学", county=world.other_county)
    draft = Pairing(cycle=world.cycle, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY, helper=helper,
                    recipient=recipient, arranged_by="county", arranged_by_county=world.district)  # fmt: skip
    response = city_admin.post(reverse("admin:pairings_pairing_add"), form_data(draft))
    assert response.status_code == 200
    assert "须在帮扶学校所在城区或其对口帮扶县" in response.content.decode()
    assert not Pairing.objects.exists()


def test_admin_add_stores_warnings_and_shows_them(city_admin, world):
    helper = world.urban(standing=Standing.ORDINARY)
    draft = Pairing(cycle=world.cycle, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY, helper=helper,
                    recipient=world.central(), arranged_by="county", arranged_by_county=world.district)  # fmt: skip
    response = city_admin.post(reverse("admin:pairings_pairing_add"), form_data(draft))
    assert response.status_code == 302, response.context["adminform"].form.errors
    pairing = Pairing.objects.get()
    assert pairing.warnings == ["helper_not_high_quality"]
    assert pairing.history.get().history_user == city_admin.user
    listing = city_admin.get(reverse("admin:pairings_pairing_changelist"), {"has_warnings": "yes"})
    assert "帮扶学校未被评为优质学校" in listing.content.decode()
    assert listing.context["cl"].result_count == 1


def fixed_pairing(world):
    helper = world.urban("城区高中", SchoolType.SENIOR_HIGH)
    recipient = world.school("县高中", SchoolType.SENIOR_HIGH)
    return world.pair(helper, recipient, Stage.HIGH_SCHOOL, Tier.CITY_COUNTY, is_city_fixed=True,
                      arranged_by="city")  # fmt: skip


def test_r16_admin_refuses_county_staff_changing_a_city_fixed_pairing(county_staff, world):
    pairing = fixed_pairing(world)
    other = world.school("县二高", SchoolType.SENIOR_HIGH)
    url = reverse("admin:pairings_pairing_change", args=[pairing.pk])
    assert county_staff.get(url).status_code == 200  # visible to the county, read-only
    response = county_staff.post(url, form_data(pairing, recipient=other.pk, reason="调整"))
    assert response.status_code == 403
    pairing.refresh_from_db()
    assert pairing.recipient.name == "县高中"


def test_r16_admin_lets_the_city_change_a_city_fixed_pairing_with_a_reason(city_admin, world):
    pairing = fixed_pairing(world)
    other = world.school("县二高", SchoolType.SENIOR_HIGH)
    url = reverse("admin:pairings_pairing_change", args=[pairing.pk])
    response = city_admin.post(url, form_data(pairing, recipient=other.pk))
    assert "请填写调整市局统筹安排的原因" in response.content.decode()
    response = city_admin.post(url, form_data(pairing, recipient=other.pk, reason="县高中撤并"))
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.recipient == other
    assert pairing.history.first().history_change_reason == "县高中撤并"


def test_admin_ends_a_pairing_with_date_and_reason(city_admin, world):
    pairing = world.pair(world.urban(), world.central())
    url = reverse("admin:pairings_pairing_change", args=[pairing.pk])
    response = city_admin.post(url, form_data(pairing, status="ended", ended_on="2018-07-01", end_reason="学校撤并"))
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert (pairing.status, str(pairing.ended_on), pairing.end_reason) == ("ended", "2018-07-01", "学校撤并")


def test_admin_pairing_filters(city_admin, world):
    world.pair(world.urban(), world.central())
    world.pair(world.urban("城区二小"), world.central("城区镇中心小学", township=world.district_town))
    url = reverse("admin:pairings_pairing_changelist")
    assert city_admin.get(url, {"county": world.county.pk}).context["cl"].result_count == 1
    assert city_admin.get(url, {"county": world.district.pk}).context["cl"].result_count == 2
    assert (
        city_admin.get(url, {"tier__exact": "city_county", "is_city_fixed__exact": "0"}).context["cl"].result_count
        == 2
    )
    assert city_admin.get(url, {"has_warnings": "yes"}).context["cl"].result_count == 0


def test_import_of_pairings_writes_each_row_through_the_rules(city_admin, world):
    helper, central = world.urban(), world.central()
    helper.school_code = "4502020001"
    helper.save()
    rows = [[world.cycle.name, "义务教育", "市—县", "4502020001", central.name, "测试城区", "李老师", "0772-2815945"]]
    response = post_import(city_admin, "admin:pairings_pairing_import", HEADERS, rows)
    confirm = response.context["confirm_form"]
    assert confirm is not None, [r.error_dict for r in response.context["result"].invalid_rows]
    assert not Pairing.objects.exists()
    city_admin.post(reverse("admin:pairings_pairing_process_import"), confirm.initial)
    pairing = Pairing.objects.get()
    assert (pairing.helper, pairing.recipient, pairing.arranged_by_county, pairing.helper_phone) == (
        helper, central, world.district, "0772-2815945"
    )  # fmt: skip
    assert pairing.status == PairingStatus.ACTIVE


def test_import_with_one_bad_row_writes_nothing(city_admin, world):
    helper, central = world.urban(), world.central()
    kg = world.central("甲镇中心幼儿园", SchoolType.KINDERGARTEN)
    rows = [
        [world.cycle.name, "义务教育", "市—县", helper.name, central.name, "测试城区", "", ""],
        [world.cycle.name, "学前教育", "市—县", world.urban("城区幼儿园", SchoolType.KINDERGARTEN).name, kg.name,
         "测试城区", "", ""],
        [world.cycle.name, "义务教育", "市—县", "不存在的学校", central.name, "测试城区", "", ""],
    ]  # fmt: skip
    response = post_import(city_admin, "admin:pairings_pairing_import", HEADERS, rows)
    assert response.context.get("confirm_form") is None
    errors = {
        row.number: " ".join(str(e) for errs in row.error_dict.values() for e in errs)
        for row in response.context["result"].invalid_rows
    }
    assert sorted(errors) == [2, 3]
    assert "学前教育不能建立“市—县”级结对" in errors[2]
    assert "没有学校标识码或完整名称为“不存在的学校”的学校" in errors[3]
    assert not Pairing.objects.exists()


def test_pairings_cannot_be_deleted(city_admin, world):
    pairing = world.pair(world.urban(), world.central())
    response = city_admin.post(reverse("admin:pairings_pairing_delete", args=[pairing.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Pairing.objects.filter(pk=pairing.pk).exists()


def test_export_of_pairings_reopens_with_chinese_values(city_admin, world):
    world.pair(world.urban(standing=Standing.ORDINARY), world.central(), arranged_by_county=world.district)
    url = reverse("admin:pairings_pairing_export")
    form = city_admin.get(url).context["form"]
    data = {"format": "0", "resource": "0", **{n: "on" for n in form.fields if n.startswith("pairingresource_")}}
    sheet = openpyxl.load_workbook(io.BytesIO(city_admin.post(url, data).content)).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["学段"] == "义务教育" and values["帮扶层级"] == "市—县"
    assert values["安排单位"] == "测试城区教育局"
    assert values["预警"] == "帮扶学校未被评为优质学校"


def test_pairing_page_shows_the_agreements_problems_and_countermeasures(city_admin, world):
    from pairings.choices import Measure, Side
    from pairings.models import Agreement, Problem

    pairing = world.pair(world.urban(), world.central())
    page = city_admin.get(reverse("admin:pairings_pairing_change", args=[pairing.pk])).content.decode()
    assert "尚未登记协议" in page
    agreement = Agreement.objects.create(pairing=pairing)
    Problem.objects.create(agreement=agreement, problem="青年教师多", countermeasure="师徒结对",
                           measure=Measure.TEACHER_DEVELOPMENT, responsible_side=Side.HELPER)  # fmt: skip
    page = city_admin.get(reverse("admin:pairings_pairing_change", args=[pairing.pk])).content.decode()
    assert "青年教师多" in page and "师徒结对" in page and "教师发展帮扶" in page
    assert reverse("admin:pairings_agreement_change", args=[agreement.pk]) in page


def test_a_pairings_import_costs_a_constant_number_of_queries_per_row(city_admin, world):
    """Schools and cycles are looked up once per distinct cell, the rules' look-ups once per file, and new pairings
    are written together: ten times the rows cost no more queries but a few INSERT statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    helper = world.central()
    counts = {}
    for n in (5, 50):
        villages = [world.village_school(f"{n}号村小学{i}") for i in range(n)]
        rows = [[world.cycle.name, "义务教育", "乡—村", helper.name, v.name, "测试县", "", ""] for v in villages]
        with CaptureQueriesContext(connection) as queries:
            response = post_import(city_admin, "admin:pairings_pairing_import", HEADERS, rows)
        assert response.context["confirm_form"] is not None
        counts[n] = len(queries.captured_queries)
    assert counts[50] - counts[5] <= 4, counts
