"""The task a worker runs for a job (`manage.py db_worker`). What each kind of job does is registered by the
module that owns the work (`RUNNERS`); a failure is logged for operators and shown to the owner in plain words."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from .choices import Status
from .models import Job
from .services import job_fail

logger = logging.getLogger(__name__)

# kind → runner(job): does the work, reports progress and finishes the job (services.job_begin … job_finish)
RUNNERS: dict[str, Callable[[Job], None]] = {}


def register_runner(kind: str, runner: Callable[[Job], None]) -> None:
    RUNNERS[kind] = runner


@task()
def run_job(job_id: int) -> None:
    """Run the job `job_id` once: a job no longer waiting (run by another worker, or gone) is left alone."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.status != Status.QUEUED:
        return
    with translation.override(settings.LANGUAGE_CODE):
        try:
            RUNNERS[job.kind](job)
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            message = _("The file could not be made. Please try again; if it fails again, tell the city bureau.")
            job_fail(job=job, message=message)
