"""A report page: one selector's rows, shown as a table on a page in the admin's look and downloaded as xlsx.

A report defines its tables once (`Table`: a title and `ReportColumn`s over the rows a selector returns); the page
and the workbook are both rendered from them, so they can never disagree. Apps define their reports as subclasses
of `ReportView` and register them (`register_report`), so that the home page lists the reports a user may open.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View

from .db_router import reading_replica
from .scope import Scope, scope_of
from .xlsx import Column, Sheet, xlsx_response


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report, on the page and in the file: header, value, kind (text, int, date, percent), and
    for the page only, how urgent a cell is (`level`: "danger", "warning", "ok" or "") and where it links."""

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"
    level: Callable[[Any], str] | None = None
    link: Callable[[Any], str | None] | None = None

    def xlsx(self) -> Column:
        return Column(self.header, self.value, kind=self.kind)

    def cell(self, row: Any) -> dict[str, Any]:
        value = self.value(row)
        if self.kind == "percent" and isinstance(value, int | float):
            value = f"{value:.1%}"
        return {
            "value": "" if value is None else value,
            "level": self.level(row) if self.level else "",
            "link": self.link(row) if self.link else None,
            "number": self.kind in ("int", "percent"),
            "date": self.kind == "date",
        }


@dataclass
class Table:
    """A table of a report: a sheet of its workbook."""

    title: str
    columns: Sequence[ReportColumn]
    rows: Sequence[Any]
    empty: str = ""  # what the page says when there are no rows
    sheet_name: str = ""
    # The rows the page shows at most (a long table is read in its workbook, which holds every row); None: all.
    page_limit: int | None = None

    def sheet(self, heading: str) -> Sheet:
        return Sheet(
            name=self.sheet_name or self.title,
            columns=[c.xlsx() for c in self.columns],
            rows=self.rows,
            title=heading,
        )

    def page_rows(self) -> list[list[dict[str, Any]]]:
        rows = self.rows if self.page_limit is None else self.rows[: self.page_limit]
        return [[column.cell(row) for column in self.columns] for row in rows]

    @property
    def page_cut(self) -> bool:
        """Whether the page shows only the first `page_limit` rows."""
        return self.page_limit is not None and len(self.rows) > self.page_limit


@dataclass(frozen=True)
class Choice:
    """A filter above a report (the cycle): its name, label, and (value, text, selected) options."""

    name: str
    label: str
    options: Sequence[tuple[str, str, bool]] = field(default_factory=tuple)


class ReportView(LoginRequiredMixin, View):
    """A page of one report. Subclasses set `title`, `stem` (the file name's Chinese stem), `url_name`, decide
    who may read it in `allowed(scope)` and build `tables()` from a selector; `?format=xlsx` downloads it."""

    title: str = ""
    stem: str = ""
    url_name: str = ""  # "app:name", for the home page's links
    description: str = ""
    template_name = "reports/report.html"

    @classmethod
    def allowed(cls, scope: Scope) -> bool:
        return scope.everything or bool(scope.county_id)

    def today(self) -> datetime.date:
        return timezone.localdate()

    def setup_report(self) -> None:
        """Read the request's filters (set attributes used by `tables`); raise Http404 for an unknown value."""

    def choices(self) -> list[Choice]:
        return []

    def tables(self) -> list[Table]:
        raise NotImplementedError

    def heading(self) -> str:
        return str(self.title)

    def extra_context(self) -> dict[str, Any]:
        """More for the page's template (a chart drawn from the rows `tables` read); called after `tables`."""
        return {}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A report reads much and writes nothing: from the read replica when there is one, rendering included.
        with reading_replica():
            response = super().dispatch(request, *args, **kwargs)
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.render()
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.allowed(scope_of(request.user)):
            raise PermissionDenied
        self.setup_report()
        tables = self.tables()
        if request.GET.get("format") == "xlsx":
            heading = self.heading()
            return xlsx_response(str(self.stem), [t.sheet(heading) for t in tables], today=self.today())
        query = request.GET.copy()
        query["format"] = "xlsx"
        context = {
            **admin.site.each_context(request),
            "title": self.heading(),
            "description": self.description,
            "choices": self.choices(),
            "tables": [(table, table.page_rows()) for table in tables],
            "download_url": f"{request.path}?{query.urlencode()}",
            **self.extra_context(),
        }
        return TemplateResponse(request, self.template_name, context)


# url name → report view, in the order registered
REPORTS: dict[str, type[ReportView]] = {}


def register_report(view: type[ReportView]) -> None:
    """Register a report so that the home page lists it for the users who may read it."""
    REPORTS[view.url_name] = view


def reports_for(user: Any) -> list[tuple[str, str, str]]:
    """Return (title, url, description) of each registered report `user` may read."""
    scope = scope_of(user)
    return [(str(v.title), reverse(name), str(v.description)) for name, v in REPORTS.items() if v.allowed(scope)]
