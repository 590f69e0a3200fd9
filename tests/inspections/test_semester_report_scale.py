"""The semester report at scale: its figures counted by the database equal the lists behind them, and the page
runs the same number of queries for the city and a county whatever the number of pairings and activities."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections.semester_report import Listed, semester_report
from tests.inspections.test_semester_report import REPORT, TODAY, busy, grow, login, today  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["city", "county"])
def test_the_report_page_runs_as_many_queries_for_many_pairings_as_for_few(login, busy, role):  # noqa: F811
    client = login(role)
    client.get(REPORT)
    counts = []
    for more in (False, True):
        if more:
            grow(busy)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(REPORT).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_each_counted_figure_lists_as_many_records_as_it_counts(busy):  # noqa: F811
    grow(busy, n=3)
    report = semester_report(user=busy.users["city"], semester=busy.semester, today=TODAY)
    names = ["pairings", "compliant", "not_compliant", "silent", "pending", "flagged", "agreements"]
    for row in report.rows():
        for name in names:
            figure = getattr(row, name)
            assert isinstance(figure, Listed), name
            assert len(list(figure)) == len(figure), (row.county_key, row.stage, name)
        for kind in report.kinds:
            assert len(list(row.short_of(kind))) == len(row.short_of(kind))
    assert len(report.total.pairings) > 6 and len(report.total.pending) > 3
