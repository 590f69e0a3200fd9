"""The admin's export button, written by the kernel's workbook module.

django-import-export reads imports; its export view is replaced here so that every exported file comes from
`liuzhou_pairing.xlsx` (xlsxwriter, constant memory) or, for CSV, from one writer that keeps formula-looking text
inert. Rows come from the admin's scoped list (`for_user`, with the list's search and filters), read in chunks,
so an export costs a fixed number of queries and its memory does not grow with the rows. Columns are the resource's
own, headed with the import file's column names, so an exported file imports back unchanged.

Where it can, an export reads `values_list` rows, not model objects (`export_plan`): each column names the values it
reads and turns them into the cell its field's widget would render for the object (a choice's label by a dict look-
up, a county by its short name), several times faster at 20,000 rows. A resource whose columns need the object (a
`dehydrate_` method, a widget rendering an object, a list annotated with counts) is read as objects, with every
related object its columns show loaded in the same query.
"""

import csv
import dataclasses
import datetime
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets
from import_export.formats.base_formats import CSV, XLSX
from import_export.signals import post_export

from .db_router import reading_replica
from .resources import BaseModelResource
from .xlsx import (
    CONTENT_TYPE,
    Column,
    Sheet,
    content_disposition,
    escape_formula,
    filename,
    write_workbook,
)

# Rows read from the database at a time: large enough for few round trips, small enough to keep memory flat.
CHUNK_SIZE = 2000

FORMAT_LABELS = {
    XLSX: gettext_lazy("Spreadsheet (xlsx)"),
    CSV: gettext_lazy("Comma-separated text (csv)"),
}


class ExportForm(forms.Form):
    """Choose the file format; the columns are always the import file's, so that the file imports back."""

    format = forms.ChoiceField(label=gettext_lazy("File format"), widget=forms.RadioSelect)
    # Kept for links and scripts that name the resource; every admin here has one.
    resource = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, formats: Sequence[type], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [
            (str(i), FORMAT_LABELS.get(f, f().get_title())) for i, f in enumerate(formats)
        ]
        self.fields["format"].initial = "0"


def related_paths(model: type[Model], attributes: Iterable[str]) -> list[str]:
    """Return the foreign-key paths (for `select_related`) that the given field attributes read."""
    paths = set()
    for attribute in attributes:
        current, path = model, []
        for part in attribute.split("__"):
            try:
                field = current._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if not (field.many_to_one or field.one_to_one) or field.related_model is None:
                break
            path.append(part)
            current = field.related_model
        if path:
            paths.add("__".join(path))
    return sorted(paths)


def resource_columns(resource) -> list[Column]:
    """Return the resource's export fields as workbook columns, headed with the import file's column names and
    valued as the resource renders them (dates as dates)."""
    resource.escape_formulas = False  # the writers protect formula-looking text themselves

    def value(field):
        return lambda obj: resource.export_field(field, obj, force_native_type=True)

    columns = []
    for field in resource.get_export_fields():
        kind = "date" if isinstance(field.widget, widgets.DateWidget | widgets.DateTimeWidget) else "text"
        columns.append(Column(str(field.column_name), value(field), kind=kind))
    return columns


@dataclasses.dataclass(frozen=True)
class ValueColumn:
    """One export column read from `values_list`: the paths it reads and how their values become its cell (the
    same value the resource's field gives for the object)."""

    header: str
    paths: tuple[str, ...]
    convert: Callable[..., Any]
    kind: str = "text"


@dataclasses.dataclass
class ExportPlan:
    """An export read from `values_list` rows instead of model objects: its columns and, when some of them need
    more than one row's values (the participants' names), what to read once per chunk of rows, given their keys,
    before their cells are made."""

    columns: list[ValueColumn]
    before_chunk: Callable[[list[Any]], Any] | None = None
    # Expressions the columns read by name (`paths`), added to the rows' query (an aggregate of related rows).
    annotations: dict[str, Any] = dataclasses.field(default_factory=dict)


