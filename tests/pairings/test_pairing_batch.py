"""Pairings are created through one batch path (`PairingBatch`): a form's single pairing and the demo generator's
thousands get the same rules, and a batch reads what the rules look up once, not once per pairing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Pairing
from pairings.services import PairingBatch
from schools.choices import Stage

pytestmark = pytest.mark.django_db


def village_schools(world, n: int, prefix: str) -> list:
    return [world.village_school(f"{prefix}{i}村小学") for i in range(n)]


def batch_queries(world, recipients) -> int:
    helper = world.central(f"{recipients[0].name}的中心小学")
    with CaptureQueriesContext(connection) as queries:
        batch = PairingBatch(actor=SYSTEM, preload=True)
        for recipient in recipients:
            batch.add(helper=helper, recipient=recipient, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE,
                      cycle=world.cycle)  # fmt: skip
        batch.save()
    return len(queries.captured_queries)


def test_a_batch_reads_what_the_rules_look_up_once_not_once_per_pairing(world):
    assert world.cycle.first_day  # the cycle's first day is read once per cycle object; keep it out of the count
    small = batch_queries(world, village_schools(world, 5, "小"))
    large = batch_queries(world, village_schools(world, 60, "大"))
    # 55 more pairings cost at most a few more INSERT statements (SQLite caps the rows of one statement), not one
    # query or more each.
    assert large - small <= 4, (small, large)
    assert Pairing.objects.count() == 65
    # Each pairing has its history row, made by the system (no user) with the version the service set.
    assert Pairing.history.filter(history_type="+").count() == 65
    assert set(Pairing.objects.values_list("version", flat=True)) == {1}


def test_a_pair_named_twice_in_one_batch_is_refused_as_already_paired(world):
    helper, recipient = world.central(), world.village_school()
    batch = PairingBatch(actor=SYSTEM, preload=True)
    fields = dict(helper=helper, recipient=recipient, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE,
                  cycle=world.cycle)  # fmt: skip
    batch.add(**fields)
    with pytest.raises(ValidationError) as refused:
        batch.add(**fields)
    assert refused.value.error_dict["recipient"][0].code == "already_paired"


def test_a_batch_applies_the_refusals_of_a_single_pairing(world):
    """R9: a county–township pair across two counties is refused in a batch as it is for one pairing."""
    other_county_school = world.school("别县中心小学", township=None, county=world.other_county, is_central=True)
    batch = PairingBatch(actor=SYSTEM, preload=True)
    with pytest.raises(ValidationError) as refused:
        batch.add(helper=world.school("县城小学"), recipient=other_county_school, stage=Stage.COMPULSORY,
                  tier=Tier.COUNTY_TOWNSHIP, cycle=world.cycle)  # fmt: skip
    assert "county_township_across_counties" in {e.code for e in refused.value.error_dict["recipient"]}
    assert not len(batch)


def test_a_batch_knows_the_district_pairings_of_its_cycle(world):
    """R8, R11: a district's urban school helps a school of the county paired with the district; not another."""
    batch = PairingBatch(actor=SYSTEM, preload=True)
    urban = world.urban()
    batch.add(helper=urban, recipient=world.central(), stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY,
              cycle=world.cycle)  # fmt: skip
    stranger = world.school("别县中心小学", county=world.other_county, is_central=False, standing="weak")
    with pytest.raises(ValidationError) as refused:
        batch.add(helper=urban, recipient=stranger, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY,
                  cycle=world.cycle)  # fmt: skip
    assert "compulsory_city_county_scope" in {e.code for e in refused.value.error_dict["recipient"]}
    assert len(batch.save()) == 1
