"""The export_tables command writes the arrangement tables (R27) the pages download, cell by cell: the city's six,
or the six a county bureau reads; unknown cycles and counties are refused in Chinese."""

import io

import openpyxl
import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from .test_arrangement import TABLES, Plan, download

FILES = {name: f"{title}.xlsx" for name, title in TABLES.items()}


@pytest.fixture
def plan(liuzhou):
    return Plan()


@pytest.fixture
def as_(client, plan):
    def login(name):
        client.force_login(plan.users[name])
        return client

    return login


def cells(book) -> list[tuple[str, list[tuple], list[str]]]:
    """Every sheet's name, every cell's value and the merged ranges."""
    return [
        (sheet.title, list(sheet.iter_rows(values_only=True)), sorted(str(r) for r in sheet.merged_cells.ranges))
        for sheet in book.worksheets
    ]


def export(tmp_path, *args) -> str:
    out = io.StringIO()
    call_command("export_tables", *args, "--out", str(tmp_path), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("cycle", ["2016", "2016—2020年帮扶周期"])
def test_r27_the_command_writes_the_citys_six_tables_as_the_pages_download_them(tmp_path, as_, plan, cycle):
    plan.cycle.name = "2016—2020年帮扶周期"
    plan.cycle.save()
    output = export(tmp_path / "city", "--cycle", cycle)
    assert sorted(p.name for p in (tmp_path / "city").iterdir()) == sorted(FILES.values())
    client = as_("city")
    for name, file in FILES.items():
        assert file in output
        written = openpyxl.load_workbook(tmp_path / "city" / file)
        web = openpyxl.load_workbook(io.BytesIO(download(client, name).content))
        assert cells(written) == cells(web), name
    compulsory = openpyxl.load_workbook(tmp_path / "city" / FILES["pairings:arrangement_compulsory"])
    assert len(compulsory.sheetnames) == 10  # a sheet per county, as the city's page gives by default


@pytest.mark.parametrize("county", ["融水", "融水县", "融水苗族自治县", "450225"])
def test_r27_with_a_county_the_command_writes_the_tables_its_bureau_downloads(tmp_path, as_, plan, county):
    assert plan.rongshui.code == "450225"
    export(tmp_path, "--cycle", "2016", "--county", county)
    client = as_("rongshui")
    for name, file in FILES.items():
        written = openpyxl.load_workbook(tmp_path / file)
        web = openpyxl.load_workbook(io.BytesIO(download(client, name).content))
        assert cells(written) == cells(web), name
    assert openpyxl.load_workbook(tmp_path / FILES["pairings:arrangement_compulsory"]).sheetnames == ["融水县"]
    districts = openpyxl.load_workbook(tmp_path / FILES["pairings:arrangement_districts"]).active
    assert ("鱼峰区", "融水县") in list(districts.iter_rows(values_only=True))
    assert ("柳南区", "三江县") not in list(districts.iter_rows(values_only=True))


def test_r27_an_unknown_cycle_or_county_is_refused_naming_the_valid_ones(tmp_path, plan):
    with pytest.raises(CommandError) as error:
        export(tmp_path / "x", "--cycle", "2030")
    assert "没有" in str(error.value) or "未知" in str(error.value)
    assert plan.cycle.name in str(error.value)
    with pytest.raises(CommandError) as error:
        export(tmp_path / "x", "--cycle", "2016", "--county", "火星县")
    assert "融水县" in str(error.value) and "火星县" in str(error.value)
    with pytest.raises(CommandError) as error:
        export(tmp_path / "x", "--cycle", "2016", "--county", "柳")  # 柳南区, 柳北区, 柳江区, 柳城县 …
    assert "不止" in str(error.value) or "多个" in str(error.value)
    assert not (tmp_path / "x").exists()


def test_the_command_exits_non_zero_on_an_error(tmp_path, plan, capsys):
    # From the shell, manage.py turns the CommandError into a message on stderr and exit status 1.
    utility = ManagementUtility(["manage.py", "export_tables", "--cycle", "2030", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code == 1
    assert "2030" in capsys.readouterr().err
