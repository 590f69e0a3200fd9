"""A pairings import costs a bounded number of queries per file plus (almost) none per row: schools, cycles,
counties and the live pairs are read once per file, and new pairings are written together by a PairingBatch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tablib import Dataset

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Pairing
from pairings.resources import PairingResource

pytestmark = pytest.mark.django_db

HEADERS = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位", "状态"]


def rows(world, helper, recipients) -> Dataset:
    data = Dataset(headers=HEADERS)
    for recipient in recipients:
        data.append([world.cycle.name, "义务教育", "乡—村", helper.name, recipient.name, "", ""])
    return data


def import_queries(user, data: Dataset) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = PairingResource(user=user).import_data(data, dry_run=False, use_transactions=True, user=user,
                                                       rollback_on_validation_errors=True)  # fmt: skip
    assert not result.has_errors() and not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    return len(queries.captured_queries)


@pytest.mark.parametrize("role", ["city", "county"])
def test_a_pairings_import_costs_no_query_per_new_row(world, role):
    user = user_create(actor=SYSTEM, username="clerk", role=role, password="x-Strong-Pass-2016",
                       **({"county": world.county} if role == "county" else {}))[0]  # fmt: skip
    counts = {}
    for n in (50, 500):
        helper = world.central(f"中心小学{n}")
        recipients = [world.village_school(f"村小{n}-{i}") for i in range(n)]
        counts[n] = import_queries(user, rows(world, helper, recipients))
    assert Pairing.objects.count() == 550
    # 450 more rows cost only more INSERT statements (SQLite caps the rows of one statement at about 50 pairings
    # and their history rows; PostgreSQL takes 500): before, a county bureau's file cost a query a row for its own
    # county and, before look-ups were read once per file, a dozen more.
    per_row = (counts[500] - counts[50]) / 450
    assert per_row <= 0.1, counts
    assert counts[50] - 50 * per_row < 40, counts  # what the file costs once


def test_each_new_rows_object_is_the_saved_pairing(world):
    """The admin logs each imported row's object: the pairing written for a new row is that object, with its pk."""
    user = user_create(actor=SYSTEM, username="clerk", role="city", password="x-Strong-Pass-2016")[0]
    helper = world.central()
    recipients = [world.village_school(f"村小{i}") for i in range(3)]
    data = rows(world, helper, recipients)
    result = PairingResource(user=user).import_data(
        data, dry_run=False, user=user, use_transactions=True, retain_instance_in_row_result=True
    )
    assert not result.has_errors() and not result.has_validation_errors()
    saved = {p.pk: p for p in Pairing.objects.all()}
    assert len(saved) == 3
    for row in result.rows:
        assert row.instance.pk in saved
        assert (row.instance.helper_id, row.instance.recipient_id) == (
            saved[row.instance.pk].helper_id,
            saved[row.instance.pk].recipient_id,
        )
        assert row.instance.warnings == saved[row.instance.pk].warnings
