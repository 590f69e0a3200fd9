"""我的导出: the jobs a user started, each with its progress and, once ready, its file."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from liuzhou_pairing.xlsx import content_disposition

from .choices import Status
from .models import Job

# Seconds between two looks of a page that shows work still running.
REFRESH_SECONDS = 2
# Jobs listed on the user's page, newest first.
LIST_LIMIT = 50


def _context(request: HttpRequest, title: str) -> dict:
    return {**admin.site.each_context(request), "title": title, "refresh": REFRESH_SECONDS}


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = list(Job.objects.for_user(request.user).defer("params")[:LIST_LIMIT])
    context = {**_context(request, _("My exports")), "jobs": jobs, "active": any(j.active for j in jobs)}
    request.current_app = admin.site.name
    return TemplateResponse(request, "jobs/job_list.html", context)


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.for_user(request.user), pk=pk)
    request.current_app = admin.site.name
    return TemplateResponse(request, "jobs/job_detail.html", {**_context(request, job.title), "job": job})


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The result of one of the user's ready jobs, under its Chinese file name; 404 for any other."""
    job = get_object_or_404(Job.objects.for_user(request.user), pk=pk, status=Status.DONE)
    if not job.result or not job.result.storage.exists(job.result.name):
        raise Http404
    response = FileResponse(job.result.open("rb"), as_attachment=True, filename=job.file_name)
    response["Content-Disposition"] = content_disposition(job.file_name)  # the Chinese name in every browser
    response["X-Content-Type-Options"] = "nosniff"
    return response
