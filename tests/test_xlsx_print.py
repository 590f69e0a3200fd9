"""The kernel's print-ready workbooks: an official table (a printable sheet) reopens with its merged title in the
heading font, the filing unit's line, a bordered body in 仿宋_GB2312 that wraps, A4 landscape one page wide with the
header repeated and page numbers, the signature block below the rows, and formula-looking text kept as text; a
list sheet beside it keeps its filter."""

import io

import openpyxl
import pytest

from liuzhou_pairing.xlsx import (
    BODY_FONT,
    PRINT_MAX_WIDTH,
    PRINT_MIN_WIDTH,
    PRINT_WIDTH,
    TITLE_FONT,
    Column,
    Sheet,
    display_width,
    print_widths,
    signature_widths,
    write_workbook,
)

COLUMNS = [Column("序号", kind="int"), Column("帮扶学校"), Column("联系电话"), Column("受援学校"), Column("备注")]
ROWS = [
    [1, "柳州市第一中学", "+86 772 1234567", "融水苗族自治县民族高级中学", None],
    [2, "=1+1", "0772-2345678", "三江侗族自治县中学", "市定结对，" * 15],
    [3, "柳州高级中学", "", "融安县高级中学", "=SUM(A1:A2)"],
]


def reopen(sheets):
    data = io.BytesIO()
    counts = write_workbook(data, sheets)
    return counts, openpyxl.load_workbook(io.BytesIO(data.getvalue()))


@pytest.fixture
def table():
    spec = Sheet("普通高中结对帮扶安排表", COLUMNS, ROWS, title="普通高中结对帮扶安排表", unit="柳州市教育局",
                 printable=True, stamp=True)  # fmt: skip
    counts, book = reopen([spec])
    assert counts == [3]
    return book["普通高中结对帮扶安排表"]


def test_the_title_is_merged_across_every_column_in_the_heading_font_and_the_unit_line_is_under_it(table):
    assert table["A1"].value == "普通高中结对帮扶安排表"
    assert "A1:E1" in {str(r) for r in table.merged_cells.ranges}
    assert table["A1"].font.name == TITLE_FONT and table["A1"].font.sz == 16
    assert table["A1"].alignment.horizontal == "center"
    assert table["A2"].value == "填报单位：柳州市教育局" and table["A2"].alignment.horizontal == "left"
    assert [c.value for c in table[3]] == ["序号", "帮扶学校", "联系电话", "受援学校", "备注"]


def test_header_and_body_are_bordered_in_the_body_font_wrapped_and_centred_vertically(table):
    for cell in [*table[3], *table[4], *table[6]]:
        assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", cell.coordinate
        assert cell.alignment.wrap_text and cell.alignment.vertical == "center", cell.coordinate
    for cell in [*table[4], *table[5], *table[6]]:
        assert cell.font.name == BODY_FONT and cell.font.sz == 11, cell.coordinate
    assert table["E4"].value is None and table["E4"].border.top.style == "thin"  # a blank cell keeps its grid
    assert table["A4"].value == 1 and table["A4"].data_type == "n"


def test_formula_looking_text_stays_text_on_a_printable_sheet(table):
    for coordinate, text in [("B5", "=1+1"), ("C4", "+86 772 1234567"), ("E6", "=SUM(A1:A2)")]:
        cell = table[coordinate]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_it_prints_on_a4_landscape_one_page_wide_with_the_header_repeated_and_page_numbers(table):
    assert table.print_title_rows == "$3:$3"
    assert table.page_setup.orientation == "landscape" and int(table.page_setup.paperSize) == 9
    assert table.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (fitToWidth absent means the default, 1), as many pages high as the rows need.
    assert (int(table.page_setup.fitToWidth or 1), int(table.page_setup.fitToHeight)) == (1, 0)
    assert table.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert table.print_options.horizontalCentered
    assert table.auto_filter.ref is None  # an official table is printed whole, in its order
    assert table.freeze_panes == "A4"
    widths = [table.column_dimensions[letter].width for letter in "ABCDE"]
    assert sum(widths) <= PRINT_WIDTH + 5  # xlsxwriter stores each width with the column's padding
    assert widths[4] < PRINT_MAX_WIDTH + 1  # the long remark wraps in a column narrowed for the page


