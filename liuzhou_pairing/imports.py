"""Spreadsheet imports a county clerk can use: the admin side of django-import-export.

- The file's format is taken from its content (an xlsx workbook is a zip file), not from a choice or its name; a
  CSV file is read as UTF-8 (with or without BOM) or as GBK/GB18030, what Excel saves on Chinese Windows.
- Every file that cannot be read is refused with a Chinese message naming what is wrong (not a spreadsheet, empty,
  no data rows, required columns missing); no traceback is ever shown.
- The preview counts new, changed, unchanged and refused rows, lists the refused rows with their spreadsheet line
  (the header is line 1) and each reason under its Chinese column name, and shows every row only for a short file.
- Each import page offers a template: a data sheet with the headers and drop-down lists for the coded columns, and
  a sheet 填写说明 explaining each column with an example, derived from the resource so that it never drifts.
"""

import datetime
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import python_calamine
import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied
from django.core.files.base import ContentFile
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm
from import_export.results import RowResult

from .access import NotAllowed
from .resources import PREVIEW_ROWS, ChoiceWidget, ImportRefused, YesNoWidget, list_choices
from .xlsx import Column, Sheet, xlsx_response

logger = logging.getLogger(__name__)

# Refused rows listed on the page; a file with more says how many it left out.
REFUSED_ROWS_SHOWN = 500

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 (.xls), Word (.doc) …


class Unreadable(Exception):
    """The uploaded file cannot be imported as a whole; the message, in Chinese, says why."""


def _tidy(dataset) -> Any:
    """Strip the header cells (a stray space must not hide a column) and drop blank rows at the end (a formatted
    but empty area of a worksheet)."""
    if dataset.headers:
        dataset.headers = [str(h).strip() if h is not None else "" for h in dataset.headers]
    while len(dataset) and not any(str(v).strip() for v in dataset[-1] if v is not None):
        del dataset[-1]
    return dataset


def _cell(value: Any) -> Any:
    """Return a cell as openpyxl reads it: None for an empty cell, an int for a whole number, a datetime for a
    date (calamine reads 4502250099 as a float and a date cell as a date)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, datetime.time())
    return value


class XlsxFile(XLSX):
    """An xlsx workbook: the first visible worksheet, its first row the headers. Read by calamine (compiled), which
    reads a 10,000-row file in a fraction of a second where openpyxl takes seconds."""

    def create_dataset(self, in_stream, **kwargs: Any):
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(in_stream))
        index = next((i for i, sheet in enumerate(book.sheets_metadata)
                      if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
                      and sheet.visible == python_calamine.SheetVisibleEnum.Visible), 0)  # fmt: skip
        rows = book.get_sheet_by_index(index).to_python(skip_empty_area=False)
        dataset = tablib.Dataset()
        if rows:
            dataset.headers = [_cell(value) for value in rows[0]]
            for row in rows[1:]:
                dataset.append([_cell(value) for value in row])
        return _tidy(dataset)


class CsvFile(CSV):
    """A CSV file, stored as UTF-8 between the preview and the confirmation whatever encoding it came in."""

    def create_dataset(self, in_stream, **kwargs: Any):
        return _tidy(super().create_dataset(in_stream, **kwargs))


IMPORT_FORMATS = [XlsxFile, CsvFile]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable(_("The file is neither an xlsx workbook nor a CSV file saved as UTF-8 or GBK."))


def read_upload(data: bytes) -> tuple[int, bytes, Any]:
    """Return (index of the format in IMPORT_FORMATS, the bytes to keep for the confirmation, the dataset) of an
    uploaded file, judged by its content; raise Unreadable with the reason."""
    if not data.strip():
        raise Unreadable(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        try:
            dataset = XlsxFile().create_dataset(data)
        except Exception as error:  # calamine raises several kinds for a zip that is not a workbook
            raise Unreadable(_("The file is not an xlsx workbook (it may be a Word or another zip file).")) from error
        return 0, data, dataset
    if data.startswith(OLE2_MAGIC):
        raise Unreadable(_("The file is an old Excel 97–2003 workbook (.xls): save it as an xlsx workbook in Excel."))
    if b"\x00" in data[:4096]:
        raise Unreadable(_("The file is neither an xlsx workbook nor a CSV file saved as UTF-8 or GBK."))
    text = _decode(data)
    try:
        dataset = CsvFile(encoding=None).create_dataset(text)
    except Exception as error:  # tablib refuses a row longer than the header row
        raise Unreadable(
            _("A row of the CSV file has more cells than its header row: look for a stray comma.")
        ) from error
    return 1, text.encode("utf-8"), dataset


def importable_fields(resource) -> list:
    """Return the resource's fields a file may fill (not the read-only ones)."""
    return [f for f in resource.get_import_fields() if not f.readonly and f.attribute]


