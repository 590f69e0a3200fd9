"""The change lists of the big tables: no count of the whole table (the database's estimate instead, where there
is one), exact totals when filtered, searched or scoped, and queries that do not grow with the rows."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

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
    html = response.content.decode().replace(",", "").replace("\u202f", "")
    assert "约 123456" in html.split('class="paginator"')[1]
    # The search bar's count says so too (a list with a search bar).
    if 'id="changelist-search"' in html:
        assert "约 123456 条结果" in " ".join(html.split('id="changelist-search"')[1].split("</form>")[0].split())


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


# --- A narrowed list of a table too big to count: the page's own query reads one row more -----------------------


@pytest.fixture
def huge(big, monkeypatch):
    """The land with seven activities in the county's pairings, the activities' table taken for a huge one (as the
    planner's estimate says on PostgreSQL) and two rows a page."""
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: kernel_admin.COUNT_NARROWED_BELOW)
    monkeypatch.setattr(admin.site._registry[Activity], "list_per_page", 2)
    grow(big, 7)
    return big


def listed(response) -> list[int]:
    return [obj.pk for obj in response.context["cl"].result_list]


def test_a_narrowed_list_of_a_huge_table_is_not_counted_and_says_more_rows_follow(huge, as_user):  # noqa: F811
    client = as_user("county")
    url = reverse(BIG_LISTS["activities"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert counts(queries) == []
    # The page's rows are read once, with one row more.
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "activities_activity"."id"')]
    assert len(reads) == 1 and reads[0].endswith("LIMIT 3"), reads
    cl = response.context["cl"]
    assert cl.paginator.more and not cl.paginator.estimated and not cl.can_show_all
    paginator = response.content.decode().split('class="paginator"')[1].split("</p>")[0]
    assert "超过 2 " in paginator and 'href="?p=2"' in paginator and "?p=3" not in paginator
    assert "显示全部" not in paginator


def test_the_pages_of_a_list_not_counted_are_the_rows_a_counted_list_shows(huge, as_user):  # noqa: F811
    client = as_user("county")
    user = client.user
    url = reverse(BIG_LISTS["activities"])
    expected = list(Activity.objects.for_user(user).order_by("-date", "-id").values_list("pk", flat=True))
    assert len(expected) == 7
    pages = [client.get(url, {"p": number}) for number in (1, 2, 3, 4)]
    assert [pk for page in pages for pk in listed(page)] == expected
    assert [page.context["cl"].paginator.more for page in pages] == [True, True, True, False]
    # The last page knows the end: the list is counted exactly there, and links no page after it.
    last = pages[-1]
    assert last.context["cl"].result_count == 7
    assert "7 帮扶活动" in last.content.decode().split('class="paginator"')[1]
    # A page past the end is refused as Django refuses it, by going back to the list.
    assert client.get(url, {"p": 9}).status_code == 302


def test_show_all_reads_no_more_than_a_page_of_a_list_not_counted(huge, as_user):  # noqa: F811
    response = as_user("county").get(reverse(BIG_LISTS["activities"]), {"all": ""})
    assert response.status_code == 200
    assert len(listed(response)) == 2


def test_a_short_narrowed_list_of_a_huge_table_is_counted_from_its_one_read(huge, as_user):  # noqa: F811
    client = as_user("county")
    url = reverse(BIG_LISTS["activities"])
    one = Activity.objects.for_user(client.user).order_by("-date", "-id").first()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": one.pairing.recipient.name})
    assert counts(queries) == []
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "activities_activity"."id"')]
    assert len(reads) == 1, reads
    cl = response.context["cl"]
    assert listed(response) == [one.pk] and cl.result_count == 1 and not cl.paginator.more
    assert "1 条结果" in response.content.decode()


def test_a_narrowed_list_of_a_smaller_table_is_still_counted_exactly(big, as_user, monkeypatch):  # noqa: F811
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: kernel_admin.COUNT_NARROWED_BELOW - 1)
    grow(big, 3)
    client = as_user("county")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(BIG_LISTS["activities"]))
    assert len(counts(queries)) == 1
    assert response.context["cl"].result_count == Activity.objects.for_user(client.user).count()


def test_the_row_checkbox_is_the_markup_django_writes(big, as_user):  # noqa: F811
    grow(big, 1)
    activity = Activity.objects.get()
    model_admin = admin.site._registry[Activity]
    with translation.override("zh-hans"):
        assert model_admin.action_checkbox(activity) == admin.ModelAdmin.action_checkbox(model_admin, activity)
        assert 'name="_selected_action"' in model_admin.action_checkbox(activity)


def test_a_list_not_counted_offers_no_selection_across_its_pages(huge, as_user):  # noqa: F811
    # The county may confirm or reject its activities: the list has actions and row boxes.
    html = as_user("county").get(reverse(BIG_LISTS["activities"])).content.decode()
    assert 'class="action-select"' in html and 'class="action-counter"' in html
    assert 'class="question' not in html
    counted = as_user("county").get(reverse(BIG_LISTS["activities"]), {"p": 4}).content.decode()
    # Counted (the last page knows the end): Django's offer to select the 7 rows across the pages stays.
    assert 'class="action-counter"' in counted and 'class="question' in counted


def test_the_yes_no_icons_are_made_once_per_language_and_say_so_in_it(big, as_user):  # noqa: F811
    from django.templatetags.static import static

    from liuzhou_pairing.library_text import boolean_icon

    with translation.override("zh-hans"):
        assert boolean_icon(True) == f'<img src="{static("admin/img/icon-yes.svg")}" alt="是">'
        assert boolean_icon(False) == f'<img src="{static("admin/img/icon-no.svg")}" alt="否">'
    with translation.override("en"):
        assert boolean_icon(True) == f'<img src="{static("admin/img/icon-yes.svg")}" alt="Yes">'
    html = as_user("city").get(reverse(BIG_LISTS["schools"])).content.decode()
    assert 'icon-no.svg" alt="否"' in html


def test_a_paginator_not_told_its_page_counts_a_narrowed_list(big, monkeypatch):
    monkeypatch.setattr(kernel_admin, "table_estimate", lambda queryset: kernel_admin.COUNT_NARROWED_BELOW)
    grow(big, 3)
    narrowed = Activity.objects.filter(pairing__helper__county=big.own).order_by("-id")
    paginator = kernel_admin.EstimatedCountPaginator(narrowed, 2)
    assert paginator.count == 3 and not paginator.more
    assert [a.pk for a in paginator.page(2).object_list] == [narrowed.last().pk]
