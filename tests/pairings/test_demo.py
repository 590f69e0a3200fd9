"""The demo generator's pairings obey the rules at every tier and stage, and leave reports something to find."""

import pytest

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.demo import demo_pairings_generate
from pairings.models import Pairing
from pairings.rules import Draft, evaluate
from pairings.selectors import coverage
from schools.choices import Stage

pytestmark = pytest.mark.django_db


def test_demo_pairings_cover_every_tier_and_stage_obey_the_rules_and_leave_findings(demo):
    pairings = Pairing.objects.filter(helper__is_demo=True) | Pairing.objects.filter(recipient__is_demo=True)
    combos = set(pairings.values_list("stage", "tier"))
    assert {
        (Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP), (Stage.PRESCHOOL, Tier.TOWNSHIP_VILLAGE),
        (Stage.COMPULSORY, Tier.CITY_COUNTY), (Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP),
        (Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE), (Stage.HIGH_SCHOOL, Tier.CITY_COUNTY),
    } <= combos  # fmt: skip
    # Re-applying the rules to a sample finds no refusal and the same warnings.
    for pairing in pairings.select_related("helper", "recipient", "cycle").order_by("pk")[::25]:
        draft = Draft(pairing.helper, pairing.recipient, pairing.stage, pairing.tier, pairing.cycle, pk=pairing.pk)
        assert evaluate(draft) == pairing.warnings
    assert all(p.helper_phone for p in pairings.filter(tier=Tier.TOWNSHIP_VILLAGE)[:50])

    # A few public schools are left out, and a few pairings warn.
    rows = coverage(cycle=demo, user=SYSTEM)
    public = sum(r.public_total for r in rows)
    uncovered = sum(len(r.uncovered) for r in rows)
    assert 0 < uncovered < public * 0.05
    warned = Pairing.objects.with_warnings().count()
    assert 0 < warned < Pairing.objects.count() * 0.3
    assert any("village_village_pair" in p.warnings for p in Pairing.objects.with_warnings())

    # Same seed, same pairings.
    first = sorted(Pairing.objects.values_list("helper__name", "recipient__name", "stage", "tier"))
    demo_pairings_generate(seed=11)
    assert sorted(Pairing.objects.values_list("helper__name", "recipient__name", "stage", "tier")) == first