def _generic_render(widget) -> Callable[[Any], Any]:
    renderer = getattr(widget, "renderer", None)
    if renderer is not None:
        return renderer()
    render = widget.render
    return lambda value: render(value, force_native_type=True)


def _foreign_key_value(value: Any) -> Any:
    return "" if value is None else value


def field_values(resource, field) -> ValueColumn | None:
    """Return how `field` of `resource` is read from `values_list` rows to give what `resource.export_field` gives
    for the object, or None when it cannot be (a `dehydrate_` method, a widget reading more than a value)."""
    header, kind = str(field.column_name), _kind(field)
    if not field.attribute:
        return None
    method = field.get_dehydrate_method(resource.get_field_name(field))
    if callable(method) or getattr(resource, method, None) is not None:
        return None
    widget = field.widget
    if hasattr(widget, "export_values"):  # the widget says what it reads
        paths, convert = widget.export_values(field.attribute)
        return ValueColumn(header, tuple(paths), convert, kind)
    model, model_field = resource._meta.model, None
    for part in field.attribute.split("__"):
        if model_field is not None:  # the previous part must lead to another model
            if not (model_field.many_to_one or model_field.one_to_one) or model_field.related_model is None:
                return None
            model = model_field.related_model
        try:
            model_field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
    if model_field.many_to_many or model_field.one_to_many:
        return None
    if model_field.many_to_one or model_field.one_to_one:
        # A foreign key shown by one field of the related object, as `ForeignKeyWidget.render` reads it.
        plain = (
            isinstance(widget, widgets.ForeignKeyWidget)
            and type(widget).render is widgets.ForeignKeyWidget.render
            and not widget.use_natural_foreign_keys
            and not widget.key_is_id
            and "__" not in widget.field
        )
        if not plain:
            return None
        return ValueColumn(header, (f"{field.attribute}__{widget.field}",), _foreign_key_value, kind)
    return ValueColumn(header, (field.attribute,), _generic_render(widget), kind)


def export_plan(resource) -> ExportPlan | None:
    """Return the resource's export read from `values_list` rows (its own `export_plan` when it has one), or None
    when a column can only be read from the object."""
    own = getattr(resource, "export_plan", None)
    if own is not None:
        return own()
    if type(resource).export_field is not BaseModelResource.export_field:
        return None  # the resource changes some values itself, and says nothing of how to read them
    columns = [field_values(resource, field) for field in resource.get_export_fields()]
    return None if None in columns else ExportPlan(columns)


def _converter(plan: ExportPlan) -> Callable[[Sequence[Any]], list[Any]]:
    """Return a function from one `values_list` row (its key first) to the row's cells."""
    single, spans, start = [], [], 1
    for column in plan.columns:
        width = len(column.paths)
        single.append(width == 1)
        spans.append((column.convert, start, start + width))
        start += width
    if all(single):
        pairs = [(convert, first) for convert, first, _ in spans]
        return lambda row: [convert(row[first]) for convert, first in pairs]
    return lambda row: [convert(*row[first:end]) for convert, first, end in spans]


def _plan_query(plan: ExportPlan, queryset: QuerySet) -> QuerySet:
    # The key first: it keeps `distinct()` (a search over a many-to-many) distinct by row, and names each chunk.
    paths = ["pk", *(path for column in plan.columns for path in column.paths)]
    if plan.annotations:
        queryset = queryset.annotate(**plan.annotations)
    return queryset.values_list(*paths)


def _ordered(queryset: QuerySet) -> QuerySet:
    if not queryset.query.order_by and not queryset.ordered:
        return queryset.order_by("pk")
    return queryset