def test_the_signature_block_with_room_for_the_seal_is_below_the_last_row(table):
    last_row = 6
    labels = {cell.value: cell for row in table.iter_rows(min_row=last_row + 1) for cell in row if cell.value}
    assert set(labels) == {"填报单位（盖章）：", "填报人：", "联系电话：", "填报日期：      年    月    日"}
    unit, signer = labels["填报单位（盖章）："], labels["填报人："]
    assert unit.row == signer.row == last_row + 2 and labels["联系电话："].row == unit.row + 1
    assert unit.column < signer.column and labels["联系电话："].column == unit.column
    assert table.row_dimensions[unit.row].height >= 80  # room for the seal
    assert {"A8:B8", "C8:E8", "A9:B9", "C9:E9"} <= {str(r) for r in table.merged_cells.ranges}


def test_a_printable_sheet_without_unit_or_stamp_draws_neither_and_a_list_sheet_beside_it_is_unchanged():
    counts, book = reopen([
        Sheet("安排表", COLUMNS, ROWS, title="安排表", printable=True),
        Sheet("学校名单", COLUMNS, ROWS),
    ])  # fmt: skip
    printable, plain = book["安排表"], book["学校名单"]
    assert [c.value for c in printable[2]][:2] == ["序号", "帮扶学校"]  # the header right under the title
    assert printable.print_title_rows == "$2:$2" and printable.max_row == 5  # no signature block
    assert plain["A2"].font.name != BODY_FONT and plain["A2"].border.left.style is None
    assert plain.auto_filter.ref == "A1:E4" and plain.oddFooter.center.text is None


def test_print_widths_fit_the_page_and_keep_narrow_tables_as_they_are():
    assert print_widths([10, 20, 30]) == [10, 20, 30]
    assert print_widths([80]) == [40]
    narrowed = print_widths([30] * 15)
    assert sum(narrowed) <= PRINT_WIDTH and min(narrowed) >= PRINT_MIN_WIDTH
    # The widest are narrowed first: a number (4), a phone (13) and a short header (8) keep their width, the long
    # names wrap.
    table = [4, 8, 40, 13, 36, 13, 30, 8]
    narrowed = print_widths(table)
    assert sum(narrowed) <= PRINT_WIDTH and sum(narrowed) > PRINT_WIDTH - len(table)
    assert [narrowed[i] for i in (0, 1, 3, 5, 7)] == [4, 8, 13, 13, 8]
    assert narrowed[2] == narrowed[4] == narrowed[6] < 30


def test_twenty_thousand_rows_stream_to_a_printable_sheet():
    rows = ([n, f"柳州市第{n}小学", "0772-1234567", f"融水县第{n}小学", ""] for n in range(1, 20_001))
    data = io.BytesIO()
    counts = write_workbook(data, [Sheet("三级安排表", COLUMNS, rows, title="柳州市三级中小学结对帮扶安排表",
                                         unit="融水苗族自治县教育局", printable=True, stamp=True)])  # fmt: skip
    assert counts == [20_000]
    sheet = openpyxl.load_workbook(io.BytesIO(data.getvalue()), read_only=True)["三级安排表"]
    last = list(sheet.iter_rows(min_row=20_003, max_row=20_003, values_only=True))[0]
    assert last[:2] == (20_000, "柳州市第20000小学")
    labels = list(sheet.iter_rows(min_row=20_005, max_row=20_005, values_only=True))[0]
    assert labels[0] == "填报单位（盖章）："


def test_narrow_columns_are_widened_to_hold_the_signature_labels_and_room_to_write():
    columns = [Column("帮扶县区"), Column("受援县区")]
    counts, book = reopen([Sheet("对口帮扶县（区）安排表", columns, [["城中区", "融水县"]],
                                 title="对口帮扶县（区）安排表", printable=True, stamp=True)])  # fmt: skip
    sheet = book["对口帮扶县（区）安排表"]
    assert sheet["A5"].value == "填报单位（盖章）：" and sheet["B5"].value == "填报人："
    assert sheet.column_dimensions["A"].width >= display_width("填报单位（盖章）：") + 10
    assert sheet.column_dimensions["B"].width >= display_width("填报日期：") + 10
    assert signature_widths([4]) == [display_width("填报日期：      年    月    日") + 16]  # one label a line
    assert signature_widths([40, 40, 40, 40]) == [40, 40, 40, 40]
