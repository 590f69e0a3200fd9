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


def test_a_county_row_with_a_blank_arranging_unit_previews_as_its_own_unchanged_pairing(land, as_user):
    """The preview shows a row as it will be saved: a county's blank 安排单位 is the county itself, so re-importing
    its own pairing unchanged shows no change to the arranging unit."""
    from tests.helpers import post_import

    client = as_user("county")
    pairing = land.own_pairing
    headers = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位"]
    row = [land.cycle.name, "义务教育", "乡—村", pairing.helper.name, pairing.recipient.name, ""]
    response = post_import(client, "admin:pairings_pairing_import", headers, [row])
    result = response.context["result"]
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert [r.import_type for r in result.rows] == ["skip"]  # unchanged, not “甲县 → 市教育局”
