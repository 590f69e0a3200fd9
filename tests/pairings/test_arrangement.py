"""The six arrangement tables (R27) as pages and workbooks: the plan's exact pairs of R11, R13 and R15, the tables
per county (R12: a 市—县 pairing in the helper district's table and the recipient county's), scoping, page and
workbook agreeing row for row, and bounded queries."""

import io

import openpyxl
import pytest
from django.urls import reverse

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.liuzhou import county_by_plan_name, liuzhou_arrangements_load, liuzhou_cycle
from pairings.services import pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from schools.models import School, Township, Village
from tests.factories import SchoolFactory

from .test_liuzhou import R11, R13, R15

PASSWORD = "x-Strong-Pass-2016"

TABLES = {
    "pairings:arrangement_districts": "对口帮扶县（区）安排表",
    "pairings:arrangement_high_schools": "普通高中结对帮扶安排表",
    "pairings:arrangement_special": "特殊教育结对帮扶安排表",
    "pairings:arrangement_preschool_county_township": "柳州“县—乡”级学前教育结对帮扶安排表",
    "pairings:arrangement_preschool_township_village": "柳州“乡—村”级学前教育结对帮扶安排表",
    "pairings:arrangement_compulsory": "柳州市三级中小学结对帮扶安排表",
}
COUNTY_HEADERS = ["序号", "结对层级", "帮扶学校", "所在县（区）", "所在乡镇", "联系人", "联系电话", "受援学校",
                  "所在县（区）", "所在乡镇", "所在村", "联系人", "联系电话", "帮扶期限", "备注"]  # fmt: skip
HEADERS = {
    "pairings:arrangement_districts": ["帮扶县区", "受援县区"],
    "pairings:arrangement_high_schools": ["帮扶学校", "联系人及电话", "受援学校", "联系人及电话"],
    "pairings:arrangement_special": ["帮扶牵头指导学校", "帮扶学校", "受援学校"],
    "pairings:arrangement_preschool_county_township": COUNTY_HEADERS,
    "pairings:arrangement_preschool_township_village": COUNTY_HEADERS,
    "pairings:arrangement_compulsory": COUNTY_HEADERS,
}


