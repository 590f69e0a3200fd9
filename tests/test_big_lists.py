"""The change lists of the big tables: no count of the whole table (the database's estimate instead, where there
is one), exact totals when filtered, searched or scoped, and queries that do not grow with the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.choices import Confirmation, EnteredBy, Form, Kind
from activities.models import Activity
from inspections.choices import Level
from inspections.models import Inspection
from liuzhou_pairing import admin as kernel_admin
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Measure, Tier
from pairings.models import Agreement, Pairing, Semester, WorkPlan
from pairings.services import pairing_create, semesters_ensure
from schools.choices import Location, SchoolType, Stage, Standing
from schools.models import School
from tests.accounts.conftest import as_user, land  # noqa: F401
from tests.factories import SchoolFactory, TownshipFactory

pytestmark = pytest.mark.django_db

BIG_LISTS = {
    "schools": "admin:schools_school_changelist",
    "pairings": "admin:pairings_pairing_changelist",
    "activities": "admin:activities_activity_changelist",
    "agreements": "admin:pairings_agreement_changelist",
    "work plans": "admin:pairings_workplan_changelist",
    "inspections": "admin:inspections_inspection_changelist",
}


def grow(place, n: int) -> None:
    """Add `n` pairings in the land's own county, each with an agreement, a work plan, an activity and an
    inspection."""
    township = TownshipFactory(county=place.own)
    semester = Semester.objects.filter(cycle=place.cycle).order_by("starts_on").first()
    helper = SchoolFactory(county=place.own, township=township, school_type=SchoolType.PRIMARY, is_central=True,
                           location=Location.TOWNSHIP)  # fmt: skip
    for _ in range(n):
        recipient = SchoolFactory(county=place.own, township=township, standing=Standing.ORDINARY,
                                  location=Location.VILLAGE)  # fmt: skip
        pairing = pairing_create(helper=helper, recipient=recipient, stage=Stage.COMPULSORY,
                                 tier=Tier.TOWNSHIP_VILLAGE, cycle=place.cycle, actor=SYSTEM,
                                 arranged_by_county=place.own)  # fmt: skip
        Agreement.objects.create(pairing=pairing)
        WorkPlan.objects.create(cycle=place.cycle, school=recipient)
        Activity.objects.create(pairing=pairing, semester=semester, date=semester.starts_on + datetime.timedelta(7),
                                form=Form.TEACHING_DELIVERY, measure=Measure.TEACHER_DEVELOPMENT,
                                kind=Kind.TEACHING_DELIVERY, entered_by=EnteredBy.HELPER,
                                status=Confirmation.PENDING)  # fmt: skip
        Inspection.objects.create(level=Level.COUNTY_SELF, semester=semester, pairing=pairing,
                                  date=semester.ends_on, inspectors="王督学")  # fmt: skip


@pytest.fixture
def big(land):  # noqa: F811
    semesters_ensure(cycle=land.cycle, actor=SYSTEM)
    return land


def counts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize("role", ["city", "county"])
@pytest.mark.parametrize("name", BIG_LISTS)
def test_the_queries_of_a_big_list_do_not_grow_with_its_rows(big, as_user, role, name):  # noqa: F811
    client = as_user(role)
    url = reverse(BIG_LISTS[name])
    grow(big, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(big, 45)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
        assert response.status_code == 200
    assert len(large) == len(small), [q["sql"][:150] for q in large.captured_queries]
    # One count of the list (none of the unfiltered table beside it).
    assert len(counts(large)) == 1, counts(large)


@pytest.mark.parametrize("name", BIG_LISTS)
def test_an_unfiltered_big_list_takes_the_databases_estimate_and_counts_no_rows(big, as_user, monkeypatch, name):  # noqa: F811
    # As on PostgreSQL: the planner's estimate of the table's rows.
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: 123_456)
    grow(big, 2)
    client = as_user("city")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(BIG_LISTS[name]))
    assert response.status_code == 200
    assert counts(queries) == []
    paginator = response.context["cl"].paginator
    assert paginator.estimated and response.context["cl"].result_count == 123_456
    assert "约 123456" in response.content.decode().replace(",", "").replace("\u202f", "")


def test_a_filtered_searched_or_scoped_list_is_counted_exactly(big, as_user, monkeypatch):  # noqa: F811
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: 123_456)
    grow(big, 3)
    url = reverse(BIG_LISTS["schools"])
    city = as_user("city")
    searched = city.get(url, {"q": "甲村小学"})
    assert searched.context["cl"].result_count == 1 and not searched.context["cl"].paginator.estimated
    filtered = city.get(url, {"county__id__exact": big.other.pk})
    assert filtered.context["cl"].result_count == School.objects.filter(county=big.other).count() == 2
    county = as_user("county")
    scoped = county.get(reverse(BIG_LISTS["pairings"]))
    assert scoped.context["cl"].result_count == Pairing.objects.for_user(county.user).count()
    assert not scoped.context["cl"].paginator.estimated
    assert "约" not in scoped.content.decode().split('class="paginator"')[1]


def test_a_small_table_or_one_without_an_estimate_is_counted_exactly(big, as_user, monkeypatch):  # noqa: F811
    url = reverse(BIG_LISTS["schools"])
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: kernel_admin.ESTIMATE_FROM - 1)
    response = as_user("city").get(url)
    assert response.context["cl"].result_count == School.objects.count()
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: None)
    response = as_user("city").get(url)
    assert response.context["cl"].result_count == School.objects.count()
    assert not response.context["cl"].paginator.estimated


def test_the_estimate_is_the_planners_on_postgresql_and_none_elsewhere(big):
    estimate = kernel_admin.table_estimate(School.objects.all())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE schools_school")
        assert kernel_admin.table_estimate(School.objects.all()) == School.objects.count()
    else:
        assert estimate is None


def test_only_a_whole_table_is_estimated(big):
    assert kernel_admin.whole_table(School.objects.all())
    assert kernel_admin.whole_table(School.objects.select_related("county").order_by("name"))
    assert not kernel_admin.whole_table(School.objects.filter(county=big.own))
    assert not kernel_admin.whole_table(School.objects.for_user(big.users["county"]))
    assert not kernel_admin.whole_table(School.objects.distinct())
    assert not kernel_admin.whole_table(School.objects.none())
