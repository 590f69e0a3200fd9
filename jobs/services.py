"""Writes of a job: started by its owner, advanced and finished by the task worker."""

from pathlib import Path
from typing import Any

from django.core.files import File
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from .choices import Kind, Status
from .models import Job


def job_create(*, owner: Any, title: str, params: dict[str, Any], total: int = 0, kind: str = Kind.EXPORT) -> Job:
    """Record a job `owner` started (waiting for a worker) and queue its task."""
    from .tasks import run_job

    job = Job(owner=owner, kind=kind, title=title[:200], params=params, total=total)
    job.full_clean()
    job.save()
    run_job.enqueue(job.pk)
    return job


def job_begin(*, job: Job, total: int) -> bool:
    """Mark a waiting job running with `total` rows to do; return False when it was not waiting (already run)."""
    now = timezone.now()
    started = Job.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.RUNNING, total=total, done=0, progressed=now
    )
    if started:
        job.status, job.total, job.done, job.progressed = Status.RUNNING, total, 0, now
    return bool(started)


def job_progress(*, job: Job, done: int) -> None:
    """Record that `done` rows are written (one short UPDATE; the total grows if rows were added meanwhile)."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(done=done, total=Greatest(F("total"), done), progressed=now)
    job.done, job.progressed = done, now


def job_finish(*, job: Job, path: Path, file_name: str) -> None:
    """Store the file at `path` as the job's result, downloaded under `file_name`, and mark the job ready."""
    with path.open("rb") as content:
        job.result.save(file_name, File(content), save=False)
    job.file_name = file_name
    job.status = Status.DONE
    job.done = max(job.done, job.total)
    job.finished = timezone.now()
    job.save(update_fields=["result", "file_name", "status", "done", "finished"])


def job_fail(*, job: Job, message: str) -> None:
    """Mark the job failed with a message its owner reads."""
    job.status = Status.FAILED
    job.message = message
    job.finished = timezone.now()
    job.save(update_fields=["status", "message", "finished"])
