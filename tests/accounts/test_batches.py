"""The batch write paths decide who may do what as the single ones do."""

import pytest
from django.db import transaction

from liuzhou_pairing.access import NotAllowed, save_checked_many
from pairings.choices import Tier
from pairings.services import PairingBatch
from schools.choices import SchoolType, Stage
from schools.models import School

pytestmark = pytest.mark.django_db


def test_a_county_batch_pairs_only_its_own_and_its_paired_counties_schools(land):
    batch = PairingBatch(actor=land.users["county"], preload=True)
    with pytest.raises(NotAllowed):
        batch.add(helper=land.other_central, recipient=land.own_school, stage=Stage.COMPULSORY,
                  tier=Tier.TOWNSHIP_VILLAGE, cycle=land.cycle)  # fmt: skip


def test_a_batch_written_outside_the_actors_area_is_rolled_back(land):
    """The area re-check after the write (one query for the whole batch) refuses, and nothing stays."""
    school = School(name="乙县新小学", school_type=SchoolType.PRIMARY, county=land.other)
    with pytest.raises(NotAllowed), transaction.atomic():
        save_checked_many([school], actor=land.users["county"])
    assert not School.objects.filter(name="乙县新小学").exists()
