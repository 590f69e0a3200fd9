import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import user_create
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Measure, PairingStatus, Side, Tier, WorkPlanStatus
from pairings.models import Agreement, Cycle, Problem, WorkPlan
from pairings.selectors import late_agreements, late_work_plans
from pairings.services import (
    agreement_save,
    cycle_create,
    pairing_end,
    pairing_update,
    problem_save,
    semesters_ensure,
    work_plan_attachment_remove,
    work_plan_review,
    work_plan_submit,
)
from schools.choices import SchoolType, Stage, Standing
from tests.helpers import attach_tables

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def county_user(world):
    return user_create(actor=SYSTEM, username="county", role="county", county=world.county)[0]


@pytest.fixture
def city_user(db):
    return user_create(actor=SYSTEM, username="city", role="city")[0]


@pytest.fixture
def fixed(world):
    helper = world.urban("城区高中", SchoolType.SENIOR_HIGH)
    recipient = world.school("县高中", SchoolType.SENIOR_HIGH)
    return world.pair(helper, recipient, Stage.HIGH_SCHOOL, Tier.CITY_COUNTY, is_city_fixed=True)


def test_r3_cycle_semesters_are_data():
    cycle = Cycle(first_academic_year=2016, first_term=1, last_academic_year=2020, last_term=1)
    semesters = cycle.semesters()
    assert semesters[0] == (2016, 1) and semesters[-1] == (2020, 1) and len(semesters) == 9
    assert cycle.first_semester_label == "2016—2017学年第一学期"
    assert cycle.last_semester_label == "2020—2021学年第一学期"
    later = Cycle(first_academic_year=2021, first_term=2, last_academic_year=2025, last_term=2)
    assert later.semesters()[0] == (2021, 2) and later.semesters()[-1] == (2025, 2)


def test_r3_a_cycle_cannot_end_before_it_starts():
    cycle = Cycle(
        name="坏周期",
        first_academic_year=2020,
        last_academic_year=2020,
        first_term=2,
        last_term=1,
        work_plan_deadline=datetime.date(2020, 9, 15),
        agreement_deadline=datetime.date(2020, 9, 30),
    )
    with pytest.raises(ValidationError, match="最后学期不能早于第一学期"):
        cycle.full_clean()


def test_r16_a_county_user_cannot_create_a_city_fixed_pairing(world, county_user):
    with pytest.raises(PermissionDenied):
        world.pair(world.urban(), world.central(), actor=county_user, is_city_fixed=True)


def test_r16_a_county_user_cannot_change_or_end_a_city_fixed_pairing(fixed, county_user, world):
    other = world.school("县二高", SchoolType.SENIOR_HIGH)
    with pytest.raises(PermissionDenied):
        pairing_update(pairing=fixed, actor=county_user, reason="调整", recipient=other)
    with pytest.raises(PermissionDenied):
        pairing_end(pairing=fixed, actor=county_user, on=datetime.date(2018, 1, 1), reason="调整")
    fixed.refresh_from_db()
    assert fixed.recipient.name == "县高中" and fixed.status == PairingStatus.ACTIVE


def test_r16_the_city_changes_a_city_fixed_pairing_only_with_a_reason(fixed, city_user, world):
    other = world.school("县二高", SchoolType.SENIOR_HIGH)
    with pytest.raises(ValidationError, match="请填写调整市局统筹安排的原因"):
        pairing_update(pairing=fixed, actor=city_user, reason=" ", recipient=other)
    pairing_update(pairing=fixed, actor=city_user, reason="县高中撤并", recipient=other)
    fixed.refresh_from_db()
    assert fixed.recipient == other
    record = fixed.history.first()
    assert (record.history_user, record.history_change_reason) == (city_user, "县高中撤并")


def test_r16_contacts_of_a_city_fixed_pairing_may_be_kept_up_to_date_without_a_reason(fixed, city_user, county_user):
    pairing_update(pairing=fixed, actor=city_user, recipient_contact="王老师", recipient_phone="0772-5112345")
    fixed.refresh_from_db()
    assert fixed.recipient_contact == "王老师"
    with pytest.raises(NotAllowed):
        pairing_update(pairing=fixed, actor=county_user, recipient_contact="李老师")
    fixed.refresh_from_db()
    assert fixed.recipient_contact == "王老师"


