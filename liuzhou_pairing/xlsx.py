"""Every workbook the system writes comes from here: xlsxwriter in constant-memory mode (each row is written and
dropped, so a 100,000-row list costs no more memory than a short one), from the rows a selector yields.

A list sheet has Chinese column headers, a frozen and filterable header row, column widths that fit Chinese text, and
print setup (landscape, fit to page width, the header row repeated on every printed page). Text that a spreadsheet
would run as a formula (=, +, -, @ …) is written as a text cell with the quote-prefix style: Excel shows it as
text and never evaluates it, and reading the file back gives the text unchanged.

A printable sheet is an official table to print and stamp: its title in the heading font of official documents,
the filing unit's line under it, a bordered header and body in 仿宋_GB2312 with wrapped text, columns narrowed to
fit A4 landscape, page numbers in the footer, no filter (its rows are printed whole, in their order) and, for a
stamped one, the signature block with room for the seal.
"""

import datetime
import io
import itertools
import re
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Cells starting with these can be run as formulas by spreadsheet programs (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """Return whether a spreadsheet program could run `value` as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def escape_formula(value: Any) -> Any:
    """Return `value` made inert for a CSV file, where only a leading apostrophe can protect it. (A workbook keeps
    the text as it is and marks the cell with the quote-prefix style instead.)"""
    return "'" + value if looks_like_formula(value) else value


def unescape_formula(value: Any) -> Any:
    """Undo `escape_formula`: drop the one leading apostrophe of formula-looking text read back from a file, so that
    an exported file imports unchanged."""
    if isinstance(value, str) and value.startswith("'") and looks_like_formula(value[1:]):
        return value[1:]
    return value


# Widths are in characters of the default font: a Chinese character takes about two.
MIN_WIDTH, MAX_WIDTH = 6, 60
# Rows looked at to size the columns (the rest are streamed without being measured).
MEASURED_ROWS = 200

# Printable sheets: fonts of official documents (the workbook names them; a computer without them substitutes).
TITLE_FONT, BODY_FONT, HEADER_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"
# The width of A4 landscape inside the margins, in characters of the default font (297 mm less 2 × 12.7 mm is about
# 1,026 pixels, a character about 7), less some slack for the columns' padding; a printable sheet's columns are
# narrowed to fit it (wrapping the text), and each column to at most PRINT_MAX_WIDTH.
PRINT_WIDTH, PRINT_MIN_WIDTH, PRINT_MAX_WIDTH = 130, 4, 40
FOOTER = "&C第 &P 页 共 &N 页"
SIGNATURE = (("填报单位（盖章）：", "填报人："), ("联系电话：", "填报日期：      年    月    日"))
SIGNATURE_ROOM = 16  # characters left to write in after a signature label
SEAL_ROW_HEIGHT = 90  # points: room for a round seal of 42 mm (about 120 points) stamped across the unit's line


# Wide characters (CJK, full-width): every code point from U+2E80 on.
WIDE = re.compile("[\u2e80-\U0010ffff]")


def display_width(text: str) -> int:
    """Return the width of `text` in narrow characters: two for each wide (CJK, full-width) character."""
    if text.isascii():
        return len(text)
    return 2 * len(text) - len(WIDE.sub("", text))


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, how to get its value from a row, and its kind (text, int, date, percent)."""

    header: str
    value: Callable[[Any], Any] | None = None  # default: the row is a sequence, taken by position
    kind: str = "text"
    width: int | None = None  # fixed width in characters; default: fitted to the header and the first rows
    choices: Sequence[str] = ()  # a drop-down list of allowed values (templates)


@dataclass
class Sheet:
    """A sheet to write: its name (at most 31 characters), columns and rows. `title`, when given, is a merged
    line above the header (the name of an official table)."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Any] = ()
    title: str = ""
    notes: Sequence[str] = field(default_factory=tuple)  # lines written below the rows
    filterable: bool = True
    # An official table to print and stamp (R25, R27): the filing unit's line under the title, a bordered body in
    # the CJK fonts of official documents with page numbers, and the signature block (填报单位（盖章）…) below.
    unit: str = ""
    printable: bool = False
    stamp: bool = False


class _Formats:
    number = blank = None  # numbers and blank cells of a list sheet have no format

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                       "valign": "vcenter"})  # fmt: skip
        self.title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.text = book.add_format({"num_format": "@"})
        self.quoted = book.add_format({"num_format": "@", "quote_prefix": True})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.percent = book.add_format({"num_format": "0.0%"})


class _PrintFormats:
    """The formats of a printable sheet: every body cell bordered, in the body font, wrapped and centred
    vertically, blank ones included (so that the grid prints whole)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        body = {"font_name": BODY_FONT, "font_size": 11, "border": 1, "text_wrap": True, "valign": "vcenter"}
        self.header = book.add_format({**body, "font_name": HEADER_FONT, "align": "center"})
        self.title = book.add_format({"font_name": TITLE_FONT, "font_size": 16, "align": "center",
                                      "valign": "vcenter", "text_wrap": True})  # fmt: skip
        self.unit = book.add_format({"font_name": BODY_FONT, "font_size": 12, "align": "left", "valign": "vcenter"})
        self.note = book.add_format({"font_name": BODY_FONT, "font_size": 11})
        self.signature = book.add_format({"font_name": BODY_FONT, "font_size": 12, "align": "left",
                                          "valign": "vcenter"})  # fmt: skip
        self.text = book.add_format({**body, "num_format": "@"})
        self.quoted = book.add_format({**body, "num_format": "@", "quote_prefix": True})
        self.date = book.add_format({**body, "num_format": "yyyy-mm-dd", "align": "center"})
        self.percent = book.add_format({**body, "num_format": "0.0%"})
        self.number = book.add_format(body)
        self.blank = book.add_format(body)


def _cell(sheet, formats: _Formats, row: int, col: int, value: Any, kind: str) -> str:
    """Write one cell; return the text it shows (for sizing)."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, formats.blank)
        return ""
    if kind == "date" and isinstance(value, datetime.date):
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        sheet.write_datetime(row, col, value, formats.date)
        return value.strftime("%Y-%m-%d")
    if kind == "percent" and isinstance(value, int | float):
        sheet.write_number(row, col, value, formats.percent)
        return f"{value:.1%}"
    if kind == "int" and isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, value, formats.number)
        return str(value)
    text = str(value)
    sheet.write_string(row, col, text, formats.quoted if looks_like_formula(text) else formats.text)
    return text


def _merged_line(sheet, row: int, columns: int, text: str, cell_format) -> None:
    """Write `text` on `row`, merged across all `columns`."""
    if columns > 1:
        sheet.merge_range(row, 0, row, columns - 1, text, cell_format)
    else:
        sheet.write_string(row, 0, text, cell_format)


def print_widths(widths: Sequence[int]) -> list[int]:
    """Return `widths` narrowed so that their total fits A4 landscape (PRINT_WIDTH): each at most PRINT_MAX_WIDTH,
    then the widest narrowed first — one cap, as high as the page allows, none below PRINT_MIN_WIDTH — so that short
    entries (a phone number, a county's name, a header) stay on one line and long names wrap."""
    capped = [min(width, PRINT_MAX_WIDTH) for width in widths]
    if sum(capped) <= PRINT_WIDTH:
        return capped
    low, high = PRINT_MIN_WIDTH, max(capped)
    while low < high:  # the highest cap whose total fits
        cap = (low + high + 1) // 2
        if sum(min(width, cap) for width in capped) <= PRINT_WIDTH:
            low = cap
        else:
            high = cap - 1
    return [max(PRINT_MIN_WIDTH, min(width, low)) for width in capped]


def signature_widths(widths: Sequence[int]) -> list[int]:
    """Return `widths` widened where needed so that each half of the page's width holds its signature labels and
    room to write after them (the last column of a half takes what is missing)."""
    widths = list(widths)
    half = len(widths) // 2
    halves = [(0, half), (half, len(widths))] if half else [(0, len(widths))]
    for side, (first, end) in enumerate(halves):
        labels = [line[side] for line in SIGNATURE] if half else [label for line in SIGNATURE for label in line]
        needed = max(display_width(label) for label in labels) + SIGNATURE_ROOM
        widths[end - 1] += max(0, needed - sum(widths[first:end]))
    return widths


def _write_signature(sheet, formats: _PrintFormats, row: int, columns: int) -> None:
    """Write the signature block from `row`: two lines of two labels, each label followed by room to write in (the
    rest of its half of the width), the first line tall enough for the seal; one label a line on a one-column
    sheet."""
    half = columns // 2
    lines = [list(labels) for labels in SIGNATURE] if half else [[label] for labels in SIGNATURE for label in labels]
    for labels in lines:
        sheet.set_row(row, SEAL_ROW_HEIGHT if SIGNATURE[0][0] in labels else 30)
        spans = [(0, half - 1), (half, columns - 1)] if half else [(0, 0)]
        for (first, last), label in zip(spans, labels, strict=True):
            if last > first:
                sheet.merge_range(row, first, row, last, label, formats.signature)
            else:
                sheet.write_string(row, first, label, formats.signature)
        row += 1


def _final_widths(spec: Sheet, columns: Sequence[Column], measured: Sequence[int]) -> list[int]:
    widths = [column.width or min(max(measured[col], MIN_WIDTH), MAX_WIDTH) for col, column in enumerate(columns)]
    if spec.printable:
        widths = print_widths(widths)
    if spec.printable and spec.stamp and columns:
        widths = signature_widths(widths)
    return widths


def _shown(value: Any, kind: str) -> str:
    """The text a cell of `value` shows (as `_cell` writes it), for sizing."""
    if value is None or value == "":
        return ""
    if kind == "date" and isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:.1%}"
    return str(value)


# Points per printed line of the 11-point body font, and the padding of a row.
LINE_HEIGHT, ROW_PADDING = 14.5, 4


def _lines(text: str, room: int) -> int:
    """The lines `text` wraps to in a column of `room` characters."""
    return max(1, *(-(-display_width(part) // room) for part in text.split("\n")))


def _printed_height(texts: Sequence[str], widths: Sequence[int]) -> float:
    """The height a printed row needs for its wrapped texts in columns of `widths` characters."""
    pairs = zip(texts, widths, strict=True)
    lines = max((_lines(str(text), max(width - 1, 1)) for text, width in pairs if text), default=1)
    return lines * LINE_HEIGHT + ROW_PADDING


def _write_sheet(book: xlsxwriter.Workbook, formats: _Formats | _PrintFormats, spec: Sheet) -> int:
    sheet = book.add_worksheet(spec.name[:31])
    columns = list(spec.columns)
    widths = [display_width(c.header) + 2 for c in columns]
    row_index = 0
    if spec.title:
        sheet.set_row(0, 36 if spec.printable else 28)
        _merged_line(sheet, 0, len(columns), spec.title, formats.title)
        row_index = 1
    if spec.printable and spec.unit:
        sheet.set_row(row_index, 24)
        _merged_line(sheet, row_index, len(columns), f"填报单位：{spec.unit}", formats.unit)
        row_index += 1
    header_row = row_index
    rows: Iterable[Any] = spec.rows
    final: list[int] | None = None
    if spec.printable:
        # Printed rows get the height their wrapped text needs (spreadsheet programs do not refit rows of a file on
        # opening it): the widths come first, from the header and the first rows, held back while measured.
        rows = iter(spec.rows)
        head = list(itertools.islice(rows, MEASURED_ROWS))
        for row in head:
            for col, column in enumerate(columns):
                shown = _shown(column.value(row) if column.value is not None else row[col], column.kind)
                widths[col] = max(widths[col], display_width(shown) + 2)
        final = _final_widths(spec, columns, widths)
        rows = itertools.chain(head, rows)
        sheet.set_row(header_row, _printed_height([c.header for c in columns], final))
    for col, column in enumerate(columns):
        sheet.write_string(header_row, col, column.header, formats.header)
    row_index += 1
    count = 0
    getters = [column.value for column in columns]
    kinds = [column.kind for column in columns]
    positional = all(getter is None for getter in getters)
    write_string, write_blank = sheet.write_string, sheet.write_blank
    text_format, quoted_format, blank_format = formats.text, formats.quoted, formats.blank
    # A printed row's height: the most lines its texts wrap to, each text's lines in its column measured once (a
    # sheet repeats its counties, townships and periods row after row).
    rooms = [max(width - 1, 1) for width in final] if final is not None else []
    known_lines: list[dict[str, int]] = [{} for _ in columns]
    for row in rows:
        values = row if positional else [g(row) if g is not None else row[i] for i, g in enumerate(getters)]
        measured = count < MEASURED_ROWS
        lines = 1
        for col, value in enumerate(values):
            if type(value) is str:  # most cells: as `_cell` writes text, without its other cases
                shown = value
                if value:
                    write_string(row_index, col, value, quoted_format if value.startswith(FORMULA_PREFIXES)
                                 else text_format)  # fmt: skip
                else:
                    write_blank(row_index, col, None, blank_format)
            else:
                shown = _cell(sheet, formats, row_index, col, value, kinds[col])
            if not shown:
                continue
            if measured:
                widths[col] = max(widths[col], display_width(shown) + 2)
            if final is not None and 2 * len(shown) > rooms[col]:  # else one line, at two per character at most
                wrapped = known_lines[col].get(shown)
                if wrapped is None:
                    wrapped = known_lines[col][shown] = _lines(shown, rooms[col])
                if wrapped > lines:
                    lines = wrapped
        if final is not None:  # set before a later row is written (constant memory)
            sheet.set_row(row_index, lines * LINE_HEIGHT + ROW_PADDING)
        row_index += 1
        count += 1
    for col, column in enumerate(columns):
        if column.choices:
            sheet.data_validation(header_row + 1, col, 1_048_575, col, {
                "validate": "list", "source": list(column.choices),
                "error_title": "请从列表中选择", "error_message": "可选：" + "、".join(column.choices),
            })  # fmt: skip
    for note in spec.notes:
        row_index += 1
        if spec.printable:
            sheet.write_string(row_index, 0, note, formats.note)
        else:
            sheet.write_string(row_index, 0, note)
    if spec.printable and spec.stamp and columns:
        # One blank row between the table (or its notes) and the signature block.
        _write_signature(sheet, formats, row_index + (2 if spec.notes else 1), len(columns))
    widths = final if final is not None else _final_widths(spec, columns, widths)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(header_row + 1, 0)
    # A printable table keeps its order and all its rows: no filter (a filtered print would look whole).
    if spec.filterable and columns and not spec.printable:
        sheet.autofilter(header_row, 0, max(header_row, header_row + count), len(columns) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    if spec.printable:
        sheet.set_footer(FOOTER)
        sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
        sheet.center_horizontally()
    return count


def write_workbook(target: Any, sheets: Sequence[Sheet]) -> list[int]:
    """Write `sheets` to `target` (a path or a binary file); return the number of data rows of each sheet."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})  # fmt: skip
    formats = _Formats(book)
    print_formats = _PrintFormats(book) if any(spec.printable for spec in sheets) else None
    counts = [_write_sheet(book, print_formats if spec.printable else formats, spec) for spec in sheets]
    book.close()
    return counts


def filename(stem: str, today: datetime.date | None = None, extension: str = "xlsx") -> str:
    """Return a download's file name: the Chinese stem and the date, 学校名单_2026-11-29.xlsx."""
    return f"{stem}_{(today or timezone.localdate()).isoformat()}.{extension}"


def content_disposition(name: str) -> str:
    """Return an attachment header that keeps a Chinese file name in every browser (RFC 6266 / 5987)."""
    ascii_fallback = name.encode("ascii", "ignore").decode() or "download.xlsx"
    if ascii_fallback.startswith(("_", ".")):
        ascii_fallback = "download" + ascii_fallback
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


def xlsx_response(stem: str, sheets: Sequence[Sheet], today: datetime.date | None = None) -> HttpResponse:
    """Return an HTTP download of `sheets` named after `stem` and today's date."""
    data = io.BytesIO()
    write_workbook(data, sheets)
    response = HttpResponse(data.getvalue(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename(stem, today))
    return response
