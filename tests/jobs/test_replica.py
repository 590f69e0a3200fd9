"""With DATABASE_REPLICA_URL set, reports and exports read from the replica and everything else uses the primary.

The in-process tests add a "replica" alias pointing at the test database itself (as the settings' TEST MIRROR
does), so that each query can be seen on the connection that ran it.
"""

import copy
import datetime
import os

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import run_job
from liuzhou_pairing.db_router import REPLICA, ReplicaRouter, reading_replica, replica_active
from tests.test_settings import run_manage

ROUTER = "liuzhou_pairing.db_router.ReplicaRouter"


@pytest.fixture
def replica(transactional_db, settings):
    """A "replica" alias on the test database (committed rows: a transactional test), and the router."""
    default = connections["default"].settings_dict
    connections.settings[REPLICA] = {**copy.deepcopy(default), "TEST": {**default["TEST"], "MIRROR": "default"}}
    settings.DATABASE_ROUTERS = [ROUTER]
    # Connected here: the test case allows only the aliases it knew when it started to connect by themselves.
    connections[REPLICA].connect()
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections.settings[REPLICA]
    if hasattr(connections._connections, REPLICA):
        delattr(connections._connections, REPLICA)


def tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def capture(client, method: str, url: str, **data):
    with CaptureQueriesContext(connections["default"]) as on_default:
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            response = getattr(client, method)(url, data)
    return response, tables(on_default), tables(on_replica)


def test_a_report_reads_from_the_replica_and_an_admin_page_from_the_primary(client, land, replica):
    client.force_login(land.users["city"])
    response, default, on_replica = capture(client, "get", reverse("pairings:coverage"))
    assert response.status_code == 200
    assert '"schools_school"' in on_replica and '"schools_school"' not in default
    # Its download too.
    response, default, on_replica = capture(client, "get", reverse("pairings:coverage"), format="xlsx")
    assert response.status_code == 200 and '"schools_school"' in on_replica and '"schools_school"' not in default

    response, default, on_replica = capture(client, "get", reverse("admin:pairings_pairing_changelist"))
    assert response.status_code == 200
    assert on_replica == "" and '"pairings_pairing"' in default


def test_an_export_reads_from_the_replica_and_its_job_writes_to_the_primary(client, acts, replica, settings):
    acts.activity()
    acts.activity(date=datetime.date(2016, 10, 11))
    client.force_login(acts.users["county"])
    response, default, on_replica = capture(
        client, "post", reverse("admin:schools_school_export"), format="0", resource="0"
    )
    assert response.status_code == 200 and '"schools_school"' in on_replica and '"schools_school"' not in default

    settings.BACKGROUND_EXPORT_ROWS = 1
    response, default, on_replica = capture(
        client, "post", reverse("admin:activities_activity_export"), format="0", resource="0"
    )
    assert response.status_code == 302 and 'INSERT INTO "jobs_job"' in default and "jobs_job" not in on_replica
    job = Job.objects.get()
    with CaptureQueriesContext(connections["default"]) as default:
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.total == 2
    assert '"activities_activity"' in tables(on_replica) and '"activities_activity"' not in tables(default)
    assert "jobs_job" not in tables(on_replica)


def test_without_a_replica_the_router_is_absent_and_reading_replica_changes_nothing(db):
    if os.environ.get("DATABASE_REPLICA_URL"):
        pytest.skip("this run has a replica")
    assert REPLICA not in connections.settings and django_settings.DATABASE_ROUTERS == []
    with reading_replica(), CaptureQueriesContext(connections["default"]) as on_default:
        assert not replica_active()
        assert Job.objects.count() == 0
    assert len(on_default) == 1


def test_the_router_sends_reads_to_the_replica_only_inside_reading_replica(replica):
    router = ReplicaRouter()
    assert router.db_for_read(Job) == "default"

    @reading_replica()
    def report():
        return router.db_for_read(Job), router.db_for_write(Job)

    assert report() == (REPLICA, "default")
    assert router.db_for_read(Job) == "default"
    assert router.allow_migrate(REPLICA, "jobs") is False and router.allow_migrate("default", "jobs") is True


def test_settings_add_the_replica_and_its_router_only_when_set(tmp_path):
    script = (
        "from django.conf import settings; from django.db import router; from jobs.models import Job; "
        "from liuzhou_pairing.db_router import reading_replica\n"
        "replica = settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')\n"
        "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS, replica)\n"
        "with reading_replica(): print(router.db_for_read(Job))"
    )  # fmt: skip
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = run_manage("shell", "-c", script, SECRET_KEY="k" * 60, DATABASE_URL=url, DATABASE_REPLICA_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-3:-1] == [
        f"['default', 'replica'] ['{ROUTER}'] default",
        "replica",
    ]
    result = run_manage("shell", "-c", script, SECRET_KEY="k" * 60, DATABASE_URL=url, unset={"DATABASE_REPLICA_URL"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-3:-1] == ["['default'] [] None", "default"]


def test_media_root_comes_from_the_environment(tmp_path):
    """Several application hosts share uploaded files and export results by mounting one folder (NFS) there."""
    shared = tmp_path / "shared-media"
    script = "from django.core.files.storage import default_storage; print(default_storage.location)"
    result = run_manage("shell", "-c", script, SECRET_KEY="k" * 60, MEDIA_ROOT=str(shared))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(shared)
