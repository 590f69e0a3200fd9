"""Exports read from `values_list` rows (`liuzhou_pairing.exports.export_plan`): the same cells as the resource's
own value of every field of every object, a fixed number of queries, and the objects' way kept for a resource whose
columns cannot be read so."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity
from liuzhou_pairing import exports
from liuzhou_pairing.exports import export_plan, export_sheet, plan_rows
from schools.choices import SchoolStatus
from schools.models import County, ManagementArea, School, Township
from schools.resources import CountyResource, SchoolResource, TownshipResource, VillageResource
from tests.accounts.conftest import Land
from tests.activities.conftest import acts  # noqa: F401
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def land(db):
    land = Land()
    County.objects.filter(pk=land.own.pk).update(short_name="甲")  # shown by its short name
    area = ManagementArea.objects.create(name="甲新区", county=land.own)
    SchoolFactory(name="甲新区学校", county=land.own, management_area=area, note='=HYPERLINK("x")',
                  contact_phone="0772-5123456", address="+甲路 1 号")  # fmt: skip
    SchoolFactory(name="甲镇旧小学", county=land.own, township=land.own_central.township, status=SchoolStatus.MERGED,
                  status_date=datetime.date(2016, 9, 1), merged_into=land.own_central, is_demo=True)  # fmt: skip
    return land


def resource_rows(resource, queryset) -> list[list]:
    """The straightforward way: the resource's value of every field of every object, one at a time."""
    resource.escape_formulas = False  # as `resource_columns` sets it: the writers protect formulas themselves
    fields = resource.get_export_fields()
    return [[resource.export_field(f, obj, force_native_type=True) for f in fields] for obj in queryset]


@pytest.mark.parametrize(
    ("resource_class", "queryset"),
    [
        (SchoolResource, lambda: School.objects.order_by("name")),
        (CountyResource, lambda: County.objects.order_by("code")),
        (TownshipResource, lambda: Township.objects.order_by("-name")),
    ],
)
def test_an_export_read_from_values_gives_the_resources_own_cells(land, resource_class, queryset):
    plan = export_plan(resource_class())
    assert plan is not None
    assert [c.header for c in plan.columns] == [str(f.column_name) for f in resource_class().get_export_fields()]
    expected = resource_rows(resource_class(), queryset())
    assert list(plan_rows(plan, queryset())) == expected
    assert list(plan_rows(plan, queryset(), keyed=True)) == expected
    assert len(expected) > 1 and any(v for row in expected for v in row if v not in ("", None, "否"))


def test_the_schools_cells_cover_short_names_blanks_dates_and_merges(land):
    rows = {row[0]: row for row in plan_rows(export_plan(SchoolResource()), School.objects.all())}
    merged = rows["甲镇旧小学"]
    assert merged[8] == "甲" and merged[10] == "甲镇" and merged[16] == datetime.date(2016, 9, 1)
    assert merged[17] == "甲镇中心小学" and merged[15] == "已合并" and merged[19] == "是"
    assert rows["甲新区学校"][9] == "甲新区" and rows["甲新区学校"][18] == '=HYPERLINK("x")'
    assert rows["乙村小学"][8] == "乙县" and rows["乙村小学"][17] == ""


@pytest.mark.parametrize("keyed", [False, True])
def test_values_are_read_in_chunks_in_the_lists_order_with_a_query_a_chunk(land, monkeypatch, keyed):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    queryset = School.objects.order_by("-name")
    plan = export_plan(SchoolResource())
    with CaptureQueriesContext(connection) as queries:
        names = [row[0] for row in plan_rows(plan, queryset, keyed=keyed)]
    assert names == list(queryset.values_list("name", flat=True)) and len(names) == 7
    # One query (read in chunks of one cursor), or the keys and then one query a chunk of 2.
    assert len(queries) == (1 + 4 if keyed else 1)
    assert all("school_type" in q["sql"] for q in queries[-1:])


