"""Measures of the admin: exports of 20,000 rows (and of 2,000, for the memory ratio) and the change lists of the
big tables, each against its floor (see bench/measure.py for the contract).

- Exports (the city bureau): the schools, a semester's activities (the admin's export button, through
  `django.test.Client`, the list filtered to the first N rows by id, a filter the list accepts in its address) and
  the region-wide 三级安排表 (its page's download, every county a sheet; the 2,000-row one: one county's). Floor: bare
  xlsxwriter in constant-memory mode writing the same cells with the same formats from one `values_list` query.
  Both results are read back with openpyxl (values and number formats) and must be equal.
- Change lists (the city bureau and a county bureau): the page through `django.test.Client` against its main query
  alone (the first page of rows, as the list orders them); the page must show those rows.

Accounts are made in `setup` inside a transaction that `teardown` rolls back: the database is left as it was.

Run alone (each measure in a subprocess of its own, for its peak memory):
    DATABASE_URL=postgres://... .venv/bin/python bench/measure_admin.py [NAME ...]
"""

import datetime
import io
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import Measure  # noqa: E402

CHUNK = 2000


# --- Accounts, in a transaction rolled back after each call -------------------------------------------------------


def _begin() -> dict:
    from django.conf import settings
    from django.db import transaction

    from accounts.services import user_create
    from liuzhou_pairing.actors import SYSTEM
    from schools.models import County

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    transaction.set_autocommit(False)
    county = County.objects.get(pk=_biggest_county())
    city = user_create(actor=SYSTEM, username="bench_city", role="city", password="x-Bench-Pass-2026")[0]
    county_user = user_create(
        actor=SYSTEM, username="bench_county", role="county", county=county, password="x-Bench-Pass-2026"
    )[0]
    # Logged in here, untimed: a call is one request of a user already logged in.
    return {"city": city, "county": county_user, "county_id": county.pk,
            "clients": {"city": _client(city), "county": _client(county_user)}}  # fmt: skip


def _end(prepared) -> None:
    from django.db import transaction

    transaction.rollback()
    transaction.set_autocommit(True)


def _biggest_county() -> int:
    """The county with the most schools (a county bureau's lists are its)."""
    from django.db.models import Count

    from schools.models import School

    return School.objects.values("county_id").annotate(n=Count("pk")).order_by("-n").values_list("county_id")[0][0]


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _nth_id(queryset, rows: int) -> int:
    """The id of the `rows`-th row of `queryset` by id (the list's `id__lte` filter takes the first `rows`)."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[rows - 1 : rows])
    return ids[0] if ids else queryset.order_by("-pk").values_list("pk", flat=True)[0]


# --- Reading a workbook back ------------------------------------------------------------------------------------


def cells(data: bytes) -> list:
    """Every sheet's name and rows of (value, number format), as a reader sees the file."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = []
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows():
            rows.append(tuple((c.value, c.number_format if c.value is not None else None) for c in row))
        while rows and not any(v for v, _ in rows[-1]):
            rows.pop()
        sheets.append((sheet.title, [tuple(_trim(r)) for r in rows]))
    book.close()
    return sheets


def _trim(row):
    row = list(row)
    while row and row[-1][0] is None:
        row.pop()
    return row


def _check_cells(project, floor) -> None:
    assert len(project) == len(floor), f"{len(project)} sheets against {len(floor)}"
    for (name, rows), (floor_name, floor_rows) in zip(project, floor, strict=True):
        assert name == floor_name, (name, floor_name)
        assert len(rows) == len(floor_rows), f"{name}: {len(rows)} rows against {len(floor_rows)}"
        for i, (row, floor_row) in enumerate(zip(rows, floor_rows, strict=True)):
            assert row == floor_row, f"{name}, row {i + 1}: {row} != {floor_row}"


