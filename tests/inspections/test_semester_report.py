"""The semester compliance report: figures per county and stage from the existing selectors, each a link to the
list behind it (as many rows as it says), scoped per role, its xlsx, its charts, and a bounded number of queries."""

import datetime
import html as htmllib
import io
import re
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.choices import Confirmation, EnteredBy, Form, Kind
from activities.evidence import evidence_add
from activities.models import Activity
from activities.selectors import compliance, compliance_by_semester
from activities.services import activity_confirm
from inspections.charts import compliance_by_county, compliance_trend
from inspections.semester_report import semester_report
from pairings.choices import Measure, Tier
from pairings.models import Semester
from pairings.selectors import coverage, late_agreements
from pairings.services import pairing_create, pairing_end
from schools.choices import SchoolType, Stage
from tests.activities.test_evidence import png
from tests.factories import CountyFactory, SchoolFactory, TownshipFactory, VillageFactory
from tests.helpers import without_tokens
from tests.inspections.test_reports import sign

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2017, 1, 10)
SEMESTER = "2016—2017学年第一学期"
REPORT = reverse("inspections:semester")
LIST = reverse("inspections:semester_list")


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def login(client, insp):
    def as_role(role: str):
        client.force_login(insp.users[role] if role in insp.users else insp.land.district_user)
        return client

    return as_role


@pytest.fixture
def busy(insp):
    """The land with a confirmed teaching delivery of the own county's pairing, a pending joint research with an
    undated photo, a signed self-inspection of the own county with an overdue finding, and nothing else."""
    acts = insp.acts
    entry_day = datetime.date(2016, 10, 20)
    done = acts.activity(date=datetime.date(2016, 10, 10), today=entry_day)
    activity_confirm(activity=done, actor=acts.users["recipient"], today=datetime.date(2016, 10, 21))
    waiting = acts.activity(date=datetime.date(2016, 10, 12), kind=Kind.JOINT_RESEARCH, today=entry_day)
    evidence_add(activity=waiting, file=SimpleUploadedFile("截图.png", png(), "image/png"),
                 actor=acts.users["helper"], today=entry_day)  # fmt: skip
    sign(insp, found=[("台账不全", datetime.date(2016, 12, 15), {"county": insp.land.own})])
    return insp


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def tables(html: str) -> list[list[list[str]]]:
    """The cells' text of each table of a page, a row per list."""
    found = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        found.append([[htmllib.unescape(re.sub(r"<[^>]+>", "", c).strip())
                       for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows])  # fmt: skip
    return found


def by_place(rows: list[list[str]]) -> dict[tuple[str, str], list[str]]:
    return {(r[0], r[1]): r for r in rows}


def workbook(client, url, **params) -> openpyxl.Workbook:
    response = client.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return openpyxl.load_workbook(io.BytesIO(content))


# --- Who may open it -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("city", 200), ("region", 200), ("city_inspector", 200), ("county", 200), ("county_inspector", 200),
     ("recipient", 403), ("helper", 403)],
)  # fmt: skip
def test_who_may_open_the_semester_report(login, role, status):
    client = login(role)
    assert client.get(REPORT).status_code == status
    assert client.get(LIST, {"what": "pairings"}).status_code == status


def test_the_report_needs_a_login_is_on_the_home_page_and_refuses_unknown_lists(client, login):
    assert client.get(REPORT).status_code == 302
    client = login("city")
    assert f'href="{REPORT}"' in page(client, reverse("admin:index"))
    assert client.get(LIST, {"what": "nonsense"}).status_code == 404
    assert client.get(LIST, {"what": "short", "kind": "nonsense"}).status_code == 404
    assert client.get(LIST, {"what": "pairings", "stage": "nonsense"}).status_code == 404
    assert client.get(LIST, {"what": "pairings", "county": "999999"}).status_code == 404
    assert client.get(REPORT, {"semester": "2030-1"}).status_code == 404


# --- The figures -----------------------------------------------------------------------------------------------