class Plan:
    """Liuzhou's real areas, named schools and city-fixed arrangements, a few county pairings, and users."""

    def __init__(self):
        liuzhou_arrangements_load()
        self.cycle = liuzhou_cycle()
        self.rongshui = county_by_plan_name("融水县")
        self.sanjiang = county_by_plan_name("三江县")
        self.yufeng = county_by_plan_name("鱼峰区")
        town = Township.objects.filter(county=self.rongshui).order_by("code").first()
        village = Village.objects.filter(township=town).order_by("code").first()
        self.town, self.village = town, village
        # Compulsory: 鱼峰区 helps 融水县 (R11), so a 市—县 pairing across them; a 县—乡 one inside 融水县.
        self.urban = self.school("鱼峰区实验小学", self.yufeng, location=Location.URBAN,
                                 standing=Standing.HIGH_QUALITY, contact_person="王老师",
                                 contact_phone="0772-2822222")  # fmt: skip
        self.central = self.school("融水测试镇中心小学", self.rongshui, township=town, is_central=True,
                                   location=Location.TOWNSHIP, standing=Standing.WEAK)  # fmt: skip
        self.town_school = self.school("融水县城小学", self.rongshui, standing=Standing.HIGH_QUALITY)
        self.city_county = self.pair(self.urban, self.central, Stage.COMPULSORY, Tier.CITY_COUNTY, self.yufeng,
                                     recipient_contact="李主任", recipient_phone="13800000000")  # fmt: skip
        self.county_township = self.pair(self.town_school, self.central, Stage.COMPULSORY, Tier.COUNTY_TOWNSHIP,
                                         self.rongshui)  # fmt: skip
        # Preschool: 县—乡 in 融水县, 乡—村 in 融水县 and in 三江县.
        kg = SchoolType.KINDERGARTEN
        self.town_kg = town_kg = self.school("融水县城幼儿园", self.rongshui, kg, standing=Standing.HIGH_QUALITY)
        self.central_kg = central_kg = self.school("融水测试镇中心幼儿园", self.rongshui, kg, township=town,
                                                   is_central=True, location=Location.TOWNSHIP)  # fmt: skip
        village_kg = self.school("融水测试村幼儿园", self.rongshui, kg, township=town, village=village,
                                 location=Location.VILLAGE, standing=Standing.WEAK)  # fmt: skip
        self.pre_county_township = self.pair(town_kg, central_kg, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP,
                                             self.rongshui)  # fmt: skip
        self.pre_township_village = self.pair(central_kg, village_kg, Stage.PRESCHOOL, Tier.TOWNSHIP_VILLAGE,
                                              self.rongshui)  # fmt: skip
        sj_town = Township.objects.filter(county=self.sanjiang).order_by("code").first()
        sj_village = Village.objects.filter(township=sj_town).order_by("code").first()
        sj_central = self.school("三江测试镇中心幼儿园", self.sanjiang, kg, township=sj_town, is_central=True,
                                 location=Location.TOWNSHIP)  # fmt: skip
        sj_village_kg = self.school("三江测试村幼儿园", self.sanjiang, kg, township=sj_town, village=sj_village,
                                    location=Location.VILLAGE)  # fmt: skip
        self.sanjiang_pairing = self.pair(sj_central, sj_village_kg, Stage.PRESCHOOL, Tier.TOWNSHIP_VILLAGE,
                                          self.sanjiang)  # fmt: skip
        self.users = {
            "city": user_create(actor=SYSTEM, username="city", role="city", password=PASSWORD)[0],
            "rongshui": user_create(
                actor=SYSTEM, username="rongshui", role="county", county=self.rongshui, password=PASSWORD
            )[0],  # fmt: skip
            "yufeng": user_create(
                actor=SYSTEM, username="yufeng", role="county", county=self.yufeng, password=PASSWORD
            )[0],  # fmt: skip
        }

    def school(self, name, county, school_type=SchoolType.PRIMARY, **kw):
        kw.setdefault("location", Location.COUNTY_TOWN)
        return SchoolFactory(name=name, county=county, school_type=school_type, **kw)

    def pair(self, helper, recipient, stage, tier, county, **kw):
        return pairing_create(helper=helper, recipient=recipient, stage=stage, tier=tier, cycle=self.cycle,
                              actor=SYSTEM, arranged_by_county=county, **kw)  # fmt: skip


@pytest.fixture
def plan(liuzhou):
    return Plan()


@pytest.fixture
def as_(client, plan):
    def login(name):
        client.force_login(plan.users[name])
        return client

    return login


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def cell_text(value) -> str:
    return "" if value is None else str(value)


def sheet_rows(sheet, headers: list[str]) -> tuple[str, list[list[str]]]:
    """Return the sheet's title (its first cell) and the body rows under the header row, as text. The body ends
    at the first blank row or the signature block (填报单位…)."""
    rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[: len(headers)] == headers)
    body = []
    for row in rows[start + 1 :]:
        if not any(row) or row[0].startswith("填报"):
            break
        body.append(row[: len(headers)])
    return rows[0][0], body


def page_tables(response) -> list[tuple[str, list[list[str]]]]:
    """Return each table of the page: its title and rows, as text."""
    assert response.status_code == 200
    return [
        (str(table.title), [[cell_text(cell["value"]) for cell in row] for row in rows])
        for table, rows in response.context["tables"]
    ]


