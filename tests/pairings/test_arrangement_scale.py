"""A 20,000-row arrangement table (R27) downloads whole through its page, streamed by the workbook writer; the page
shows its first rows only, and both run the same number of queries as for a small table."""

import io

import openpyxl
import pytest
from django.urls import reverse

from liuzhou_pairing.reports import Table
from liuzhou_pairing.xlsx import Column, Sheet, write_workbook
from pairings.arrangement_views import PAGE_ROWS
from pairings.choices import ArrangedBy, PairingStatus, Tier
from pairings.models import Pairing
from schools.choices import Location, Stage, Standing
from schools.models import School

ROWS = 20_000
# 16 × 1,250 distinct pairs: over a thousand schools in one table (a prefetch of them by a list of ids broke SQLite)
HELPERS, RECIPIENTS = 16, 1250


def make_pairings(land) -> None:
    """Add 20,000 active 县—乡 compulsory pairings in 甲县 in a few statements (the services are not the subject)."""
    town = land.own_central.township
    School.objects.bulk_create(
        [School(name=f"甲县城区小学{i:03d}", county=land.own, location=Location.COUNTY_TOWN,
                standing=Standing.HIGH_QUALITY, contact_person="王老师", contact_phone="0772-5123456")
         for i in range(HELPERS)]
        + [School(name=f"甲镇小学{i:04d}", county=land.own, township=town, location=Location.TOWNSHIP,
                  standing=Standing.WEAK) for i in range(RECIPIENTS)]
    )  # fmt: skip
    helpers = list(School.objects.filter(name__startswith="甲县城区小学").values_list("pk", flat=True))
    recipients = list(School.objects.filter(name__startswith="甲镇小学").values_list("pk", flat=True))
    starts_on = land.cycle.first_day
    Pairing.objects.bulk_create(
        [
            Pairing(cycle=land.cycle, helper_id=h, recipient_id=r, stage=Stage.COMPULSORY, tier=Tier.COUNTY_TOWNSHIP,
                    arranged_by=ArrangedBy.COUNTY, arranged_by_county=land.own, status=PairingStatus.ACTIVE,
                    starts_on=starts_on)
            for h in helpers
            for r in recipients
        ],
        batch_size=2000,
    )  # fmt: skip


def test_r27_a_20000_row_table_downloads_whole_and_its_page_shows_the_first_rows(
    as_user, land, django_assert_max_num_queries
):
    url = reverse("pairings:arrangement_compulsory")
    client = as_user("city")
    # Bounds measured on the small table hold for the large one.
    with django_assert_max_num_queries(25) as small_page:
        client.get(url)
    with django_assert_max_num_queries(25) as small_file:
        client.get(url, {"format": "xlsx"})
    page_queries, file_queries = len(small_page), len(small_file)
    make_pairings(land)

    with django_assert_max_num_queries(file_queries):
        response = client.get(url, {"format": "xlsx", "county": land.own.pk})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book["甲县"]
    first = [row[0] for row in sheet.iter_rows(max_col=1, values_only=True)]
    numbers = [value for value in first if isinstance(value, int)]
    assert numbers == list(range(1, ROWS + 3))  # with the land's own 乡—村 pairing and the district's 市—县 one
    assert first[-2].startswith("填报单位（盖章）")  # the stamp block follows the last row
    book.close()

    with django_assert_max_num_queries(page_queries):
        response = client.get(url, {"county": land.own.pk})
    html = response.content.decode()
    [(table, page_rows)] = response.context["tables"]
    assert len(page_rows) == PAGE_ROWS and len(table.rows) == ROWS + 2
    assert f"{ROWS + 2} 行" in html and "此处只显示前 500 行，完整内容请下载 Excel" in html
    assert html.count("<tr>") < PAGE_ROWS + 10


def test_a_short_table_is_shown_whole_without_the_note():
    table = Table("t", [], list(range(3)), page_limit=5)
    assert not table.page_cut and len(table.page_rows()) == 3
    assert Table("t", [], list(range(6)), page_limit=5).page_cut


def test_the_workbook_writer_streams_its_rows():
    """write_workbook reads the rows one at a time (after the first ones measured for the widths of a printable
    sheet) and holds none: a generator of rows is consumed as they are written."""
    held = []

    def rows():
        for i in range(5000):
            held.append(i)
            yield (i, f"学校{i}")

    counts = write_workbook(
        io.BytesIO(),
        [Sheet("表", [Column("序号", kind="int"), Column("学校")], rows(), title="标题", printable=True, stamp=True)],
    )
    assert counts == [5000] and len(held) == 5000


@pytest.mark.parametrize("printable", [False, True])
def test_the_widths_are_measured_on_the_first_rows_only(printable):
    long = "很长的学校名称" * 5
    rows = [(f"短{i}",) for i in range(300)] + [(long,)]
    data = io.BytesIO()
    write_workbook(data, [Sheet("表", [Column("学校")], rows, printable=printable)])
    sheet = openpyxl.load_workbook(io.BytesIO(data.getvalue())).active
    assert sheet.column_dimensions["A"].width < 20  # the long name past the first 200 rows does not widen it
