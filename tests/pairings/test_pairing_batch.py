"""Pairings are created through one batch path (`PairingBatch`): a form's single pairing and the demo generator's
thousands get the same rules, and a batch reads what the rules look up once, not once per pairing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Pairing
from pairings.services import PairingBatch, pairing_create
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


def outcome(call) -> tuple:
    """Return what a create call did: ("ok", warnings) or the refusal, its kind and messages by field."""
    try:
        pairing = call()
    except NotAllowed as exc:
        return ("not allowed", str(exc))
    except ValidationError as exc:
        return ("invalid", exc.message_dict)
    return ("ok", sorted(pairing.warnings))


@pytest.mark.parametrize("role", ["system", "county"])
def test_a_batch_refuses_the_same_rows_with_the_same_messages_as_one_by_one_creation(world, role):
    """A mixed input — good rows, a pair named twice, a pair already live, a school helping itself, a closed school,
    a stage a school does not serve, pairs across townships and counties, a school outside the county's reach —
    is refused row for row with the same messages by a preloaded batch and by `pairing_create` one at a time."""
    from accounts.services import user_create

    actor = SYSTEM
    if role == "county":
        actor = user_create(actor=SYSTEM, username="clerk", role="county", county=world.county,
                            password="x-Strong-Pass-2016")[0]  # fmt: skip
    central, other_central = world.central(), world.central("乙镇中心小学", township=world.other_town)
    villages = [world.village_school(f"甲村{i}小学") for i in range(3)]
    paired = world.village_school("已结对村小学")
    world.pair(central, paired, tier=Tier.TOWNSHIP_VILLAGE)
    closed = world.village_school("已撤并村小学", status="closed", status_date=world.cycle.first_day)
    kindergarten = world.village_school("甲村幼儿园", school_type="kindergarten")
    other_village = world.village_school("乙村小学", village=world.other_village)
    stranger = world.school("别县中心小学", county=world.other_county, is_central=True, standing="weak")
    urban = world.urban()
    village_tier = {"stage": Stage.COMPULSORY, "tier": Tier.TOWNSHIP_VILLAGE, "cycle": world.cycle}
    rows = [
        dict(helper=central, recipient=villages[0], **village_tier),
        dict(helper=central, recipient=villages[1], **village_tier),
        dict(helper=central, recipient=villages[0], **village_tier),  # named twice
        dict(helper=central, recipient=paired, **village_tier),  # already live
        dict(helper=central, recipient=central, **village_tier),  # itself
        dict(helper=central, recipient=closed, **village_tier),
        dict(helper=central, recipient=kindergarten, **village_tier),  # does not serve the stage
        dict(helper=central, recipient=other_village, **village_tier),  # another township
        dict(helper=other_central, recipient=villages[2], **village_tier),  # another township, the other way
        # Across counties; outside a county bureau's reach.
        dict(helper=central, recipient=stranger, stage=Stage.COMPULSORY, tier=Tier.COUNTY_TOWNSHIP, cycle=world.cycle),
        dict(helper=urban, recipient=central, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY, cycle=world.cycle),
        dict(helper=urban, recipient=stranger, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY, cycle=world.cycle),
        dict(helper=central, recipient=villages[2], **village_tier, status="ended"),
        dict(helper=central, recipient=villages[2], **village_tier),
    ]
    with transaction.atomic():
        one_by_one = [outcome(lambda r=row: pairing_create(actor=actor, **r)) for row in rows]
        transaction.set_rollback(True)
    assert not Pairing.objects.exclude(recipient=paired).exists()
    batch = PairingBatch(actor=actor, preload=True)
    batched = [outcome(lambda r=row: batch.add(**r)) for row in rows]
    assert batched == one_by_one
    # The mix holds both kinds of refusal and some good rows, so that the comparison means something.
    assert {kind for kind, _ in batched} == {"ok", "invalid", "not allowed"} if role == "county" else {"ok", "invalid"}
    saved = batch.save()
    assert len(saved) == sum(kind == "ok" for kind, _ in batched)