def test_a_resource_whose_columns_need_the_object_is_exported_from_the_objects(land):
    # The village's county column shows the related object as text (the widget's `render` of the object).
    assert export_plan(VillageResource()) is None
    sheet = export_sheet(VillageResource(), VillageResource().get_queryset().order_by("code"), "村名单")
    rows = [[c.value(obj) for c in sheet.columns] for obj in sheet.rows]
    assert rows == resource_rows(VillageResource(), VillageResource().get_queryset().order_by("code"))


def test_a_list_annotated_with_counts_is_exported_from_the_objects(land):
    from django.db.models import Count

    queryset = County.objects.annotate(schools_total=Count("schools")).order_by("code")
    sheet = export_sheet(CountyResource(), queryset, "县名单")
    assert sheet.columns[0].value is not None  # read from the objects, each county once
    assert [c.value(obj) for obj in sheet.rows for c in sheet.columns[:1]] == list(
        County.objects.order_by("code").values_list("code", flat=True)
    )


def test_activities_read_from_values_give_the_resources_own_cells_with_the_participants_names(acts, monkeypatch):  # noqa: F811
    """The participants' names of each side (joined in the query on PostgreSQL, a query a chunk elsewhere), the
    schools, the semester's label and the choice labels, across chunk borders, in the list's order."""
    from activities.resources import ActivityResource
    from tests.test_export_activities import more

    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    more(acts, 7)
    acts.activity(date=datetime.date(2016, 9, 25), participants=[acts.recipient_key])  # only the recipient's side
    queryset = Activity.objects.order_by("-date", "-id")
    plan = export_plan(ActivityResource())
    assert plan is not None
    expected = resource_rows(ActivityResource(), queryset.prefetch_related("participants"))
    assert list(plan_rows(plan, queryset)) == expected
    assert list(plan_rows(plan, queryset, keyed=True)) == expected
    assert any("、" in row[7] for row in expected) and any(row[7] == "" and row[8] for row in expected)
    with CaptureQueriesContext(connection) as queries:
        list(plan_rows(plan, queryset, keyed=True))
    chunks = 3  # 8 rows, 3 a chunk
    assert len(queries) == 1 + chunks * (1 if connection.vendor == "postgresql" else 2)


def test_a_printed_rows_height_is_what_its_wrapped_texts_need_each_text_measured_once_per_column():
    """The writer measures each text of a column once (a sheet repeats its places): every row still gets the height
    `_printed_height` gives its shown texts in the sheet's final column widths."""
    import io

    import openpyxl

    from liuzhou_pairing.xlsx import Column, Sheet, _printed_height, write_workbook

    long = "柳州市融水苗族自治县" * 6
    texts = ["甲镇", long, "第一行\n第二行\n第三行", "", "=1+1", "0772-5123456", long + "\n" + long]
    rows = [(i, texts[i % 7], texts[(i * 3) % 7], datetime.date(2016, 9, 1)) for i in range(300)]
    columns = [Column("序号", lambda r: r[0], "int"), Column("甲", lambda r: r[1]), Column("乙", lambda r: r[2]),
               Column("日期", lambda r: r[3], "date")]  # fmt: skip
    data = io.BytesIO()
    write_workbook(data, [Sheet("表", columns, rows, title="表", unit="某单位", printable=True, stamp=True)])
    sheet = openpyxl.load_workbook(io.BytesIO(data.getvalue())).worksheets[0]
    # xlsxwriter stores a width of w characters as int(7w + 5) / 7, equal neighbours as one range.
    widths = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            widths[index] = round(dimension.width - 5 / 7)
    widths = [widths[i + 1] for i in range(4)]
    for i, (number, first, second, day) in enumerate(rows):
        shown = [str(number), first, second, day.isoformat()]
        # (xlsxwriter stores heights in whole pixels, 0.75 points each)
        assert abs(sheet.row_dimensions[i + 4].height - _printed_height(shown, widths)) < 0.75, i
    assert len({sheet.row_dimensions[i + 4].height for i in range(7)}) > 1
