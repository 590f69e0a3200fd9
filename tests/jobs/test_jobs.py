"""Large admin exports run as background jobs: queued by the export form above the threshold, run by a task
worker on the database queue, shown to their owner only, with progress and the file under its Chinese name."""

import datetime
import io
from urllib.parse import quote

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks.backends.database.models import DBTaskResult

from activities.models import Activity
from jobs.choices import Status
from jobs.models import Job
from jobs.services import job_create
from jobs.tasks import run_job

pytestmark = pytest.mark.django_db

EXPORT = "admin:activities_activity_export"


def rows_of(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value for c in r] for r in sheet.iter_rows()]


def activities(acts, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        acts.activity(date=datetime.date(2016, 9, 5) + datetime.timedelta(days=i), description=f"活动{i}")


def export(client, query: str = "", **data):
    return client.post(reverse(EXPORT) + query, {"format": "0", "resource": "0", **data})


def test_an_export_within_the_threshold_is_written_at_once(client, acts, settings):
    settings.BACKGROUND_EXPORT_ROWS = 3
    activities(acts, 3)
    client.force_login(acts.users["helper"])
    response = export(client)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(rows_of(response.content)) == 4 and not Job.objects.exists()


def test_a_larger_export_becomes_a_job_that_writes_exactly_the_users_filtered_rows(client, acts, settings):
    activities(acts, 4)
    acts.activity(actor="recipient", date=datetime.date(2016, 10, 1), description="受援学校记录的活动")
    client.force_login(acts.users["county"])
    query = "?q=" + quote(acts.helper.name) + "&entered_by__exact=helper"
    settings.BACKGROUND_EXPORT_ROWS = 100
    at_once = rows_of(export(client, query).content)
    assert len(at_once) == 5  # the header and the helper school's four, not the recipient's

    settings.BACKGROUND_EXPORT_ROWS = 3
    response = export(client, query)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.owner == acts.users["county"] and job.status == Status.QUEUED
    # Queued on the database backend, for a worker.
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "jobs.tasks.run_job" and queued.args_kwargs["args"] == [job.pk]
    page = client.get(response["Location"])
    assert "文件正在后台生成" in page.content.decode() and 'http-equiv="refresh"' in page.content.decode()

    run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == Status.DONE and (job.done, job.total) == (4, 4) and job.finished is not None
    assert job.file_name.startswith("帮扶活动名单_") and job.file_name.endswith(".xlsx")
    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    assert f"filename*=UTF-8''{quote(job.file_name)}" in download["Content-Disposition"]
    assert rows_of(b"".join(download.streaming_content)) == at_once
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert job.file_name in page and 'http-equiv="refresh"' not in page
    # A job runs once: a second delivery of its task changes nothing.
    run_job.call(job.pk)
    assert Job.objects.get().finished == job.finished


def test_a_job_is_seen_only_by_its_owner(client, acts, settings):
    activities(acts, 2)
    settings.BACKGROUND_EXPORT_ROWS = 1
    client.force_login(acts.users["helper"])
    export(client)
    job = Job.objects.get()
    run_job.call(job.pk)
    assert job.title in client.get(reverse("jobs:list")).content.decode()
    client.force_login(acts.users["county"])
    for name in ("jobs:detail", "jobs:download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert job.title not in client.get(reverse("jobs:list")).content.decode()
    client.logout()
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 302  # to the login page


def test_a_failed_job_says_so_in_plain_chinese(client, acts):
    user = acts.users["helper"]
    job = job_create(owner=user, title="帮扶活动名单", params={"model": "activities.activity", "path": "/x/",
                                                                 "format": 9})  # fmt: skip
    run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    client.force_login(user)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "未能生成文件" in page and "Traceback" not in page
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_a_running_job_records_its_progress_every_thousand_rows_not_every_row(acts, monkeypatch):
    """Progress costs one short UPDATE per `PROGRESS_EVERY` rows (here 2) and one at the end."""
    monkeypatch.setattr("jobs.exports.PROGRESS_EVERY", 2)
    activities(acts, 5)
    job = job_create(owner=acts.users["county"], title="帮扶活动名单",
                     params={"model": "activities.activity", "path": reverse(EXPORT)})  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        run_job.call(job.pk)
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "jobs_job" SET "done"')]
    assert len(updates) == 3  # after rows 2 and 4, and at the end
    assert Job.objects.get(pk=job.pk).done == 5


def test_a_job_reads_its_rows_in_chunks_in_the_lists_order(acts, monkeypatch):
    """Read in chunks with no cursor left open (so that progress can be written between them), the rows keep the
    admin list's order across chunk borders, each once."""
    from django.contrib import admin

    from activities.admin import ActivityAdmin
    from jobs.exports import export_request, job_rows

    monkeypatch.setattr("jobs.exports.CHUNK_SIZE", 2)
    activities(acts, 5)
    job = job_create(owner=acts.users["county"], title="帮扶活动名单",
                     params={"model": "activities.activity", "path": reverse(EXPORT)})  # fmt: skip
    model_admin = admin.site._registry[Activity]
    assert isinstance(model_admin, ActivityAdmin)
    request = export_request(job)
    queryset = model_admin.get_export_queryset(request)
    resource = model_admin.get_export_resource(request)
    expected = list(queryset.order_by(*queryset.query.order_by or ["pk"]))
    assert [a.pk for a in job_rows(resource, queryset)] == [a.pk for a in expected]
    assert len(expected) == 5 and [a.pk for a in expected] != sorted(a.pk for a in expected)


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_database_queue_runs_a_queued_export(acts):
    """The real engine: the task is stored in the database, and `db_worker` (as run in production) takes it,
    runs it and records it done."""
    activities(acts, 2)
    job = job_create(owner=acts.users["county"], title="帮扶活动名单",
                     params={"model": "activities.activity", "path": reverse(EXPORT)})  # fmt: skip
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    call_command("db_worker", "--batch", "--max-tasks", "1", "--no-startup-delay", "--no-reload", "--interval", "0",
                 verbosity=0)  # fmt: skip
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.status == Status.DONE and job.total == 2 and job.result.name.endswith(".xlsx")


def test_a_job_whose_worker_stopped_says_so_and_the_page_stops_looking_again(client, acts):
    """A running job with no progress for ten minutes (its worker gone) is shown as stopped, with what to do; one
    waiting for half an hour says a worker may not be running; a job progressing now refreshes as before."""
    from django.utils import timezone

    from jobs.services import job_begin, job_progress

    user = acts.users["county"]
    client.force_login(user)
    job = job_create(owner=user, title="帮扶活动名单", params={"model": "activities.activity", "path": "/x/"})
    detail = reverse("jobs:detail", args=[job.pk])
    page = client.get(detail).content.decode()
    assert 'http-equiv="refresh"' in page and "后台程序可能没有运行" not in page
    Job.objects.filter(pk=job.pk).update(created=timezone.now() - datetime.timedelta(minutes=31))
    page = client.get(detail).content.decode()
    assert "后台程序可能没有运行" in page and 'http-equiv="refresh"' in page  # still waiting: it may yet start
    job.refresh_from_db()
    assert job_begin(job=job, total=50000)
    job_progress(job=job, done=2000)
    page = client.get(detail).content.decode()
    assert 'http-equiv="refresh"' in page and "没有进展" not in page
    Job.objects.filter(pk=job.pk).update(progressed=timezone.now() - datetime.timedelta(minutes=11))
    page = client.get(detail).content.decode()
    assert "超过十分钟没有进展" in page and "2000" in page and "请重新导出" in page
    assert 'http-equiv="refresh"' not in page
    listing = client.get(reverse("jobs:list")).content.decode()
    assert "已中断" in listing and 'http-equiv="refresh"' not in listing
