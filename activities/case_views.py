"""The exemplary cases page (典型案例): the accepted cases, readable by every signed-in user of any role and county
(they are there to be publicised), printable on A4. Only a case's title, schools, county, date, write-up and the
photos chosen for it are shown: never the activity's evidence, its staff or the children it helped."""

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.reports import ReportView
from liuzhou_pairing.scope import Scope

from .case_selectors import accepted_cases
from .models import ExemplaryCase


class CasesView(ReportView):
    """The accepted cases, newest first; each prints on its own A4 page."""

    title = _("Exemplary cases")
    url_name = "cases:list"
    description = _("Pairing work accepted by the city bureau as an example, with photos chosen for publicity.")
    template_name = "activities/cases.html"

    @classmethod
    def allowed(cls, scope: Scope) -> bool:
        return True  # every signed-in user, by design: the cases are meant to be publicised

    def cases(self, request: HttpRequest, **kwargs: Any) -> list[ExemplaryCase]:
        return list(accepted_cases(user=request.user))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        cases = self.cases(request, **kwargs)
        context = {
            **admin.site.each_context(request),
            "title": self.page_title(cases),
            "description": self.description,
            "cases": cases,
            "single": bool(kwargs),
        }
        return TemplateResponse(request, self.template_name, context)

    def page_title(self, cases: list[ExemplaryCase]) -> str:
        return str(self.title)


class CaseView(CasesView):
    """One accepted case; any other (a draft, a nominated or returned case) answers 404, as if missing."""

    def cases(self, request: HttpRequest, **kwargs: Any) -> list[ExemplaryCase]:
        case = get_object_or_404(accepted_cases(user=request.user), pk=kwargs["pk"])
        return [case]

    def page_title(self, cases: list[ExemplaryCase]) -> str:
        if not cases:
            raise Http404
        return cases[0].title