def plan_rows(plan: ExportPlan, queryset: QuerySet, *, keyed: bool = False) -> Iterator[list[Any]]:
    """Yield the cells of each row of `queryset` as `plan` reads them, CHUNK_SIZE rows of one query at a time (a
    fixed number of queries, memory that does not grow with the rows). `keyed`: read the keys first, then each
    chunk by its keys, leaving no database cursor open between chunks (a background job writes its progress
    between them)."""
    convert = _converter(plan)
    queryset = _ordered(queryset)
    query = _plan_query(plan, queryset)

    def chunks() -> Iterator[list[Sequence[Any]]]:
        if keyed:
            keys = list(dict.fromkeys(queryset.values_list("pk", flat=True)))
            for start in range(0, len(keys), CHUNK_SIZE):
                chunk = keys[start : start + CHUNK_SIZE]
                rows = {row[0]: row for row in query.filter(pk__in=chunk).order_by()}
                yield [rows[key] for key in chunk if key in rows]
            return
        rows = query.iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
            yield chunk

    for chunk in chunks():
        if plan.before_chunk is not None:
            plan.before_chunk([row[0] for row in chunk])
        yield from map(convert, chunk)


def export_sheet(
    resource,
    queryset: QuerySet,
    stem: str,
    *,
    keyed: bool = False,
    objects: Callable[[Any, QuerySet], Iterator[Model]] | None = None,
) -> Sheet:
    """Return the sheet of `resource`'s export of `queryset`: read from `values_list` rows when the resource's
    columns allow it (`export_plan`), else from the objects `objects(resource, queryset)` yields (default:
    `export_rows`). `keyed`: see `plan_rows`."""
    plan = export_plan(resource) if not _aggregated(queryset) else None
    if plan is None:
        return Sheet(stem, resource_columns(resource), (objects or export_rows)(resource, queryset))
    columns = [Column(c.header, kind=c.kind) for c in plan.columns]
    return Sheet(stem, columns, plan_rows(plan, queryset, keyed=keyed))


def _aggregated(queryset: QuerySet) -> bool:
    # A list annotated with counts (the counties') groups its rows: `values_list` would group them otherwise.
    return any(getattr(a, "contains_aggregate", False) for a in queryset.query.annotations.values())


def _kind(field) -> str:
    return "date" if isinstance(field.widget, widgets.DateWidget | widgets.DateTimeWidget) else "text"


def _with_related(resource, queryset: QuerySet) -> QuerySet:
    attributes = [f.attribute for f in resource.get_export_fields() if f.attribute]
    queryset = queryset.select_related(*related_paths(queryset.model, attributes))
    prefetch = getattr(resource, "export_prefetch", ())
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    if not queryset.query.order_by and not queryset.ordered:
        queryset = queryset.order_by("pk")
    return queryset


def export_rows(resource, queryset: QuerySet) -> Iterator[Model]:
    """Yield the objects of `queryset` with every related object the resource's columns read, in chunks: the
    foreign keys in the same query, and the many-to-many relations the resource names in `export_prefetch` one
    query a chunk (not one a row)."""
    return _with_related(resource, queryset).iterator(chunk_size=CHUNK_SIZE)


def export_stem(model: type[Model]) -> str:
    """Return the Chinese stem of a model's export file and sheet: its name and 名单 (学校名单)."""
    with translation.override("zh-hans"):
        return f"{model._meta.verbose_name_plural}名单"


def counted(rows: Iterable[Any], progress: Callable[[int], Any] | None, every: int | None = None) -> Iterator[Any]:
    """Yield `rows`, calling `progress(rows done so far)` every `every` rows (CHUNK_SIZE) and once at the end."""
    every = every or CHUNK_SIZE
    done = 0
    for done, row in enumerate(rows, start=1):  # noqa: B007
        yield row
        if progress is not None and done % every == 0:
            progress(done)
    if progress is not None:
        progress(done)


