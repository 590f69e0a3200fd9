"""A job a user started: a long piece of work (a region-wide export) run by a task worker, its progress and its
result file. A user sees only the jobs they started."""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Kind, Status

# A running job with no progress for this long has lost its worker; a job waiting this long may have none.
STALLED_AFTER = datetime.timedelta(minutes=10)
LONG_QUEUED = datetime.timedelta(minutes=30)


def result_path(job: "Job", name: str) -> str:
    """Store a result under a random name; its Chinese name is kept on the job and given at download."""
    suffix = name.rsplit(".", 1)[-1] if "." in name else "bin"
    return f"jobs/{job.created:%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class JobQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> "JobQuerySet":
        """Return the jobs `user` started; none for an anonymous user."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class Job(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("started by")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EXPORT)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    total = models.PositiveIntegerField(_("rows in all"), default=0)
    message = models.TextField(_("message"), blank=True)
    # What the worker needs to do the same work the user asked for (the list's filters, the file format).
    params = models.JSONField(default=dict, blank=True)
    result = models.FileField(_("result file"), upload_to=result_path, blank=True, max_length=200)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    created = models.DateTimeField(_("started at"), auto_now_add=True)
    progressed = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["owner", "-created"], name="jobs_job_owner_created")]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        """Whole percent done (100 once ready)."""
        if self.status == Status.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    @property
    def active(self) -> bool:
        """Still to be made, and not given up for stalled: the page looks again."""
        return self.status in (Status.QUEUED, Status.RUNNING) and not self.stalled

    @property
    def stalled(self) -> bool:
        """Running with no progress for STALLED_AFTER: its worker has most likely stopped (a worker reports every
        chunk of rows, seconds apart), and nothing will finish it."""
        last = self.progressed or self.created
        return self.status == Status.RUNNING and last is not None and timezone.now() - last > STALLED_AFTER

    @property
    def long_queued(self) -> bool:
        """Waiting for longer than LONG_QUEUED: perhaps no worker runs."""
        waited = timezone.now() - self.created if self.created is not None else datetime.timedelta(0)
        return self.status == Status.QUEUED and waited > LONG_QUEUED
