"""Admin change lists run a bounded number of queries whatever the data size (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Agreement, WorkPlan
from pairings.services import pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from tests.factories import CycleFactory, SchoolFactory, TownshipFactory

pytestmark = pytest.mark.django_db


def grow(n: int, township, cycle):
    helper = SchoolFactory(county=township.county, township=township, school_type=SchoolType.PRIMARY,
                           is_central=True, location=Location.TOWNSHIP)  # fmt: skip
    for _ in range(n):
        recipient = SchoolFactory(county=township.county, township=township, standing=Standing.ORDINARY,
                                  location=Location.VILLAGE)  # fmt: skip
        pairing = pairing_create(helper=helper, recipient=recipient, stage=Stage.COMPULSORY,
                                 tier=Tier.TOWNSHIP_VILLAGE, cycle=cycle, actor=SYSTEM,
                                 arranged_by_county=township.county)  # fmt: skip
        Agreement.objects.create(pairing=pairing)
        WorkPlan.objects.create(cycle=cycle, school=recipient)


CHANGELISTS = ["admin:schools_school_changelist", "admin:pairings_pairing_changelist",
               "admin:pairings_workplan_changelist", "admin:pairings_agreement_changelist"]  # fmt: skip


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_changelist_queries_do_not_grow_with_rows(city_admin, url_name):
    township, cycle = TownshipFactory(), CycleFactory()
    grow(3, township, cycle)
    with CaptureQueriesContext(connection) as small:
        assert city_admin.get(reverse(url_name)).status_code == 200
    grow(30, township, cycle)
    with CaptureQueriesContext(connection) as large:
        assert city_admin.get(reverse(url_name)).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