def write_export(
    resource,
    queryset: QuerySet,
    target: Any,
    progress: Callable[[int], Any] | None = None,
    *,
    stem: str,
    file_format: type = XLSX,
) -> int:
    """Write the rows of `queryset` as `resource` exports them (the import file's columns) to `target`; return the
    number of rows. The admin's export button and a background task both call it.

    - `queryset`: the rows, already scoped to the user and filtered (e.g. the admin's list, or
      `Activity.objects.for_user(user).filter(semester=…)`); read in chunks of CHUNK_SIZE, a fixed number of queries
      whatever its size, and memory that does not grow with the rows.
    - `target`: a path or a binary file (xlsx), or a text file opened with encoding="utf-8-sig", newline="" (csv).
    - `progress`: None, or a callable given the number of rows written so far, every CHUNK_SIZE rows and at the end.
    - `stem`: the Chinese sheet name (学校名单); `file_format`: XLSX (default) or CSV of django-import-export.
    """
    sheet = export_sheet(resource, queryset, stem)
    sheet.rows = counted(sheet.rows, progress)
    if issubclass(file_format, CSV):
        return write_csv(target, sheet)
    return write_workbook(target, [sheet])[0]


def csv_text(value: Any) -> str:
    """Return a cell of a CSV file: dates as 2026-11-29, formula-looking text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return escape_formula(str(value))


def write_csv(target: io.TextIOBase, sheet: Sheet) -> int:
    """Write `sheet` as CSV to a text file; return the number of data rows. Excel on Chinese Windows opens the file
    correctly when it is UTF-8 with a byte order mark, which the caller's encoding gives."""
    writer = csv.writer(target)
    writer.writerow([c.header for c in sheet.columns])
    count = 0
    for row in sheet.rows:
        writer.writerow(
            [csv_text(c.value(row) if c.value is not None else row[i]) for i, c in enumerate(sheet.columns)]
        )
        count += 1
    return count


def csv_response(stem: str, sheet: Sheet) -> HttpResponse:
    """Return an HTTP download of `sheet` as a UTF-8 CSV file with a byte order mark, named like a workbook."""
    data = io.BytesIO()
    text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    write_csv(text, sheet)
    text.flush()
    response = HttpResponse(data.getvalue(), content_type="text/csv; charset=utf-8")
    text.detach()
    response["Content-Disposition"] = content_disposition(filename(stem, extension="csv"))
    return response


class ExportMixin:
    """Replace django-import-export's export view: a Chinese form (file format only) and files written by the
    kernel's writers from the admin's scoped, filtered list. Used by `ImportExportModelAdmin`."""

    export_template_name = "admin/liuzhou_pairing/export.html"
    #: The Chinese stem of the file and sheet name (学校名单); default: the model's name and 名单.
    export_stem: str = ""

    def get_export_stem(self) -> str:
        return self.export_stem or export_stem(self.model)

    def get_export_resource(self, request, index: int = 0):
        classes = self.get_export_resource_classes(request)
        return classes[index if 0 <= index < len(classes) else 0](**self.get_export_resource_kwargs(request))

    @reading_replica()  # an export reads much and writes nothing: from the read replica when there is one
    def export_action(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        formats = self.get_export_formats()
        queryset = self.get_export_queryset(request)
        form = ExportForm(request.POST or None, formats=formats)
        if request.method == "POST" and form.is_valid():
            index = form.cleaned_data["resource"]
            resource = self.get_export_resource(request, int(index) if index.isdigit() else 0)
            response = self.export_file(resource, queryset, formats[int(form.cleaned_data["format"])])
            post_export.send(sender=None, model=self.model)
            return response
        resource = self.get_export_resource(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export %(name)s") % {"name": self.opts.verbose_name_plural},
            "opts": self.opts,
            "form": form,
            "count": queryset.count(),
            "columns": [str(f.column_name) for f in resource.get_export_fields()],
            "file_name": filename(self.get_export_stem()).removesuffix(".xlsx"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.export_template_name], context)

    def export_file(self, resource, queryset: QuerySet, file_format: type) -> HttpResponse:
        """Return the download of `queryset` in `file_format`, written by the kernel's writers."""
        stem = self.get_export_stem()
        if issubclass(file_format, CSV):
            return csv_response(stem, export_sheet(resource, queryset, stem))
        data = io.BytesIO()
        write_export(resource, queryset, data, stem=stem)
        response = HttpResponse(data.getvalue(), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(filename(stem))
        return response