# --- The floor's writer: bare xlsxwriter, the same cells and formats ---------------------------------------------


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class FloorBook:
    def __init__(self, target, printable: bool = False) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(
            target,
            {"constant_memory": True, "in_memory": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        if printable:
            body = {"font_name": "仿宋_GB2312", "font_size": 11, "border": 1, "text_wrap": True, "valign": "vcenter"}
            self.header = self.book.add_format({**body, "font_name": "黑体", "align": "center"})
            self.text = self.book.add_format({**body, "num_format": "@"})
            self.quoted = self.book.add_format({**body, "num_format": "@", "quote_prefix": True})
            self.date = self.book.add_format({**body, "num_format": "yyyy-mm-dd", "align": "center"})
            self.number = self.book.add_format(body)
            self.title = self.book.add_format({"font_name": "方正小标宋简体", "font_size": 16, "align": "center"})
            self.plain = self.book.add_format({"font_name": "仿宋_GB2312", "font_size": 12})
        else:
            self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
            self.text = self.book.add_format({"num_format": "@"})
            self.quoted = self.book.add_format({"num_format": "@", "quote_prefix": True})
            self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
            self.number = None

    def sheet(self, name: str, headers, rows, first_row: int = 0) -> int:
        """Write `headers` on `first_row` and `rows` under it; return the next free row."""
        sheet = self.book.add_worksheet(name[:31])
        self.current = sheet
        header, text, quoted, date, number = self.header, self.text, self.quoted, self.date, self.number
        for c, value in enumerate(headers):
            sheet.write_string(first_row, c, value, header)
        r = first_row
        for r, row in enumerate(rows, start=first_row + 1):  # noqa: B007
            for c, value in enumerate(row):
                if value is None or value == "":
                    if number is not None:
                        sheet.write_blank(r, c, None, number)
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value, quoted if value.startswith(FORMULA_PREFIXES) else text)
                elif isinstance(value, datetime.date):
                    sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date)
                else:
                    sheet.write_number(r, c, value, number)
        sheet.freeze_panes(first_row + 1, 0)
        return r + 1

    def close(self) -> None:
        self.book.close()


def _labels(choices) -> dict:
    from django.utils import translation

    with translation.override("zh-hans"):
        return {c.value: str(c.label) for c in choices}