def download(client, name, **params):
    return client.get(reverse(name), {**params, "format": "xlsx"})


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("user", ["city", "rongshui"])
def test_r27_each_table_downloads_with_its_official_title_and_headers(as_, name, user):
    response = download(as_(user), name)
    book = workbook(response)
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    for sheet in book.worksheets:
        title, _rows = sheet_rows(sheet, HEADERS[name])
        assert title == TABLES[name]


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("user", ["city", "rongshui", "yufeng"])
def test_r27_page_and_workbook_agree_row_for_row(as_, name, user):
    client = as_(user)
    page = page_tables(client.get(reverse(name)))
    book = workbook(download(client, name))
    assert [sheet.title for sheet in book.worksheets] == [title for title, _rows in page]
    for sheet, (_title, rows) in zip(book.worksheets, page, strict=True):
        assert sheet_rows(sheet, HEADERS[name])[1] == rows


def test_r11_the_district_table_holds_the_five_pairs_of_the_plan(as_):
    book = workbook(download(as_("city"), "pairings:arrangement_districts"))
    assert book.sheetnames == ["对口帮扶县（区）安排表"]
    _title, rows = sheet_rows(book.active, ["帮扶县区", "受援县区"])
    assert rows == [["城中区", "融安县"], ["鱼峰区", "融水县"], ["柳南区", "三江县"], ["柳北区", "鹿寨县"],
                    ["柳江区", "柳城县"]]  # fmt: skip
    assert len(R11) == len(rows)


def test_r13_the_high_school_table_lists_the_eleven_city_fixed_pairs_first(as_, plan):
    school = SchoolFactory(name="融水县测试高中", county=plan.rongshui, school_type=SchoolType.SENIOR_HIGH)
    other = SchoolFactory(name="鱼峰区测试高中", county=plan.yufeng, school_type=SchoolType.SENIOR_HIGH,
                          standing=Standing.HIGH_QUALITY, location=Location.URBAN)  # fmt: skip
    pairing_create(helper=other, recipient=school, stage=Stage.HIGH_SCHOOL, tier=Tier.CITY_COUNTY, cycle=plan.cycle,
                   actor=SYSTEM, helper_contact="赵老师", helper_phone="0772-2811111")  # fmt: skip
    book = workbook(download(as_("city"), "pairings:arrangement_high_schools"))
    _title, rows = sheet_rows(book.active, HEADERS["pairings:arrangement_high_schools"])
    assert [(r[0], r[2]) for r in rows[:11]] == [
        ("柳州高中", "融水中学"), ("柳铁一中", "三江高中"), ("市一中", "三江民族高中"), ("市二中", "融水民族高中"),
        ("市铁二中", "柳城实验高中"), ("市三中", "柳江实验高中"), ("钢一中", "融安二中"), ("市民族高中", "鹿寨中学"),
        ("市六中", "柳城中学"), ("市九中", "鹿寨实验高中"), ("柳江中学", "融安高中"),
    ]  # fmt: skip
    assert {(r[0], r[2]) for r in rows[:11]} == R13
    assert rows[11:] == [["鱼峰区测试高中", "赵老师 0772-2811111", "融水县测试高中", ""]]


def test_r13_a_county_reads_only_the_pairs_of_its_high_schools(as_):
    _title, rows = sheet_rows(workbook(download(as_("rongshui"), "pairings:arrangement_high_schools")).active,
                              HEADERS["pairings:arrangement_high_schools"])  # fmt: skip
    assert [(r[0], r[2]) for r in rows] == [("柳州高中", "融水中学"), ("市二中", "融水民族高中")]


def test_r15_the_special_education_table_names_the_lead_school(as_):
    _title, rows = sheet_rows(workbook(download(as_("city"), "pairings:arrangement_special")).active,
                              HEADERS["pairings:arrangement_special"])  # fmt: skip
    assert rows == [["柳州市特殊教育学校", helper, recipient] for helper, recipient in
                    [("柳江县特殊教育学校", "融安县特殊教育学校"), ("鹿寨县特殊教育学校", "柳城县特殊教育学校"),
                     ("融水县特殊教育学校", "三江县特殊教育学校")]]  # fmt: skip
    assert {(r[1], r[2]) for r in rows} == R15


