"""The demo generator records agreements and work plans in every state, marked as demo, and resets only those."""

import datetime

import pytest
from django.core.files.base import ContentFile

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import WorkPlanStatus
from pairings.demo import DEMO_PDF, demo_records_clear, demo_records_generate
from pairings.models import Agreement, Pairing, WorkPlan
from pairings.selectors import late_agreements, late_work_plans
from pairings.services import agreement_save, work_plan_submit
from tests.helpers import analysed, attach_tables

pytestmark = pytest.mark.django_db

LATER = datetime.date(2017, 3, 1)


def test_demo_records_agreements_and_work_plans_in_every_state(demo):
    assert analysed(demo_records_generate(seed=11)) > 0
    agreements = Agreement.objects.filter(is_demo=True)
    deadline = demo.agreement_deadline
    assert agreements.filter(signed_on__lte=deadline).exists()  # on time
    assert agreements.filter(signed_on__gt=deadline).exists()  # late
    assert agreements.filter(signed_on__isnull=True).exists()  # unsigned
    assert agreements.filter(pairing__is_city_fixed=True).exists()  # on a real, city-fixed pair
    assert agreements.exclude(scan="").exists()
    assert not Agreement.objects.filter(is_demo=False).exists()

    plans = WorkPlan.objects.filter(cycle=demo)
    states = set(plans.values_list("status", flat=True))
    assert states == {WorkPlanStatus.SUBMITTED, WorkPlanStatus.ACCEPTED, WorkPlanStatus.RETURNED,
                      WorkPlanStatus.MISSING}  # fmt: skip
    assert plans.filter(is_demo=True, submitted_on__gt=demo.work_plan_deadline).exists()
    assert plans.filter(is_demo=True, submitted_on__lte=demo.work_plan_deadline).exists()
    assert not plans.filter(is_demo=False).exclude(status=WorkPlanStatus.MISSING).exists()

    # The reports have something to show.
    late = late_agreements(cycle=demo, user=SYSTEM, today=LATER)
    assert any(row.unsigned for row in late) and any(not row.unsigned for row in late)
    late_plans = late_work_plans(cycle=demo, user=SYSTEM, today=LATER)
    assert {p.status for p in late_plans} >= {WorkPlanStatus.MISSING}
    assert any(p.submitted_on for p in late_plans)


def test_demo_records_are_reset_and_real_ones_left_alone(demo):
    # A real agreement and a real submission, made before the demo.
    real_pairing = Pairing.objects.filter(is_city_fixed=True).order_by("pk").first()
    real_agreement = agreement_save(agreement=Agreement(pairing=real_pairing, plan="真实方案"), actor=SYSTEM)
    real_plan = WorkPlan.objects.filter(cycle=demo, county__isnull=False).order_by("county__code").first()
    document = ContentFile(DEMO_PDF, name="plan.pdf")
    attach_tables(real_plan)
    work_plan_submit(plan=real_plan, actor=SYSTEM, submitted_on=datetime.date(2016, 9, 1), document=document)

    analysed(demo_records_generate(seed=11))
    first = sorted(Agreement.objects.filter(is_demo=True).values_list("pairing_id", "signed_on"))
    demo_plans = WorkPlan.objects.filter(is_demo=True)
    assert demo_plans.exists() and real_plan.pk not in set(demo_plans.values_list("pk", flat=True))

    assert demo_records_clear() > 0
    assert not Agreement.objects.filter(is_demo=True).exists()
    assert not WorkPlan.objects.filter(is_demo=True).exists()
    assert not WorkPlan.history.filter(is_demo=True).exists()
    assert set(WorkPlan.objects.exclude(pk=real_plan.pk).values_list("status", flat=True)) == {WorkPlanStatus.MISSING}
    real_agreement.refresh_from_db()
    real_plan.refresh_from_db()
    assert (real_agreement.plan, real_agreement.is_demo) == ("真实方案", False)
    assert (real_plan.status, real_plan.submitted_on) == (WorkPlanStatus.SUBMITTED, datetime.date(2016, 9, 1))

    # Same seed, same records.
    analysed(demo_records_generate(seed=11))
    assert sorted(Agreement.objects.filter(is_demo=True).values_list("pairing_id", "signed_on")) == first