def _response_bytes(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Schools ------------------------------------------------------------------------------------------------------


def schools_setup(rows: int):
    def setup():
        from schools.models import School

        prepared = _begin()
        prepared["last_id"] = _nth_id(School.objects.all(), rows)
        return prepared

    return setup


def schools_project(prepared) -> bytes:
    from django.urls import reverse

    url = reverse("admin:schools_school_export") + f"?id__lte={prepared['last_id']}"
    return _response_bytes(prepared["clients"]["city"].post(url, {"format": "0", "resource": "0"}))


def schools_floor(prepared) -> bytes:
    from schools.choices import Location, Ownership, SchoolStatus, SchoolType, Standing
    from schools.models import School

    types, ownerships, locations = _labels(SchoolType), _labels(Ownership), _labels(Location)
    standings, statuses = _labels(Standing), _labels(SchoolStatus)
    yes = {True: "是", False: "否"}
    query = (
        School.objects.filter(pk__lte=prepared["last_id"])
        .order_by("name")
        .values_list(
            "name",
            "school_code",
            "school_type",
            "ownership",
            "location",
            "is_central",
            "is_city_administered",
            "standing",
            "county__short_name",
            "county__name",
            "management_area__name",
            "township__name",
            "village__name",
            "address",
            "contact_person",
            "contact_phone",
            "status",
            "status_date",
            "merged_into__name",
            "note",
            "is_demo",
        )  # fmt: skip
    )
    rows = (
        (n, code, types.get(t, ""), ownerships.get(o, ""), locations.get(loc, ""), yes[central], yes[city],
         standings.get(s, ""), short or county or "", area, town, village, address, person, phone,
         statuses.get(status, ""), status_date, merged, note, yes[demo])
        for (n, code, t, o, loc, central, city, s, short, county, area, town, village, address, person, phone,
             status, status_date, merged, note, demo) in query.iterator(chunk_size=CHUNK)
    )  # fmt: skip
    headers = (
        "学校名称 学校标识码 学校类型 办学性质 所在位置 乡镇中心校（园） 局属学校 办学水平 县（区） 管理区 "
        "乡镇（街道） 村（社区） 地址 联系人 联系电话 状态 状态变更日期 并入学校 备注 演示数据"
    ).split()
    data = io.BytesIO()
    book = FloorBook(data)
    book.sheet("学校名单", headers, rows)
    book.close()
    return data.getvalue()


# --- A semester's activities ------------------------------------------------------------------------------------


def _busiest_semester() -> int:
    from django.db.models import Count

    from activities.models import Activity

    return (
        Activity.objects.values("semester_id").annotate(n=Count("pk")).order_by("-n").values_list("semester_id")[0][0]
    )


def activities_setup(rows: int):
    def setup():
        from activities.models import Activity

        prepared = _begin()
        prepared["semester_id"] = _busiest_semester()
        prepared["last_id"] = _nth_id(Activity.objects.filter(semester_id=prepared["semester_id"]), rows)
        return prepared

    return setup


def activities_project(prepared) -> bytes:
    from django.urls import reverse

    url = reverse("admin:activities_activity_export")
    url += f"?semester__id__exact={prepared['semester_id']}&id__lte={prepared['last_id']}"
    response = prepared["clients"]["city"].post(url, {"format": "0", "resource": "0"})
    if response.status_code != 302:  # below BACKGROUND_EXPORT_ROWS: written in the request
        return _response_bytes(response)
    # Above it the request starts a job: what the user waits for is the job's run, as a worker runs it.
    from jobs.models import Job
    from jobs.tasks import run_job

    job = Job.objects.filter(owner=prepared["city"]).latest("pk")
    run_job.func(job.pk)
    job.refresh_from_db()
    assert job.result, job.message
    with job.result.open("rb") as result:
        data = result.read()
    job.result.delete(save=False)
    return data


def activities_floor(prepared) -> bytes:
    from django.contrib.postgres.aggregates import StringAgg
    from django.db.models import F, Q

    from activities.choices import Confirmation, EnteredBy, Focus, Form, Kind
    from activities.models import Activity
    from pairings.choices import Measure as MeasureChoice
    from pairings.models import semester_label

    kinds, forms, measures, foci = _labels(Kind), _labels(Form), _labels(MeasureChoice), _labels(Focus)
    statuses, entered = _labels(Confirmation), _labels(EnteredBy)

    def names(side: str):
        return StringAgg(
            "participants__name",
            "、",
            filter=Q(participants__school_id=F(f"pairing__{side}_id")),
            order_by=("participants__name",),
            default="",
        )

    query = (
        Activity.objects.filter(semester_id=prepared["semester_id"], pk__lte=prepared["last_id"])
        .annotate(helper_names=names("helper"), recipient_names=names("recipient"))
        .order_by("-date", "-id")
        .values_list(
            "pairing__helper__name",
            "pairing__recipient__name",
            "date",
            "kind",
            "form",
            "measure",
            "focus",
            "helper_names",
            "recipient_names",
            "teachers_reached",
            "students_reached",
            "description",
            "donation_items",
            "donation_quantity",
            "donation_value",
            "semester__academic_year",
            "semester__term",
            "status",
            "entered_by",
        )  # fmt: skip
    )
    rows = (
        (helper, recipient, day, kinds.get(kind, ""), forms.get(form, ""), measures.get(measure, ""),
         foci.get(focus, ""), hn, rn, str(teachers), str(students), description, items,
         "" if quantity is None else str(quantity), "" if value is None else str(value), semester_label(year, term),
         statuses.get(status, ""), entered.get(by, ""))
        for (helper, recipient, day, kind, form, measure, focus, hn, rn, teachers, students, description, items,
             quantity, value, year, term, status, by) in query.iterator(chunk_size=CHUNK)
    )  # fmt: skip
    headers = (
        "帮扶学校 受援学校 活动日期 活动类别 帮扶形式 帮扶措施 工作重点 帮扶学校参与人员 受援学校参与人员 受益教师数 "
        "受益学生数 活动内容 捐赠物品 捐赠数量 捐赠金额（元） 学期 确认状态 录入方"
    ).split()
    data = io.BytesIO()
    book = FloorBook(data)
    book.sheet("帮扶活动名单", headers, rows)
    book.close()
    return data.getvalue()


# --- The region-wide 三级安排表 ------------------------------------------------------------------------------------


def arrangement_setup(one_county: bool):
    def setup():
        from pairings.liuzhou import liuzhou_cycle

        prepared = _begin()
        prepared["cycle"] = liuzhou_cycle()
        prepared["county"] = _arrangement_county() if one_county else None
        return prepared

    return setup


def _arrangement_county():
    """The county whose 三级安排表 is nearest 2,000 rows."""
    from django.db.models import Count

    from pairings.models import Pairing
    from schools.models import County

    counts = (
        Pairing.objects.filter(stage="compulsory", status="active")
        .values("recipient__county_id")
        .annotate(n=Count("pk"))
    )
    best = min(counts, key=lambda c: abs(c["n"] - 2000))
    return County.objects.get(pk=best["recipient__county_id"])


def arrangement_project(prepared) -> bytes:
    from django.urls import reverse

    county = prepared["county"]
    query = {"format": "xlsx", "cycle": prepared["cycle"].pk, "county": county.pk if county else "all"}
    return _response_bytes(prepared["clients"]["city"].get(reverse("pairings:arrangement_compulsory"), query))


def arrangement_floor(prepared) -> bytes:
    from django.db.models import Case, IntegerField, Q, Value, When

    from pairings.arrangement_views import CompulsoryArrangementView, bureau_name
    from pairings.choices import Tier
    from pairings.models import Pairing
    from schools.models import County, School

    cycle, only = prepared["cycle"], prepared["county"]
    tiers = _labels(Tier)
    order = Case(*(When(tier=t, then=Value(i)) for i, t in enumerate(Tier.values)), output_field=IntegerField())
    every = list(County.objects.order_by("code"))
    counties = every if only is None else [only]
    names = {c.pk: c.short_name or c.name for c in every}  # a cross-county pairing names the other county too
    pairings = Pairing.objects.filter(cycle=cycle, stage="compulsory", status="active", tier__in=Tier.values)
    if only is not None:
        schools = School.objects.filter(county_id=only.pk).values("pk")
        pairings = pairings.filter(Q(helper_id__in=schools) | Q(recipient_id__in=schools))
    query = (
        pairings.annotate(tier_order=order)
        .order_by("tier_order", "helper__name", "recipient__name", "pk")
        .values_list(
            "tier",
            "helper__name",
            "helper__county_id",
            "helper__township__name",
            "helper_contact",
            "helper__contact_person",
            "helper_phone",
            "helper__contact_phone",
            "recipient__name",
            "recipient__county_id",
            "recipient__township__name",
            "recipient__village__name",
            "recipient_contact",
            "recipient__contact_person",
            "recipient_phone",
            "recipient__contact_phone",
            "starts_on",
            "is_city_fixed",
        )  # fmt: skip
    )
    last = cycle.last_day
    until = f"—{last.year}年{last.month}月"
    tables: dict[int, list] = {county.pk: [] for county in counties}
    for (tier, helper, helper_county, helper_town, hc, hcp, hp, hpp, recipient, recipient_county, recipient_town,
         village, rc, rcp, rp, rpp, starts, fixed) in query.iterator(chunk_size=CHUNK):  # fmt: skip
        row = [tiers[tier], helper, names.get(helper_county, ""), helper_town or "", hc or hcp, hp or hpp, recipient,
               names.get(recipient_county, ""), recipient_town or "", village or "", rc or rcp, rp or rpp,
               f"{starts.year}年{starts.month}月{until}", "市局统筹" if fixed else ""]  # fmt: skip
        for county_id in dict.fromkeys((helper_county, recipient_county)):
            if county_id in tables:
                tables[county_id].append(row)
    headers = (
        "序号 结对层级 帮扶学校 所在县（区） 所在乡镇 联系人 联系电话 受援学校 所在县（区） 所在乡镇 所在村 "
        "联系人 联系电话 帮扶期限 备注"
    ).split()
    title = str(CompulsoryArrangementView.title)
    data = io.BytesIO()
    book = FloorBook(data, printable=True)
    for county in counties:
        rows = ([i, *row] for i, row in enumerate(tables[county.pk], start=1))
        book.sheet(names[county.pk], headers, rows, first_row=2)
        book.current.merge_range(0, 0, 0, len(headers) - 1, title, book.title)
        book.current.merge_range(1, 0, 1, len(headers) - 1, f"填报单位：{bureau_name(county)}", book.plain)
    book.close()
    return data.getvalue()


def _arrangement_check(project, floor) -> None:
    # The data rows (from the header on) of each county's sheet; the project's title, unit and signature block are
    # laid out by the writer and compared by its own tests.
    def body(sheets):
        return [(name, [tuple(v for v, _ in row) for row in rows[2:] if row and row[0][0] not in (None, "")])
                for name, rows in sheets]  # fmt: skip

    project_body, floor_body = body(project), body(floor)
    assert [n for n, _ in project_body] == [n for n, _ in floor_body]
    for (name, rows), (_, floor_rows) in zip(project_body, floor_body, strict=True):
        rows = [r for r in rows if isinstance(r[0], int | float) or r[0] == "序号"]
        floor_rows = [r for r in floor_rows if isinstance(r[0], int | float) or r[0] == "序号"]
        assert rows == floor_rows, f"{name}: {len(rows)} rows against {len(floor_rows)}"


# --- Change lists -------------------------------------------------------------------------------------------------


CHANGE_LINK = re.compile(r'href="/admin/(\w+)/(\w+)/(\d+)/change/[^"]*"')


def changelist_project(url_name: str, role: str):
    def project(prepared) -> list[int]:
        from django.urls import reverse

        response = prepared["clients"][role].get(reverse(url_name))
        assert response.status_code == 200, response.status_code
        app, model = url_name.removeprefix("admin:").removesuffix("_changelist").split("_", 1)
        ids = [int(m.group(3)) for m in CHANGE_LINK.finditer(response.content.decode()) if m.group(2) == model]
        return list(dict.fromkeys(ids))

    return project


def changelist_floor(model_path: str, role: str, select_related: tuple, ordering: tuple):
    def floor(prepared) -> list[int]:
        from django.apps import apps

        model = apps.get_model(model_path)
        queryset = model.objects.for_user(prepared[role]).select_related(*select_related).order_by(*ordering)
        return [obj.pk for obj in queryset[: PER_PAGE.get(model_path, 100)]]

    return floor


PER_PAGE = {"schools.School": 50}

CHANGE_LISTS = [
    ("schools", "admin:schools_school_changelist", "schools.School", ("county", "township"), ("name",)),
    ("pairings", "admin:pairings_pairing_changelist", "pairings.Pairing",
     ("helper", "recipient", "cycle", "arranged_by_county"), ("-pk",)),
    ("activities", "admin:activities_activity_changelist", "activities.Activity",
     ("pairing__helper", "pairing__recipient", "semester"), ("-date", "-id")),
]  # fmt: skip


MEASURES: list[Measure] = []
for rows in (20_000, 2_000):
    MEASURES += [
        Measure(f"export: schools, {rows:,} rows", schools_project, schools_floor, goal_ratio=1.3,
                setup=schools_setup(rows), teardown=_end, normalize=cells, check=_check_cells,
                extra={"rows": rows}),
        Measure(f"export: a semester's activities, {rows:,} rows", activities_project, activities_floor,
                goal_ratio=1.3, setup=activities_setup(rows), teardown=_end, normalize=cells, check=_check_cells,
                extra={"rows": rows}),
        Measure(f"export: 三级安排表, {'the region' if rows > 2000 else 'one county'}", arrangement_project,
                arrangement_floor, goal_ratio=1.3, setup=arrangement_setup(one_county=rows <= 2000), teardown=_end,
                normalize=cells, check=_arrangement_check, extra={"rows": rows}),
    ]  # fmt: skip
for role in ("city", "county"):
    for name, url_name, model_path, related, ordering in CHANGE_LISTS:
        MEASURES.append(
            Measure(f"change list: {name}, {role} user", changelist_project(url_name, role),
                    changelist_floor(model_path, role, related, ordering), goal_ratio=3.0, setup=_begin,
                    teardown=_end, repeat=5)
        )  # fmt: skip


# --- Running alone ------------------------------------------------------------------------------------------------


def _run_one(name: str) -> None:
    import resource

    from django.db import connection

    measure = next(m for m in MEASURES if m.name == name)
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    times = {"project": [], "floor": []}
    results = {}
    for _ in range(measure.repeat):
        for side in ("project", "floor"):
            prepared = measure.setup()
            try:
                count[0] = 0
                with connection.execute_wrapper(counter):
                    started = time.perf_counter()
                    results[side] = getattr(measure, side)(prepared)
                    times[side].append(time.perf_counter() - started)
                if side == "project":
                    queries = count[0]
            finally:
                measure.teardown(prepared)
    measure.check(measure.normalize(results["project"]), measure.normalize(results["floor"]))
    project, floor = min(times["project"]), min(times["floor"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name}: project {project * 1000:.0f} ms, floor {floor * 1000:.0f} ms, ratio {project / floor:.2f} "
          f"(goal {measure.goal_ratio}), {queries} queries, peak {peak:.0f} MB (both sides)", flush=True)  # fmt: skip


def _peak(name: str, side: str) -> None:
    """Run one side of a measure once and print the process's peak resident size."""
    import resource

    measure = next(m for m in MEASURES if m.name == name)
    prepared = measure.setup()
    try:
        getattr(measure, side)(prepared)
    finally:
        measure.teardown(prepared)
    print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


def main() -> None:
    import subprocess

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")
    args = sys.argv[1:]
    if args and args[0] in ("--one", "--peak"):
        import django

        django.setup()
        if args[0] == "--one":
            _run_one(args[1])
        else:
            _peak(args[1], args[2])
        return
    names = [m.name for m in MEASURES if not args or any(a in m.name for a in args)]
    for name in names:
        subprocess.run([sys.executable, __file__, "--one", name], check=False)
        if name.startswith("export"):
            peaks = {
                side: subprocess.run(
                    [sys.executable, __file__, "--peak", name, side], capture_output=True, text=True, check=False
                ).stdout.strip()  # fmt: skip
                for side in ("project", "floor")
            }
            print(f"  peak memory alone: project {peaks['project']} MB, floor {peaks['floor']} MB", flush=True)


if __name__ == "__main__":
    main()