def test_figures_per_county_stage_and_city_total(login, busy):
    html = page(login("city"), REPORT)
    assert f"学期结对帮扶工作情况（{SEMESTER}）" in html
    figures, short = tables(html)
    rows = by_place(figures)
    own = rows[("甲县", "小计")]
    # pairings, compliant, share, not compliant, silent, pending, flagged, uncovered, agreements, plans, special,
    # findings to rectify, overdue
    assert own[2:] == ["2", "0", "0.0%", "2", "1", "1", "1", "0", "2", "1", "未完成", "1", "1"]
    assert rows[("甲县", "义务教育")][2:12] == ["2", "0", "0.0%", "2", "1", "1", "1", "0", "2", ""]
    assert rows[("甲县", "义务教育")][12:] == ["", "", ""]  # per county only
    assert rows[("乙县", "小计")][2:9] == ["1", "0", "0.0%", "1", "1", "0", "0"]
    assert rows[("丙区", "小计")][2:4] == ["0", "0"]  # the cross-county pairing counts in 甲县, the recipient's
    total = rows[("全市", "")]
    assert total[2:] == ["3", "0", "0.0%", "3", "2", "1", "1", "0", "3", "2", "0/3", "1", "1"]
    # Short of each norm: the own county's pairing delivered one teaching of the two required.
    kinds = [k.strip() for k in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html)]
    assert "送教" in kinds and "R2" not in without_tokens(html) and "R3" not in without_tokens(html)
    short_rows = by_place(short)
    assert short_rows[("全市", "")][2] == "3"


def figure_links(html: str) -> dict[str, int]:
    """Each figure of the report linking to a list: its list's address and the number shown."""
    links = re.findall(r'<td class="number[^"]*">\s*<a href="([^"]+)">(\d+)</a>', html)
    return {htmllib.unescape(url): int(n) for url, n in links if url.startswith(LIST)}


def lists_not_as_long_as_their_figures(client, lists: dict[str, int]) -> dict[str, tuple[int, int]]:
    bad = {}
    for url, figure in lists.items():
        listed = tables(page(client, url))
        if (len(listed[0]) if listed else 0) != figure:
            bad[url] = (figure, len(listed[0]) if listed else 0)
    return bad


WHATS = {"pairings", "compliant", "not_compliant", "silent", "short", "pending", "flagged", "uncovered", "agreements",
         "work_plans"}  # fmt: skip


@pytest.mark.parametrize(
    ("role", "narrowed"),
    [("city", False), ("region", False), ("county", False), ("county_inspector", False), ("city", True)],
)
def test_every_figure_is_as_long_as_the_list_it_links_to(login, busy, role, narrowed):
    client = login(role)
    lists = figure_links(page(client, REPORT, **({"county": busy.land.own.pk} if narrowed else {})))
    assert len(lists) > (40 if role == "city" and not narrowed else 25)
    # Stage rows and the total row link too.
    assert any("stage=" in url for url in lists) and any("stage=" not in url for url in lists)
    assert lists_not_as_long_as_their_figures(client, lists) == {}
    assert {re.search(r"what=(\w+)", url)[1] for url in lists} >= WHATS


def test_the_lists_show_what_they_count(login, busy):
    client = login("city")
    # The flagged activity with its flag, the silent pairing of 乙县.
    flagged = tables(page(client, LIST, what="flagged", county=busy.land.own.pk, semester="2016-1"))[0]
    assert len(flagged) == 1 and flagged[0][-1] == "照片日期存疑" and flagged[0][3] == "联合教研"
    silent = tables(page(client, LIST, what="silent", county=busy.land.other.pk, semester="2016-1"))[0]
    assert [r[2] for r in silent] == ["乙村小学"]
    short = tables(page(client, LIST, what="short", kind=Kind.TEACHING_DELIVERY, county=busy.land.own.pk))[0]
    assert sorted(r[2] for r in short) == ["甲村小学", "甲镇中心小学"]
    assert "1/2" in [c for r in short for c in r]  # the shortfall per norm, count against required


def test_the_rectification_figures_link_to_the_rectification_report_of_the_county(login, busy):
    client = login("city")
    html = page(client, REPORT)
    url = f"{reverse('inspections:rectification')}?semester=2016-1&amp;county={busy.land.own.pk}"
    assert f'<a href="{url}">1</a>' in html
    findings = tables(page(client, reverse("inspections:rectification"), semester="2016-1", county=busy.land.own.pk))
    assert len(findings[1]) == 1
    assert f"{reverse('inspections:special')}?semester=2016-1" in html