def test_ending_a_pairing_needs_a_reason_and_keeps_the_record(world):
    pairing = world.pair(world.urban(), world.central())
    with pytest.raises(ValidationError, match="请填写结对结束的原因"):
        pairing_end(pairing=pairing, actor=SYSTEM, on=datetime.date(2018, 1, 1), reason="")
    pairing_end(pairing=pairing, actor=SYSTEM, on=datetime.date(2018, 1, 1), reason="受援学校撤并")
    pairing.refresh_from_db()
    assert (pairing.status, pairing.ended_on, pairing.end_reason) == (
        PairingStatus.ENDED,
        datetime.date(2018, 1, 1),
        "受援学校撤并",
    )


def test_updating_reapplies_the_rules(world):
    pairing = world.pair(world.urban(), world.central())
    with pytest.raises(ValidationError, match="须在同一乡镇内"):
        pairing_update(pairing=pairing, actor=SYSTEM, tier=Tier.TOWNSHIP_VILLAGE)
    pairing.refresh_from_db()
    assert pairing.tier == Tier.CITY_COUNTY
    recipient = pairing.recipient
    recipient.standing = Standing.ORDINARY
    recipient.save()
    pairing_update(pairing=pairing, actor=SYSTEM, helper_contact="李老师")
    assert pairing.warnings == ["recipient_not_weak"]


def test_r26_agreement_signed_after_the_deadline_is_allowed_and_reported_late(world):
    on_time = world.pair(world.urban(), world.central())
    late = world.pair(world.urban("城区二小"), world.central("乙镇中心小学", township=world.other_town))
    unsigned = world.pair(world.urban("城区三小"), world.school("县城小学", standing=Standing.WEAK))
    for pairing, day in ((on_time, 30), (late, 31)):
        signed = datetime.date(2016, 9, day) if day <= 30 else datetime.date(2016, 10, 8)
        agreement_save(
            agreement=Agreement(pairing=pairing, signed_on=signed, helper_signatory="甲", recipient_signatory="乙"),
            actor=SYSTEM,
        )
    assert not on_time.agreement.is_late and late.agreement.is_late
    before = late_agreements(cycle=world.cycle, user=SYSTEM, today=datetime.date(2016, 9, 20))
    assert [r.pairing for r in before] == [late]
    after = late_agreements(cycle=world.cycle, user=SYSTEM, today=datetime.date(2016, 10, 20))
    assert {r.pairing for r in after} == {late, unsigned}
    assert next(r for r in after if r.pairing == unsigned).unsigned


def test_r26_a_signed_agreement_names_both_signatories(world):
    pairing = world.pair(world.urban(), world.central())
    with pytest.raises(ValidationError, match="双方签约人"):
        agreement_save(agreement=Agreement(pairing=pairing, signed_on=datetime.date(2016, 9, 20)), actor=SYSTEM)
    assert not Agreement.objects.exists()


def test_r26_one_agreement_per_pairing(world):
    pairing = world.pair(world.urban(), world.central())
    agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)
    with pytest.raises(ValidationError):
        agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)


