"""The kernel's workbook writer: files reopen with the values written, formulas stay text, the header is frozen and
filterable, widths fit Chinese text, and a Chinese file name survives the download header."""

import datetime
import io

import openpyxl

from liuzhou_pairing.xlsx import Column, Sheet, content_disposition, display_width, filename, write_workbook


def reopen(sheets):
    data = io.BytesIO()
    counts = write_workbook(data, sheets)
    return counts, openpyxl.load_workbook(io.BytesIO(data.getvalue()))


def test_a_workbook_reopens_with_its_values_and_keeps_formula_looking_text_as_text():
    rows = [['=HYPERLINK("http://x")', 3, datetime.date(2026, 9, 1)], ["融水苗族自治县第一小学", 0, None]]
    counts, book = reopen([Sheet("学校名单", [Column("学校名称"), Column("人数", kind="int"),
                                              Column("日期", kind="date")], rows)])  # fmt: skip
    sheet = book["学校名单"]
    assert counts == [2]
    assert [c.value for c in sheet[1]] == ["学校名称", "人数", "日期"]
    formula = sheet["A2"]
    assert (formula.value, formula.data_type, formula.quotePrefix) == ('=HYPERLINK("http://x")', "s", True)
    assert (sheet["B2"].value, sheet["C2"].value.date()) == (3, datetime.date(2026, 9, 1))
    assert sheet["A3"].value == "融水苗族自治县第一小学" and sheet["C3"].value is None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    assert sheet.column_dimensions["A"].width >= display_width("融水苗族自治县第一小学")


def test_a_title_line_sits_above_the_header_and_choices_become_a_drop_down():
    counts, book = reopen([Sheet("模板", [Column("学校名称"), Column("学段", choices=["学前教育", "义务教育"])],
                                 [], title="结对安排表")])  # fmt: skip
    sheet = book["模板"]
    assert counts == [0]
    assert sheet["A1"].value == "结对安排表" and "A1:B1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [c.value for c in sheet[2]] == ["学校名称", "学段"]
    validation = sheet.data_validations.dataValidation[0]
    assert validation.type == "list" and "学前教育" in validation.formula1


def test_downloads_have_chinese_names_with_the_date():
    assert filename("学校名单", datetime.date(2026, 11, 29)) == "学校名单_2026-11-29.xlsx"
    header = content_disposition("学校名单_2026-11-29.xlsx")
    assert "filename*=UTF-8''%E5%AD%A6%E6%A0%A1%E5%90%8D%E5%8D%95_2026-11-29.xlsx" in header
    assert header.startswith('attachment; filename="download_2026-11-29.xlsx"')