def test_a_county_bureau_reads_only_its_own_county(login, busy):
    client = login("county")
    html = page(client, REPORT)
    figures, _short = tables(html)
    assert [r[0] for r in figures] == ["甲县", "甲县", "合计"]
    assert "乙县" not in html and "丙区" not in html
    assert 'name="county"' not in html  # no county choice
    assert f"（甲县，{SEMESTER}）" in html  # its name heads the page and the workbook
    # Asking for another county's list shows its own.
    html = page(client, LIST, what="pairings", county=busy.land.other.pk)
    assert f"本学期在帮结对（甲县，{SEMESTER}）" in html
    rows = tables(html)[0]
    assert sorted(r[2] for r in rows) == ["甲村小学", "甲镇中心小学"]
    # The helper district's bureau sees the cross-county pairing elsewhere, but it counts in the recipient's county.
    figures = tables(page(login("district"), REPORT))[0]
    assert [r[0] for r in figures] == ["丙区", "合计"] and figures[0][2] == "0"


def test_the_city_narrows_the_report_to_a_county(login, busy):
    figures = tables(page(login("city"), REPORT, county=busy.land.other.pk))[0]
    assert [r[0] for r in figures] == ["乙县", "乙县", "合计"]


def test_the_xlsx_has_the_page_rows(login, busy):
    client = login("city")
    html = page(client, REPORT)
    book = workbook(client, REPORT)
    assert book.sheetnames == ["各县（区）", "各项规定未达"]
    for sheet, rows in zip(book.worksheets, tables(html), strict=True):
        assert sheet["A1"].value == f"学期结对帮扶工作情况（{SEMESTER}）"
        got = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
        assert len(got) == len(rows)
        for cells, shown in zip(got, rows, strict=True):
            as_text = []
            for value, text in zip(cells, shown, strict=True):
                if isinstance(value, int | float) and text.endswith("%"):
                    value = f"{value:.1%}"
                as_text.append("" if value is None else str(value))
            assert as_text == shown
    # A list downloads too, the same rows.
    listed = tables(page(client, LIST, what="pairings"))[0]
    response = client.get(LIST, {"what": "not_compliant", "format": "xlsx"})
    assert response["Content-Disposition"].endswith(f"''{quote('未达标结对_2017-01-10.xlsx')}")
    sheet = workbook(client, LIST, what="pairings").active
    assert [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)] == [r[2] for r in listed]


# --- Charts ----------------------------------------------------------------------------------------------------


def test_the_charts_are_inline_svg_loading_nothing_with_a_bar_per_county(login, busy):
    html = page(login("city"), REPORT)
    svgs = re.findall(r'<svg [^>]*class="pygal-chart".*?</svg>', html, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)
        assert not re.search(r"https?://", without_namespaces)
        assert "<script" not in svg and "kozea" not in svg.lower()
    bars, trend = svgs
    # 甲县 and 乙县 have pairings; 丙区 has none as recipient and no bar.
    assert len(re.findall(r'<g class="bar"', bars)) == 2
    assert "甲县" in bars and "乙县" in bars and "丙区" not in bars
    assert "全市" in trend and "2016秋" in trend


def test_the_bar_chart_draws_one_bar_per_county_from_the_report_rows(busy):
    report = semester_report(user=busy.users["city"], semester=busy.semester, today=TODAY)
    svg = compliance_by_county(report)
    assert len(re.findall(r'<g class="bar"', svg)) == len([c for c in report.counties if c.row.pairings])


# --- A bounded number of queries -------------------------------------------------------------------------------


def grow(insp, n=6):
    """`n` more pairings in each of the two counties, each with confirmed and pending activities in two
    semesters."""
    land = insp.land
    later = Semester.objects.get(cycle=land.cycle, academic_year=2016, term=2)
    for county in (land.own, land.other):
        for i in range(n):
            town = TownshipFactory(county=county)
            village = VillageFactory(township=town)
            helper = SchoolFactory(name=f"{county.name}{i}镇中心小学", county=county, township=town, is_central=True)
            recipient = SchoolFactory(name=f"{county.name}{i}村小学", county=county, township=town, village=village)
            pairing = pairing_create(helper=helper, recipient=recipient, stage=Stage.COMPULSORY,
                                     tier=Tier.TOWNSHIP_VILLAGE, cycle=land.cycle, actor=insp.users["city"],
                                     arranged_by_county=county)  # fmt: skip
            for semester, day in ((insp.semester, datetime.date(2016, 10, 3)), (later, datetime.date(2017, 4, 3))):
                for status in (Confirmation.CONFIRMED, Confirmation.PENDING):
                    Activity.objects.create(pairing=pairing, semester=semester, date=day, form=Form.TEACHING_DELIVERY,
                                            measure=Measure.TEACHER_DEVELOPMENT, kind=Kind.TEACHING_DELIVERY,
                                            entered_by=EnteredBy.HELPER, status=status)  # fmt: skip