def _model_field(resource, resource_field) -> models.Field | None:
    try:
        return resource._meta.model._meta.get_field(resource_field.attribute)
    except FieldDoesNotExist:
        return None


def is_required(resource, resource_field) -> bool:
    """Return whether every row must fill this column (see BaseModelResource.required_fields)."""
    return any(f is resource_field for f in resource.required_fields())


def check_columns(dataset, resource) -> None:
    """Refuse a file without data rows or without a required column, naming the columns."""
    headers = set(dataset.headers or ())
    if not headers - {""}:
        raise Unreadable(_("The file has no header row: put the column names in its first row."))
    if not len(dataset):
        raise Unreadable(_("The file has only its header row and no data rows."))
    missing = [f.column_name for f in importable_fields(resource) if is_required(resource, f)
               and f.column_name not in headers]  # fmt: skip
    if missing:
        raise Unreadable(_("Required columns are missing: %(columns)s.") % {"columns": "、".join(missing)})
    known = {f.column_name for f in resource.get_import_fields()}
    if not headers & known:
        raise Unreadable(_("None of the file's columns is known: use the template's column names."))


def choices_of(resource_field) -> list[str]:
    """Return the values a coded column accepts, as written in a file (Chinese labels), or [] for free text."""
    widget = resource_field.widget
    if isinstance(widget, ChoiceWidget):
        with translation.override("zh-hans"):
            return [str(c.label) for c in widget.choices]
    if isinstance(widget, YesNoWidget):
        return ["是", "否"]
    return []


def column_help(resource, resource_field) -> str:
    """Return how to fill a column, in the user's language."""
    parts = []
    own = getattr(resource, "column_help", {}).get(resource_field.attribute)
    if own:
        parts.append(str(own))
    choices = choices_of(resource_field)
    if isinstance(resource_field.widget, YesNoWidget):
        parts.append(_("Write 是 or 否; blank means 否."))
    elif choices:
        parts.append(_("Choose from the list: %(choices)s.") % {"choices": list_choices(choices)})
    elif isinstance(resource_field.widget, widgets.DateWidget) and not own:
        parts.append(_("A date, such as 2026-09-01."))
    model_field = _model_field(resource, resource_field)
    if choices and not isinstance(resource_field.widget, YesNoWidget) and model_field is not None:
        if model_field.has_default() and model_field.get_default():
            default = resource_field.widget.render(model_field.get_default())
            parts.append(_("Blank means “%(default)s”.") % {"default": default})
    if not parts and model_field is not None and model_field.help_text:
        parts.append(str(model_field.help_text))
    return " ".join(parts)


def template_sheets(resource) -> list[Sheet]:
    """Return the sheets of an import template: the headers with drop-down lists, and the explanation of each
    column with an example (on its own sheet, so that a forgotten example never imports)."""
    columns = importable_fields(resource)
    examples = getattr(resource, "template_example", {})
    data = Sheet(
        name=_("Data"),
        columns=[Column(f.column_name, choices=choices_of(f)) for f in columns],
        rows=(),
    )
    explanation = Sheet(
        name=_("How to fill in"),
        columns=[
            Column(_("Column")),
            Column(_("Required")),
            Column(_("How to fill it in"), width=60),
            Column(_("Example"), width=30),
        ],  # fmt: skip
        rows=[
            (
                f.column_name,
                _("Required") if is_required(resource, f) else _("Optional"),
                column_help(resource, f),
                examples.get(f.attribute, ""),
            )
            for f in columns
        ],  # fmt: skip
        notes=(
            _(
                "Fill in the sheet “%(sheet)s”: one row per record, below the column names; leave out the columns "
                "you do not need, and do not change the column names."
            )
            % {"sheet": _("Data")},
            _("Save the file as xlsx, or as CSV (UTF-8 or GBK), and choose it on the import page."),
            *(str(note) for note in getattr(resource, "template_notes", ())),
        ),  # fmt: skip
        filterable=False,
    )
    return [data, explanation]