def test_agreement_scan_is_checked_by_content_and_size(world):
    pairing = world.pair(world.urban(), world.central())
    fake = SimpleUploadedFile("协议.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="请上传PDF文件或图片"):
        agreement_save(agreement=Agreement(pairing=pairing, scan=fake), actor=SYSTEM)
    big = SimpleUploadedFile("协议.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="最大允许"):
        agreement_save(agreement=Agreement(pairing=pairing, scan=big), actor=SYSTEM)
    image = SimpleUploadedFile("scan.exe", PNG, content_type="application/octet-stream")
    agreement = agreement_save(agreement=Agreement(pairing=pairing, scan=image), actor=SYSTEM)
    assert agreement.scan.name.startswith("agreements/") and agreement.scan.name.endswith(".png")
    agreement.scan.delete(save=False)


def test_r26_problem_and_countermeasure_rows(world):
    semesters_ensure(cycle=world.cycle, actor=SYSTEM)
    pairing = world.pair(world.urban(), world.central())
    agreement = agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM)
    problem = problem_save(
        problem=Problem(
            agreement=agreement,
            problem="青年教师课堂教学能力弱",
            countermeasure="每学期送教2次，结对师徒",
            measure=Measure.TEACHER_DEVELOPMENT,
            responsible_side=Side.HELPER,
            target_semester=world.cycle.semester_rows.get(academic_year=2017, term=2),
        ),
        actor=SYSTEM,
    )
    assert problem.target_semester_label == "2017—2018学年第二学期"
    later = cycle_create(
        actor=SYSTEM,
        name="2021—2025年结对帮扶",
        first_academic_year=2021,
        last_academic_year=2025,
        work_plan_deadline=datetime.date(2021, 9, 15),
        agreement_deadline=datetime.date(2021, 9, 30),
    )
    outside = Problem(
        agreement=agreement,
        problem="x",
        countermeasure="y",
        measure=Measure.TEACHING,
        responsible_side=Side.BOTH,
        target_semester=later.semester_rows.first(),
    )
    with pytest.raises(ValidationError, match="目标学期不在本周期内"):
        problem_save(problem=outside, actor=SYSTEM)
    assert agreement.problems.count() == 1


def make_plans(world):
    county_plan = WorkPlan.objects.create(cycle=world.cycle, county=world.county)
    school_plan = WorkPlan.objects.create(cycle=world.cycle, school=world.urban("城区高中", SchoolType.SENIOR_HIGH))
    missing = WorkPlan.objects.create(cycle=world.cycle, county=world.district)
    return county_plan, school_plan, missing


def test_r25_work_plans_submitted_late_or_missing_are_reported(world):
    county_plan, school_plan, missing = make_plans(world)
    pdf = SimpleUploadedFile("方案.pdf", PDF)
    attach_tables(county_plan)
    work_plan_submit(plan=county_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 14), document=pdf)
    work_plan_submit(plan=school_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 18),
                     document=SimpleUploadedFile("方案.pdf", PDF))  # fmt: skip
    assert not county_plan.is_late() and school_plan.is_late()
    assert late_work_plans(cycle=world.cycle, user=SYSTEM, today=datetime.date(2016, 9, 15)) == [school_plan]
    assert set(late_work_plans(cycle=world.cycle, user=SYSTEM, today=datetime.date(2016, 9, 16))) == {
        school_plan,
        missing,
    }
    for plan in (county_plan, school_plan):
        plan.document.delete(save=False)


def test_r25_a_county_plan_is_submitted_and_accepted_only_with_its_arrangement_tables(world):
    county_plan, school_plan, _ = make_plans(world)
    with pytest.raises(ValidationError, match="安排表"):
        work_plan_submit(plan=county_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 14),
                         document=SimpleUploadedFile("方案.pdf", PDF))  # fmt: skip
    county_plan.refresh_from_db()
    assert county_plan.status == WorkPlanStatus.MISSING and not county_plan.has_arrangement_tables
    # A school's plan carries no tables.
    work_plan_submit(plan=school_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 14),
                     document=SimpleUploadedFile("方案.pdf", PDF))  # fmt: skip
    tables = attach_tables(county_plan)
    assert county_plan.has_arrangement_tables
    work_plan_submit(plan=county_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 14),
                     document=SimpleUploadedFile("方案.pdf", PDF))  # fmt: skip
    # A submitted plan keeps its tables ...
    with pytest.raises(NotAllowed, match="须保留安排表"):
        work_plan_attachment_remove(attachment=tables, actor=SYSTEM)
    # ... and one without them (a plan submitted before attachments existed) is not accepted.
    tables.file.delete(save=False)
    tables.delete()
    with pytest.raises(ValidationError, match="安排表"):
        work_plan_review(plan=county_plan, actor=SYSTEM, accept=True)
    county_plan.refresh_from_db()
    assert county_plan.status == WorkPlanStatus.SUBMITTED
    with pytest.raises(ValidationError, match="退回原因"):
        work_plan_review(plan=county_plan, actor=SYSTEM, accept=False, reason="")
    work_plan_review(plan=county_plan, actor=SYSTEM, accept=False, reason="缺少乡—村级安排表")
    county_plan.refresh_from_db()
    assert (county_plan.status, county_plan.return_reason) == (WorkPlanStatus.RETURNED, "缺少乡—村级安排表")
    for plan in (county_plan, school_plan):
        plan.document.delete(save=False)


def test_r25_a_missing_plan_cannot_be_accepted(world):
    _, _, missing = make_plans(world)
    with pytest.raises(ValidationError, match="只有已报送的方案"):
        work_plan_review(plan=missing, actor=SYSTEM, accept=True)