def test_r15_a_county_reads_the_pairs_it_is_part_of(as_):
    _title, rows = sheet_rows(workbook(download(as_("rongshui"), "pairings:arrangement_special")).active,
                              HEADERS["pairings:arrangement_special"])  # fmt: skip
    assert rows == [["柳州市特殊教育学校", "融水县特殊教育学校", "三江县特殊教育学校"]]


def test_r12_a_city_county_pairing_is_in_the_tables_of_both_counties(as_, plan):
    for user, county in (("rongshui", "融水县"), ("yufeng", "鱼峰区")):
        book = workbook(download(as_(user), "pairings:arrangement_compulsory"))
        assert book.sheetnames == [county]
        _title, rows = sheet_rows(book.active, COUNTY_HEADERS)
        assert ["鱼峰区实验小学", "融水测试镇中心小学"] in [[r[2], r[7]] for r in rows]
    _title, rows = sheet_rows(workbook(download(as_("rongshui"), "pairings:arrangement_compulsory")).active,
                              COUNTY_HEADERS)  # fmt: skip
    town = plan.town.name
    assert rows == [
        ["1", "市—县", "鱼峰区实验小学", "鱼峰区", "", "王老师", "0772-2822222", "融水测试镇中心小学", "融水县", town,
         "", "李主任", "13800000000", "2016年9月—2021年2月", ""],
        ["2", "县—乡", "融水县城小学", "融水县", "", "", "", "融水测试镇中心小学", "融水县", town, "", "", "",
         "2016年9月—2021年2月", ""],
    ]  # fmt: skip
    _title, rows = sheet_rows(workbook(download(as_("yufeng"), "pairings:arrangement_compulsory")).active,
                              COUNTY_HEADERS)  # fmt: skip
    assert [r[2] for r in rows] == ["鱼峰区实验小学"]


def test_r27_a_county_download_holds_only_its_county(as_, plan):
    book = workbook(download(as_("rongshui"), "pairings:arrangement_preschool_township_village"))
    assert book.sheetnames == ["融水县"]
    _title, rows = sheet_rows(book.active, COUNTY_HEADERS)
    assert [(r[2], r[7], r[10]) for r in rows] == [("融水测试镇中心幼儿园", "融水测试村幼儿园",
                                                    plan.pre_township_village.recipient.village.name)]  # fmt: skip
    # Another county is not for it to choose.
    client = as_("rongshui")
    assert client.get(reverse("pairings:arrangement_compulsory"), {"county": plan.sanjiang.pk}).status_code == 404
    assert client.get(reverse("pairings:arrangement_compulsory"), {"county": "all"}).status_code == 404


def test_r27_the_city_chooses_a_county_or_every_county_a_sheet_each(as_, plan):
    client = as_("city")
    book = workbook(download(client, "pairings:arrangement_preschool_township_village"))
    assert len(book.sheetnames) == 10 and book.sheetnames[0] == "城中区"
    one = workbook(download(client, "pairings:arrangement_preschool_township_village", county=plan.sanjiang.pk))
    assert one.sheetnames == ["三江县"]
    _title, rows = sheet_rows(one.active, COUNTY_HEADERS)
    assert [(r[0], r[1], r[2], r[7]) for r in rows] == [("1", "乡—村", "三江测试镇中心幼儿园", "三江测试村幼儿园")]
    html = client.get(reverse("pairings:arrangement_preschool_county_township")).content.decode()
    assert "融水县城幼儿园" in html and "全部县（区）（每县一张表）" in html


