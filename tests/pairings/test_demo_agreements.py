"""The region's agreements: one for each demo pairing, with its problems and countermeasures, written in bulk on
agreement_save's and problem_save's terms."""

import datetime
import random

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from liuzhou_pairing.actors import SYSTEM
from pairings import demo as pairings_demo
from pairings.choices import PairingStatus
from pairings.demo import DemoAgreements, demo_records_clear, demo_records_generate
from pairings.models import Agreement, Pairing, Problem
from pairings.services import agreement_save, problem_save
from tests.helpers import analysed

pytestmark = pytest.mark.django_db


def refusal(call) -> str:
    with pytest.raises((ValidationError, PermissionDenied)) as caught, transaction.atomic():
        call()
    error = caught.value
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def test_region_scale_gives_every_demo_pairing_an_agreement_with_problems(demo):
    analysed(demo_records_generate(seed=11, scale="liuzhou"))
    sampled = Agreement.objects.count()
    demo_records_clear()
    count = analysed(demo_records_generate(seed=11, scale="region"))
    demo_pairings = Pairing.objects.filter(cycle=demo, status=PairingStatus.ACTIVE, helper__is_demo=True)
    assert Agreement.objects.count() > sampled
    assert not demo_pairings.filter(agreement__isnull=True).exists()
    agreements = Agreement.objects.filter(is_demo=True)
    signed = agreements.filter(signed_on__isnull=False)
    assert 0 < agreements.filter(signed_on__isnull=True).count() < 0.2 * agreements.count()
    assert signed.filter(signed_on__gt=demo.agreement_deadline).exists()  # some signed late
    bulk = agreements.filter(problems__isnull=False).distinct()
    assert bulk.count() > 0.9 * demo_pairings.count()
    # Written as the services write: version 1, a history row each.
    assert Agreement.history.filter(is_demo=True).count() == agreements.count()
    assert Problem.history.count() == Problem.objects.count() > bulk.count()
    assert set(Problem.objects.order_by().values_list("version", flat=True).distinct()) == {1}
    assert count > agreements.count() + Problem.objects.count()  # and the work plans
    # Cleared with their problems and history, and made again the same for the seed.
    first = sorted(agreements.order_by().values_list("pairing_id", "signed_on", "helper_signatory"))
    demo_records_clear()
    assert not Agreement.objects.exists() and not Problem.objects.exists() and not Problem.history.exists()
    analysed(demo_records_generate(seed=11, scale="region"))
    assert sorted(agreements.order_by().values_list("pairing_id", "signed_on", "helper_signatory")) == first


def test_the_bulk_agreements_refuse_what_the_services_refuse(demo):
    pairing = Pairing.objects.filter(helper__is_demo=True, status=PairingStatus.ACTIVE).order_by("pk").first()
    writer = DemoAgreements(SYSTEM, demo, random.Random(1))
    # An agreement where the pairing has one already: the same refusal as agreement_save's.
    agreement_save(agreement=Agreement(pairing=pairing, plan="已有方案"), actor=SYSTEM)
    said = refusal(lambda: writer.write([pairing]))
    assert said and said == refusal(lambda: agreement_save(agreement=Agreement(pairing=pairing), actor=SYSTEM))
    # A pairing that has ended takes no agreement.
    ended = Pairing.objects.filter(helper__is_demo=True, agreement__isnull=True).order_by("pk").first()
    Pairing.objects.filter(pk=ended.pk).update(status=PairingStatus.ENDED, ended_on=datetime.date(2017, 1, 1))
    said = refusal(lambda: writer.write([ended]))
    assert said and said == refusal(lambda: agreement_save(agreement=Agreement(pairing=ended), actor=SYSTEM))
    # Signed without the signatories, or a problem its model refuses: refused as the services refuse them.
    fresh = Pairing.objects.filter(helper__is_demo=True, agreement__isnull=True, status=PairingStatus.ACTIVE)
    fresh = fresh.order_by("pk").first()

    def unsigned_signed(_pairing):
        return Agreement(pairing=_pairing, is_demo=True, signed_on=datetime.date(2016, 9, 1))

    original = writer.agreement
    writer.agreement = unsigned_signed
    said = refusal(lambda: writer.write([fresh]))
    assert said and said == refusal(lambda: agreement_save(agreement=unsigned_signed(fresh), actor=SYSTEM))
    writer.agreement = original
    original_problems = writer.problems

    def bad_problems(agreement):
        (problem,) = original_problems(agreement)[:1]
        problem.measure = "nonsense"
        return [problem]

    writer.problems = bad_problems
    said = refusal(lambda: writer.write([fresh]))
    stored = agreement_save(agreement=Agreement(pairing=fresh), actor=SYSTEM)
    assert said and said == refusal(lambda: problem_save(problem=bad_problems(stored)[0], actor=SYSTEM))
    # Only the bureaus record agreements.
    with pytest.raises(PermissionDenied):
        DemoAgreements(AnonymousUser(), demo, random.Random(1))
    assert pairings_demo.UNSIGNED_SHARE < 0.2
