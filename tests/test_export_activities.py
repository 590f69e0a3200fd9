"""The export of activities: one plain function for the admin and a background task, a fixed number of queries
whatever the rows (the participants' names a chunk at a time), the same cells as the resource's own values."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from activities.resources import ActivityResource, write_activities
from liuzhou_pairing import exports
from tests.accounts.conftest import as_user, land  # noqa: F401
from tests.activities.conftest import acts  # noqa: F401

pytestmark = pytest.mark.django_db


def more(the_acts, n: int) -> None:
    """Add `n` activities on days not used yet, each with three participants (two of the helper's side)."""
    done = Activity.objects.count()
    staff = [the_acts.helper_teacher, the_acts.helper_key, the_acts.recipient_key]
    for i in range(done, done + n):
        day = datetime.date(2016, 9, 1) + datetime.timedelta(days=i)
        the_acts.activity(date=day, description=f"=第{i}次送教", participants=staff)


def read(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_the_admins_export_runs_the_same_queries_for_3_and_30_activities(acts, as_user):  # noqa: F811
    client = as_user("city")
    url = reverse("admin:activities_activity_export")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, {"format": "0", "resource": "0"})
            assert response.status_code == 200
        return len(captured)

    more(acts, 3)
    before = queries()
    more(acts, 27)
    assert queries() == before


def test_write_activities_gives_the_resources_values_and_reports_progress(acts, monkeypatch):  # noqa: F811
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)
    more(acts, 10)
    user = acts.users["city"]
    queryset = Activity.objects.for_user(user).order_by("date", "pk")
    seen = []
    data = io.BytesIO()
    assert write_activities(queryset, data, seen.append, user=user) == 10
    assert seen == [4, 8, 10]
    rows = read(data.getvalue())
    # The straightforward way: the resource's value of every field of every activity, one at a time.
    resource = ActivityResource(user=user)
    resource.escape_formulas = False  # a workbook keeps formula-looking text as it is (a quote-prefixed text cell)
    fields = resource.get_export_fields()
    assert rows[0] == tuple(str(f.column_name) for f in fields)
    expected = []
    for activity in Activity.objects.filter(pk__in=queryset.values("pk")).order_by("date", "pk"):
        values = []
        for field in fields:
            value = resource.export_field(field, activity, force_native_type=True)
            if isinstance(value, datetime.date):
                value = datetime.datetime.combine(value, datetime.time())
            values.append(None if value in ("", None) else value if isinstance(value, datetime.date) else str(value))
        expected.append(tuple(values))
    assert [tuple(r) for r in rows[1:]] == expected
    assert any("、" in (value or "") for row in rows[1:] for value in row if isinstance(value, str))


def test_write_activities_writes_csv_to_a_text_file(acts):  # noqa: F811
    from import_export.formats.base_formats import CSV

    more(acts, 2)
    data = io.BytesIO()
    text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    assert write_activities(Activity.objects.all(), text, file_format=CSV) == 2
    text.flush()
    lines = data.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("帮扶学校,受援学校,活动日期") and len(lines) == 3
    assert "'=第" in lines[1]  # formula-looking text kept inert
