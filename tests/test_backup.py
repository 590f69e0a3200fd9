"""The SQLite backup of the README round-trips: dumpdata from one database, loaddata into a fresh one.

Everything runs in subprocesses on temporary SQLite files of this test's own, whatever database the suite uses.
"""

import json
import re
import shlex
from pathlib import Path

from tests.test_settings import run_manage

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# The Liuzhou data; then, as a live database numbers its content types and permissions as the apps came over
# the years and not as a newly migrated one does, one model's are renumbered, as a later migrate would leave them.
LOAD_AND_RENUMBER = """
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

call_command("load_liuzhou", verbosity=0)
ContentType.objects.get(app_label="pairings", model="agreement").delete()
call_command("migrate", verbosity=0)
"""

# Records with history, as people make them: two accounts, a school and a city-fixed pairing changed by one.
ADD_RECORDS = """
from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Pairing
from pairings.services import pairing_update
from schools.models import County, School
from schools.services import school_update

clerk, _ = user_create(actor=SYSTEM, username="clerk", role="city", password="x-Strong-Pass-2016")
user_create(username="rongshui", role="county", county=County.objects.get(name="融水苗族自治县"),
            password="x-Strong-Pass-2016", actor=clerk)
school = School.objects.order_by("pk").first()
school_update(school=school, actor=clerk, contact_person="王老师", contact_phone="0772-1234567")
pairing = Pairing.objects.filter(is_city_fixed=True).order_by("pk").first()
pairing_update(pairing=pairing, actor=clerk, helper_contact="李老师")
"""

# What a database holds: the number of rows of every model, and who made each change in the history.
DESCRIBE = """
import json
from django.apps import apps
from django.contrib.auth import get_user_model
from simple_history.models import HistoricalChanges

counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
history = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
users = {
    u.username: {"groups": sorted(g.name for g in u.groups.all()), "password": u.check_password("x-Strong-Pass-2016"),
                 "role": u.profile.role, "county": str(u.profile.county or "")}
    for u in get_user_model().objects.all()
}
changes = sorted(
    [m._meta.label, r.pk, r.history_type, r.history_user.username if r.history_user else None]
    for m in history for r in m._default_manager.all()
)
print(json.dumps({"counts": counts, "history": sum(counts[m._meta.label] for m in history), "users": users,
                  "changes": changes}))
"""


def readme_command(name: str) -> list[str]:
    """Return the README's `manage.py <name>` command line, as the arguments after `manage.py`."""
    text = README.replace("\\\n", " ")
    lines = [line for line in text.splitlines() if re.match(rf"\s*\.venv/bin/python manage\.py {name}\b", line)]
    assert len(lines) == 1, f"one `manage.py {name}` line in README.md"
    words = shlex.split(lines[0], comments=True)
    assert words[:2] == [".venv/bin/python", "manage.py"]
    return words[2:]


def manage(tmp_path: Path, database: str, *args: str) -> str:
    result = run_manage(
        *args,
        cwd=tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / database}",
        MEDIA_ROOT=str(tmp_path / "media"),
        SECRET_KEY="a-secret-key-for-the-backup-test-only-0123456789-abcdefghijklmnop",
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def shell(tmp_path: Path, database: str, *code: str) -> str:
    """Run Python code in one `manage.py shell` (one process is quicker than one per step)."""
    return manage(tmp_path, database, "shell", "--no-imports", "-c", "\n".join(code))


def describe(output: str) -> dict:
    return json.loads(output.splitlines()[-1])


def test_the_readme_sqlite_backup_restores_every_record(tmp_path):
    dump, load = readme_command("dumpdata"), readme_command("loaddata")
    assert load[1:] == [dump[dump.index("--output") + 1]], "loaddata reads the file dumpdata writes"

    manage(tmp_path, "live.sqlite3", "migrate", "--no-input")
    live = describe(shell(tmp_path, "live.sqlite3", LOAD_AND_RENUMBER, ADD_RECORDS, DESCRIBE))
    manage(tmp_path, "live.sqlite3", *dump)
    assert (tmp_path / "backup.json").stat().st_size > 0

    manage(tmp_path, "restored.sqlite3", "migrate", "--no-input")
    manage(tmp_path, "restored.sqlite3", *load)
    restored = describe(shell(tmp_path, "restored.sqlite3", DESCRIBE))

    for label in ["schools.School", "pairings.Pairing", "auth.User", "auth.Group"]:
        assert restored["counts"][label] == live["counts"][label] > 0, label
    assert restored["history"] == live["history"] > 0
    assert restored["counts"] == live["counts"]
    assert restored["users"] == live["users"]
    assert restored["changes"] == live["changes"]
    assert sum(1 for change in live["changes"] if change[3] == "clerk") >= 3
