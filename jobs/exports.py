"""Large admin exports run as a job: the admin's export form enqueues them when the rows exceed
`BACKGROUND_EXPORT_ROWS`, and the worker writes the same file the request would have written.

The worker rebuilds the user's request (the same user, the change list's search and filters in the query string),
so that the admin's own scoped, filtered queryset (`for_user`) decides the rows: the job exports exactly what the
user could have exported at once.
"""

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV

from liuzhou_pairing.db_router import reading_replica
from liuzhou_pairing.exports import CHUNK_SIZE, ExportForm, export_sheet, related_paths, write_csv
from liuzhou_pairing.xlsx import filename, write_workbook

from .choices import Kind
from .models import Job
from .services import job_begin, job_create, job_finish, job_progress
from .tasks import register_runner

# Rows written between two progress updates of the job (one short UPDATE each).
PROGRESS_EVERY = 1000


def counted(rows: Iterable[Any], job: Job) -> Iterator[Any]:
    """Yield `rows`, recording on `job` how many are written every `PROGRESS_EVERY` rows and at the end."""
    every, done = PROGRESS_EVERY, 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            job_progress(job=job, done=done)
    job_progress(job=job, done=done)


def job_rows(resource, queryset: QuerySet) -> Iterator[Any]:
    """Yield the objects of `queryset` in its order, with every related object the resource's columns read, as the
    immediate export does, but with no database cursor left open between chunks: the keys are read first, then the
    rows `CHUNK_SIZE` at a time. The job's progress is written between reads; SQLite cannot write on a connection
    whose read has seen an older state of the database than the web server's latest write."""
    attributes = [f.attribute for f in resource.get_export_fields() if f.attribute]
    queryset = queryset.select_related(*related_paths(queryset.model, attributes))
    # The many-to-many relations a resource names for its export (participants), one query a chunk.
    if prefetch := getattr(resource, "export_prefetch", ()):
        queryset = queryset.prefetch_related(*prefetch)
    if not queryset.query.order_by and not queryset.ordered:
        queryset = queryset.order_by("pk")
    keys = list(dict.fromkeys(queryset.values_list("pk", flat=True)))
    for start in range(0, len(keys), CHUNK_SIZE):
        chunk = keys[start : start + CHUNK_SIZE]
        objects = queryset.in_bulk(chunk)
        yield from (objects[key] for key in chunk if key in objects)


def export_request(job: Job):
    """Return the request the user made, as the admin reads it: their account and the list's query string."""
    request = RequestFactory().get(job.params["path"], data=None, QUERY_STRING=job.params.get("query", ""))
    request.user = job.owner
    return request


def run_admin_export(job: Job) -> None:
    """Write the admin export `job` describes to a file and make it the job's result."""
    model_admin = admin.site._registry[apps.get_model(job.params["model"])]
    request = export_request(job)
    if not model_admin.has_export_permission(request):
        raise PermissionError(f"{job.owner} may no longer export {job.params['model']}")
    formats = model_admin.get_export_formats()
    file_format = formats[job.params.get("format", 0)]
    stem = model_admin.get_export_stem()
    extension = "csv" if issubclass(file_format, CSV) else "xlsx"
    with reading_replica():
        queryset = model_admin.get_export_queryset(request)
        if not job_begin(job=job, total=queryset.count()):
            return
        resource = model_admin.get_export_resource(request, job.params.get("resource", 0))
        # SQLite cannot write the job's progress while a read is open on the same database (see `job_rows`): there
        # the values are read by their keys, a chunk at a time; PostgreSQL streams them from one query.
        keyed = connections[queryset.db].vendor == "sqlite"
        sheet = export_sheet(resource, queryset, stem, keyed=keyed, objects=job_rows)
        sheet.rows = counted(sheet.rows, job)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export.{extension}"
            if extension == "csv":
                with path.open("w", encoding="utf-8-sig", newline="") as text:
                    write_csv(text, sheet)
            else:
                write_workbook(str(path), [sheet])
            job_finish(job=job, path=path, file_name=filename(stem, extension=extension))


register_runner(Kind.EXPORT, run_admin_export)


class BackgroundExportMixin:
    """For an admin whose exports can be too large for one request (a semester's activities of the region):
    above `BACKGROUND_EXPORT_ROWS` rows the export form starts a job and sends the user to its page; smaller
    exports are written at once, as before. Put it before `ImportExportModelAdmin`."""

    def export_action(self, request):
        if request.method == "POST" and self.has_export_permission(request):
            form = ExportForm(request.POST, formats=self.get_export_formats())
            if form.is_valid():
                limit = settings.BACKGROUND_EXPORT_ROWS
                with reading_replica():
                    # Counted no further than the limit: a small export costs no full count.
                    rows = self.get_export_queryset(request)[: limit + 1].count()
                if rows > limit:
                    return self.export_in_background(request, form)
        return super().export_action(request)

    def export_in_background(self, request, form: ExportForm) -> HttpResponseRedirect:
        index = form.cleaned_data["resource"]
        job = job_create(
            owner=request.user,
            title=filename(self.get_export_stem()).removesuffix(".xlsx"),
            params={
                "model": self.opts.label_lower,
                "path": request.path,
                "query": request.GET.urlencode(),
                "format": int(form.cleaned_data["format"]),
                "resource": int(index) if index.isdigit() else 0,
            },
        )
        messages.info(
            request,
            _("The list has more than %(limit)s rows: the file is being made in the background. This page shows "
              "its progress; download it here when it is ready.") % {"limit": settings.BACKGROUND_EXPORT_ROWS},
        )  # fmt: skip
        return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))