@pytest.mark.parametrize("role", ["city", "county"])
def test_the_report_runs_a_bounded_number_of_queries_whatever_the_size(busy, role, django_assert_max_num_queries):
    later = Semester.objects.get(cycle=busy.land.cycle, academic_year=2016, term=2)
    day = datetime.date(2017, 6, 1)
    user = busy.users[role]

    def run():
        report = semester_report(user=user, semester=later, today=day)
        assert len(report.trend) == 2
        return report

    with django_assert_max_num_queries(24):
        small = run()
    grow(busy)
    with django_assert_max_num_queries(24):
        large = run()
    assert len(large.total.pairings) > len(small.total.pairings) + 5


def test_the_report_page_runs_a_bounded_number_of_queries(login, busy, django_assert_max_num_queries):
    client = login("city")
    client.get(REPORT)
    with django_assert_max_num_queries(30):
        client.get(REPORT)
    grow(busy)
    with django_assert_max_num_queries(30):
        client.get(REPORT)


def test_a_county_bureaus_chart_has_a_bar_per_stage_of_its_county(login, busy):
    html = page(login("county"), REPORT)
    bars = re.findall(r'<svg [^>]*class="pygal-chart".*?</svg>', html, re.S)[0]
    assert len(re.findall(r'<g class="bar"', bars)) == 1 and "义务教育" in bars
    assert "各学段达标率" in html


def test_a_list_keeps_what_it_lists_when_the_semester_is_changed(login, busy):
    html = page(login("city"), LIST, what="short", kind=Kind.TEACHING_DELIVERY, stage=Stage.COMPULSORY)
    form = re.search(r'<form method="get" class="report-filters">(.*?)</form>', html, re.S)[1]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert hidden == {"what": "short", "stage": "compulsory", "kind": "teaching_delivery"}
    assert 'name="semester"' in form and 'name="county"' in form


def test_the_trend_draws_each_countys_line_only_when_there_are_few(busy):
    report = semester_report(user=busy.users["city"], semester=busy.semester, today=TODAY)
    assert len(report.counties) == 3
    assert "甲县" in compliance_trend(report) and "乙县" in compliance_trend(report)
    for i in range(4):
        CountyFactory(name=f"新{i}县")
    report = semester_report(user=busy.users["city"], semester=busy.semester, today=TODAY)
    assert len(report.counties) == 7
    trend = compliance_trend(report)
    assert "甲县" not in trend and set(re.findall(r"serie-(\d+)", trend)) == {"0"}


def test_the_city_administered_schools_have_their_row_and_lists(login, busy):
    SchoolFactory(name="市直属实验中学", county=None, school_type=SchoolType.JUNIOR_MIDDLE)
    client = login("city")
    rows = by_place(tables(page(client, REPORT))[0])
    row = rows[("局属学校", "小计")]
    assert row[9] == "1"  # a public school in no pairing
    listed = tables(page(client, LIST, what="uncovered", county="none", semester="2016-1"))[0]
    assert [r[2] for r in listed] == ["市直属实验中学"]
    # A county bureau asking for them reads its own county's.
    assert tables(page(login("county"), LIST, what="uncovered", county="none")) == []


# --- A county's links, the narrowed total, a pairing ended mid-semester ----------------------------------------