def test_r27_the_sheets_are_set_to_print_and_stamp_for_the_filing_unit(as_, plan, monkeypatch):
    seen = []
    import liuzhou_pairing.reports as reports

    real = reports.xlsx_response

    def capture(stem, sheets, **kw):
        seen.extend(sheets)
        return real(stem, sheets, **kw)

    monkeypatch.setattr(reports, "xlsx_response", capture)
    download(as_("city"), "pairings:arrangement_high_schools")
    download(as_("rongshui"), "pairings:arrangement_districts")
    download(as_("city"), "pairings:arrangement_compulsory", county=plan.sanjiang.pk)
    assert [(s.name, s.title, s.unit, s.printable, s.stamp) for s in seen] == [
        ("普通高中结对帮扶安排表", "普通高中结对帮扶安排表", "柳州市教育局", True, True),
        ("对口帮扶县（区）安排表", "对口帮扶县（区）安排表", "融水县教育局", True, True),
        ("三江县", "柳州市三级中小学结对帮扶安排表", "三江县教育局", True, True),
    ]


def test_r27_file_names_are_the_official_names(as_):
    disposition = download(as_("city"), "pairings:arrangement_special")["Content-Disposition"]
    assert "%E7%89%B9%E6%AE%8A%E6%95%99%E8%82%B2" in disposition  # 特殊教育


@pytest.mark.parametrize("name", TABLES)
def test_r27_a_school_may_not_read_the_tables_and_the_home_page_lists_them(client, as_, plan, name):
    school = user_create(actor=SYSTEM, username="s", role="school", school=plan.central, password=PASSWORD)[0]
    client.force_login(school)
    assert client.get(reverse(name)).status_code == 403
    home = as_("city").get(reverse("admin:index")).content.decode()
    assert reverse(name) in home and TABLES[name] in home


@pytest.mark.parametrize("name", TABLES)
def test_r27_query_counts_stay_bounded_as_the_tables_grow(as_, plan, name, django_assert_max_num_queries):
    client = as_("city")
    with django_assert_max_num_queries(25) as page:
        client.get(reverse(name))
    with django_assert_max_num_queries(25) as file:
        download(client, name)
    # The counts are read now: the next request empties the connection's log they are sliced from.
    page_queries, file_queries = len(page), len(file)
    top = School.objects.get(name="柳州高中")
    for i in range(15):
        helper = SchoolFactory(name=f"鱼峰区测试小学{i}", county=plan.yufeng, location=Location.URBAN,
                               standing=Standing.HIGH_QUALITY)  # fmt: skip
        recipient = SchoolFactory(name=f"融水测试村小学{i}", county=plan.rongshui, township=plan.town,
                                  location=Location.TOWNSHIP, standing=Standing.WEAK)  # fmt: skip
        plan.pair(helper, recipient, Stage.COMPULSORY, Tier.CITY_COUNTY, plan.yufeng)
        high = SchoolFactory(name=f"融水测试高中{i}", county=plan.rongshui, school_type=SchoolType.SENIOR_HIGH)
        pairing_create(helper=top, recipient=high, stage=Stage.HIGH_SCHOOL, tier=Tier.CITY_COUNTY, cycle=plan.cycle,
                       actor=SYSTEM)  # fmt: skip
        kg = SchoolFactory(name=f"融水测试村幼儿园{i}", county=plan.rongshui, township=plan.town, village=plan.village,
                           school_type=SchoolType.KINDERGARTEN, location=Location.VILLAGE)  # fmt: skip
        plan.pair(plan.central_kg, kg, Stage.PRESCHOOL, Tier.TOWNSHIP_VILLAGE, plan.rongshui)
        town_kg = SchoolFactory(name=f"融水测试镇幼儿园{i}", county=plan.rongshui, township=plan.town,
                                school_type=SchoolType.KINDERGARTEN, location=Location.TOWNSHIP)  # fmt: skip
        plan.pair(plan.town_kg, town_kg, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP, plan.rongshui)
    rows = sum(len(rows) for _title, rows in page_tables(client.get(reverse(name))))
    assert rows >= 15 or name in ("pairings:arrangement_districts", "pairings:arrangement_special")
    with django_assert_max_num_queries(page_queries):
        client.get(reverse(name))
    with django_assert_max_num_queries(file_queries):
        download(client, name)