class FileImportForm(ImportForm):
    """The import form without a format choice: the format is taken from the file's content."""

    def __init__(self, formats, resources, **kwargs: Any) -> None:
        super().__init__(formats, resources, **kwargs)
        self.fields["format"].required = False
        self.fields["format"].widget = forms.HiddenInput()
        self.fields["import_file"].widget.attrs.pop("class", None)
        self.fields["import_file"].widget.attrs["accept"] = ".xlsx,.csv"
        self.fields["import_file"].label = gettext_lazy("File to import")
        self.fields["import_file"].help_text = gettext_lazy(
            "An xlsx workbook, or a CSV file saved as UTF-8 or GBK, with the column names in its first row."
        )

    @property
    def media(self) -> forms.Media:
        return forms.Media()  # no format to guess from the file name


@dataclass
class RefusedRow:
    """A row the import refused: its spreadsheet line (the header is line 1) and each (column, reason)."""

    line: int
    reasons: list[tuple[str, str]]
    values: list[Any] = field(default_factory=list)


@dataclass
class Preview:
    """What an import would do, counted, with the rows it refused and the errors of the file as a whole."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    refused_rows: list[RefusedRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    show_rows: bool = False
    headers: list[str] = field(default_factory=list)  # the resource's columns the file has
    rows: list[tuple[str, list]] = field(default_factory=list)  # a short file's rows: (import type, changes)
    notices: list[str] = field(default_factory=list)  # what the resource says besides the counts (`notices`)

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged + self.refused

    @property
    def refused_left_out(self) -> int:
        return max(self.refused - len(self.refused_rows), 0)


def _column_names(resource) -> dict[str, str]:
    names = {}
    for resource_field in resource.get_import_fields():
        if resource_field.attribute:
            names.setdefault(resource_field.attribute, resource_field.column_name)
    return names


def _error_text(error: BaseException) -> str:
    """Return the message of a row's or the file's error for the user; anything unforeseen is logged, not shown."""
    if isinstance(error, NotAllowed | ImportRefused):
        return str(error)
    logger.error("Import failed", exc_info=error)
    return _("An unexpected error stopped the import; nothing was imported. Tell the system's administrator.")


def preview_of(result, resource, *, file_headers: Iterable[str] = (), limit: int = REFUSED_ROWS_SHOWN) -> Preview:
    """Count the rows of an import result and collect the refused ones, each reason under its column name; show
    the columns of the file (`file_headers`) of each refused row and, for a short file, of every row."""
    totals = result.totals
    preview = Preview(
        new=totals[RowResult.IMPORT_TYPE_NEW],
        changed=totals[RowResult.IMPORT_TYPE_UPDATE],
        unchanged=totals[RowResult.IMPORT_TYPE_SKIP],
        refused=totals[RowResult.IMPORT_TYPE_INVALID] + totals[RowResult.IMPORT_TYPE_ERROR],
        show_rows=result.total_rows <= PREVIEW_ROWS,
    )
    present = set(file_headers)
    shown = [i for i, header in enumerate(result.diff_headers) if header in present]
    preview.headers = [result.diff_headers[i] for i in shown]
    if preview.show_rows:
        preview.rows = [(row.import_type, [row.diff[i] for i in shown if i < len(row.diff)])
                        for row in result.valid_rows()]  # fmt: skip
    names = _column_names(resource)
    refused: list[RefusedRow] = []
    for row in result.invalid_rows:
        reasons = []
        for key, messages_ in row.error_dict.items():
            column = "" if key == NON_FIELD_ERRORS else names.get(key) or _verbose_name(resource, key)
            reasons.extend((column, str(m)) for m in messages_)
        values = [row.values[i] for i in shown if i < len(row.values)]
        refused.append(RefusedRow(line=row.number + 1, reasons=reasons, values=values))
    for number, errors in result.row_errors():
        refused.append(RefusedRow(line=number + 1, reasons=[("", _error_text(e.error)) for e in errors]))
    refused.sort(key=lambda r: r.line)
    preview.refused_rows = refused[:limit]
    preview.file_errors = [_error_text(e.error) for e in result.base_errors]
    if not refused and not preview.file_errors:
        preview.notices = list(getattr(resource, "notices", None) or ())
    return preview


def _verbose_name(resource, key: str) -> str:
    try:
        return str(resource._meta.model._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return ""


def lines(refused: Iterable[RefusedRow]) -> list[str]:
    """Return one line of text per refused row: 第 3 行：学校名称：…；…"""
    texts = []
    for row in refused:
        reasons = "；".join(f"{column}：{message}" if column else message for column, message in row.reasons)
        texts.append(_("Line %(line)s: %(reasons)s") % {"line": row.line, "reasons": reasons})
    return texts


class ImportMixin:
    """The admin's import pages: format from the file's content, Chinese refusals, counted previews, templates."""

    import_template_name = "admin/import_export/clerk_import.html"
    import_form_class = FileImportForm
    import_formats = IMPORT_FORMATS

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import_template"
        return [path("import/template/", self.admin_site.admin_view(self.import_template_view), name=name),
                *super().get_urls()]  # fmt: skip

    def import_template_view(self, request):
        """Download the import template of the page's resource."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource_classes(request)[0]()
        stem = _("%(model)s import template") % {"model": self.opts.verbose_name_plural}
        return xlsx_response(stem, template_sheets(resource))

    def get_import_data_kwargs(self, **kwargs):
        # Confirming re-reads the file against the records as they are now: a row refused then rolls back the
        # whole file, as in the preview.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def import_action(self, request, **kwargs):
        """Read the uploaded file (its format from its content), refuse it in Chinese when it cannot be imported,
        else preview the import: counts, refused rows, and every row of a short file."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = self.get_import_context_data()
        import_formats = self.get_import_formats()
        form = self.create_import_form(request)
        resource_classes = self.get_import_resource_classes(request)
        resource = resource_classes[0](**self.get_import_resource_kwargs(request, form=form, **kwargs))
        if request.method == "POST" and form.is_valid():
            resource = self.choose_import_resource_class(form, request)(
                **self.get_import_resource_kwargs(request, form=form, **kwargs)
            )
            upload = form.cleaned_data["import_file"]
            try:
                index, stored, dataset = read_upload(b"".join(upload.chunks()))
                check_columns(dataset, resource)
            except Unreadable as error:
                form.add_error("import_file", str(error))
            else:
                context.update(self._preview(request, form, resource, upload, index, stored, dataset, **kwargs))
        context.update(self.admin_site.each_context(request))
        context.update({
            "title": _("Import %(model)s") % {"model": self.opts.verbose_name_plural},
            "form": form,
            "opts": self.opts,
            "media": self.media + form.media,
            "import_error_display": self.import_error_display,
            "template_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template"),
            "columns": [(f.column_name, is_required(resource, f)) for f in importable_fields(resource)],
            "import_formats": import_formats,
        })  # fmt: skip
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def _preview(self, request, form, resource, upload, index, stored, dataset, **kwargs) -> dict:
        input_format = self.get_import_formats()[index]()
        tmp_storage = self.write_to_tmp_storage(ContentFile(stored), input_format)
        upload.tmp_storage_name = tmp_storage.name
        form.cleaned_data["format"] = str(index)
        result = resource.import_data(
            dataset, dry_run=True, raise_errors=False, file_name=upload.name, user=request.user,
            **self.get_import_data_kwargs(request=request, form=form, **kwargs),
        )  # fmt: skip
        context = {"result": result, "preview": preview_of(result, resource, file_headers=dataset.headers)}
        if result.has_errors() or result.has_validation_errors():
            tmp_storage.remove()
        else:
            context["confirm_form"] = self.create_confirm_form(request, import_form=form)
        return context

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        preview = preview_of(result, self.get_import_resource_classes(request)[0](), limit=50)
        for text in preview.file_errors + lines(preview.refused_rows):
            messages.error(request, text)
        messages.error(request, _("Nothing was imported: records changed since the preview. Import the file again."))
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(request, _("Imported: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.") % {
            "new": totals[RowResult.IMPORT_TYPE_NEW], "changed": totals[RowResult.IMPORT_TYPE_UPDATE],
            "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
        })  # fmt: skip