def row_links(html: str, place: str) -> list[str]:
    """The addresses linked from the first row of the figures table whose first cell is `place`."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)[1]
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if re.sub(r"<[^>]+>", "", cells[0]).strip() == place:
            return [htmllib.unescape(url) for url in re.findall(r'<a href="([^"]+)"', row)]
    raise AssertionError(place)


def test_the_total_of_a_report_narrowed_to_a_county_links_to_that_countys_lists(login, busy):
    client = login("city")
    own = busy.land.own.pk
    links = row_links(page(client, REPORT, county=own), "合计")
    special = [url for url in links if url.startswith(reverse("inspections:special"))]
    rectification = [url for url in links if url.startswith(reverse("inspections:rectification"))]
    assert special and rectification and len([url for url in links if url.startswith(LIST)]) >= 10
    assert all(f"county={own}" in url for url in links), links
    # The whole city's total links to the whole city's lists.
    assert not any("county=" in url for url in row_links(page(client, REPORT), "全市"))


def test_a_countys_special_inspection_links_to_that_countys_row_only(login, busy):
    client = login("city")
    own = busy.land.own.pk
    links = row_links(page(client, REPORT), "甲县")
    special = [url for url in links if url.startswith(reverse("inspections:special"))]
    assert special == [f"{reverse('inspections:special')}?semester=2016-1&county={own}"]
    rows = tables(page(client, special[0]))[0]
    assert [r[0] for r in rows] == ["甲县"]
    assert len(tables(page(client, reverse("inspections:special"), semester="2016-1"))[0]) == 3
    # A county bureau reads its own county's whatever it asks, and has no county choice.
    html = page(login("county"), reverse("inspections:special"), county=busy.land.other.pk)
    assert [r[0] for r in tables(html)[0]] == ["甲县"] and 'name="county"' not in html


def test_a_pairing_ended_mid_semester_counts_in_it_with_its_schools_and_its_late_agreement(login, busy):
    land = busy.land
    pairing_end(pairing=land.other_pairing, actor=land.users["city"], on=datetime.date(2016, 12, 20), reason="撤并")
    client = login("city")
    other = by_place(tables(page(client, REPORT, semester="2016-1"))[0])[("乙县", "小计")]
    # pairings, compliant, share, not compliant, silent, pending, flagged, unpaired schools, agreements
    assert other[2] == "1" and (other[9], other[10]) == ("0", "1"), other
    assert tables(page(client, LIST, what="uncovered", county=land.other.pk, semester="2016-1")) == []
    agreements = tables(page(client, LIST, what="agreements", county=land.other.pk, semester="2016-1"))[0]
    assert [r[1] for r in agreements] == [land.other_pairing.recipient.name]
    # By the semester: the pairing was active in it. By today's status (the default): it is not.
    cycle, city = land.cycle, land.users["city"]
    in_semester = coverage(cycle=cycle, user=city, county=land.other, semester=busy.semester)
    assert not [s for row in in_semester for s in row.uncovered if s.pk == land.other_pairing.recipient_id]
    today_ = coverage(cycle=cycle, user=city, county=land.other)
    assert [s for row in today_ for s in row.uncovered if s.pk == land.other_pairing.recipient_id]
    late = late_agreements(cycle=cycle, user=city, today=TODAY, semester=busy.semester)
    assert land.other_pairing.pk in [a.pairing.pk for a in late]
    assert land.other_pairing.pk not in [a.pairing.pk for a in late_agreements(cycle=cycle, user=city, today=TODAY)]
    # A semester after it ended does not count it.
    later = Semester.objects.get(cycle=cycle, academic_year=2017, term=1)
    assert land.other_pairing.pk not in [
        a.pairing.pk for a in late_agreements(cycle=cycle, user=city, today=TODAY, semester=later)
    ]


@pytest.mark.parametrize("role", ["city", "county"])
def test_the_trend_runs_as_many_queries_at_the_ninth_semester_as_at_the_second(busy, role):
    semesters = list(Semester.objects.filter(cycle=busy.land.cycle).order_by("starts_on"))
    assert len(semesters) == 9
    user = busy.users[role]
    counts = []
    for semester in (semesters[1], semesters[8]):
        with CaptureQueriesContext(connection) as queries:
            report = semester_report(user=user, semester=semester, today=semester.ends_on)
        assert [p.semester for p in report.trend] == semesters[: semesters.index(semester) + 1]
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 24, counts


def test_the_trend_judges_each_earlier_semester_as_the_compliance_engine_does(busy):
    """The earlier semesters, judged together, come out as `compliance` judges each alone."""
    grow(busy)
    pairing_end(pairing=busy.land.other_pairing, actor=busy.users["city"], on=datetime.date(2017, 3, 1), reason="撤并")
    semesters = list(Semester.objects.filter(cycle=busy.land.cycle).order_by("starts_on"))[:4]
    user = busy.users["city"]
    together = compliance_by_semester(user=user, semesters=semesters)

    def shown(rows):
        return [(r.pairing.pk, r.silent, r.compliant, {k: (n.count, n.required) for k, n in r.norms.items()})
                for r in rows]  # fmt: skip

    for semester in semesters:
        assert shown(together[semester.pk]) == shown(compliance(user=user, semester=semester)), semester
    assert any(not r.silent for r in together[semesters[1].pk])  # something was counted in the second one
    assert len(together[semesters[2].pk]) == len(together[semesters[0].pk]) - 1  # the ended pairing is gone
