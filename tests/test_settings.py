"""Settings come from the environment; production refuses to start without a secret key."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import environ
import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, cwd: Path = ROOT, unset: set[str] = frozenset(), **env: str) -> subprocess.CompletedProcess:
    # Start from the machine's environment without the settings the test run itself sets (pyproject.toml,
    # and the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE), nor the variables in `unset`.
    ours = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "SECURE_SSL_REDIRECT", "STATIC_MANIFEST", "ENV_FILE", *unset}
    ours.add("DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in ours}
    base.update(env)
    # Nor a developer's `.env` (`make run` writes one with DEBUG on); a copy of the project reads its own.
    own_copy = cwd != ROOT and (cwd / "manage.py").exists()
    if not own_copy:
        base.setdefault("ENV_FILE", os.devnull)
    return subprocess.run(
        # The project's manage.py, unless `cwd` is a copy of the project with its own.
        [sys.executable, str(cwd / "manage.py") if (cwd / "manage.py").exists() else str(ROOT / "manage.py"), *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_refuse_to_start_with_debug_off_and_no_secret_key():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_is_off_unless_set():
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_check_deploy_is_clean_with_production_variables():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-long-and-random-production-secret-0123456789-ABCDEFGHIJKLMNOP",
        ALLOWED_HOSTS="pairing.example.invalid",
        TLS_PROXY="true",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/db",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_embedded_default_is_sqlite_tuned_for_concurrency():
    if os.environ.get("DATABASE_URL"):
        return  # running against PostgreSQL
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ


def test_compiled_catalogue_matches_the_po_file():
    """Every translated entry of django.po is served from the compiled django.mo (run `make messages`)."""
    po = polib.pofile(str(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"))
    untranslated = [e.msgid for e in po if not (e.msgstr or any(e.msgstr_plural.values())) and not e.obsolete]
    assert untranslated == []
    with translation.override("zh-hans"):
        for entry in po:
            if entry.msgid_plural:
                assert translation.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstr_plural[0]
            elif entry.msgctxt:
                assert translation.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
            else:
                assert translation.gettext(entry.msgid) == entry.msgstr, entry.msgid


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an env file, parsed by django-environ exactly as settings.py reads `.env`."""

    class FileEnv(environ.Env):
        ENVIRON: dict[str, str] = {}

    FileEnv.read_env(path, overwrite=True)
    return FileEnv.ENVIRON


def settings_variables() -> dict[str, str]:
    """Each environment variable settings.py reads, with the django-environ method that reads it (its type)."""
    source = (ROOT / "liuzhou_pairing/settings.py").read_text(encoding="utf-8")
    return {name: method for method, name in re.findall(r"\benv\.(\w+)\(\s*\"(\w+)\"", source)}


EXAMPLE = ROOT / ".env.example"
BOOLEANS = {*environ.Env.BOOLEAN_TRUE_STRINGS, "false", "off", "no", "n", "0"}


def test_env_example_documents_every_variable_with_a_value_of_its_type():
    example = read_env_file(EXAMPLE)
    lines = [line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(example), "every line of .env.example is a comment or NAME=value"
    read = settings_variables()
    assert len(read) > 15 and read["LOGIN_LOCKOUT_HOURS"] == "float"
    assert set(example) == set(read), "each variable settings.py reads is documented, and only those"

    class ExampleEnv(environ.Env):
        ENVIRON = example

    env = ExampleEnv()
    for name, value in example.items():
        method = read[name]
        if method == "bool":
            assert value.lower() in BOOLEANS, f"{name}={value} is not a boolean"
        try:
            getattr(env, method)(name)
        except Exception as exc:  # the same error would stop every manage.py command
            raise AssertionError(f"{name}={value} does not parse as {method}: {exc}") from exc


def test_a_copy_of_env_example_as_env_runs_manage_py_check(tmp_path):
    """`cp .env.example .env` and a secret key: the project starts, and reads the file's values."""
    project = tmp_path / "project"
    project.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in {".env", ".git", "manage.py", "liuzhou_pairing"} or entry.name.startswith("db.sqlite3"):
            continue
        (project / entry.name).symlink_to(entry)
    # settings.py finds `.env` next to its own folder (resolving links), and Python puts the real folder of
    # manage.py on the path: both are copied.
    shutil.copy(ROOT / "manage.py", project)
    shutil.copytree(
        ROOT / "liuzhou_pairing", project / "liuzhou_pairing", ignore=shutil.ignore_patterns("__pycache__")
    )
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "\nSECRET_KEY=\n" in text
    (project / ".env").write_text(text.replace("\nSECRET_KEY=\n", "\nSECRET_KEY=" + "s" * 60 + "\n"), encoding="utf-8")
    unset = set(read_env_file(EXAMPLE))  # the file decides, not this machine's environment

    result = run_manage("check", cwd=project, unset=unset)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    shown = run_manage(
        "shell", "-c",
        "import json; from django.conf import settings as s; print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS, "
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.SESSION_COOKIE_AGE, s.DATABASES['default']['ENGINE']]))",
        cwd=project, unset=unset,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    example = read_env_file(EXAMPLE)
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == [
        False,
        [example["ALLOWED_HOSTS"]],
        int(example["LOGIN_FAILURE_LIMIT"]),
        float(example["LOGIN_LOCKOUT_HOURS"]),
        int(example["SESSION_IDLE_TIMEOUT"]),
        "django.db.backends.postgresql",
    ]


def test_trusted_proxies_must_be_addresses():
    result = run_manage("check", SECRET_KEY="k" * 60, TRUSTED_PROXIES="10.0.0.1,proxy.example.invalid")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.example.invalid' is not an IP address" in result.stderr
    shown = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.TRUSTED_PROXIES)",
        SECRET_KEY="k" * 60, TRUSTED_PROXIES=" 10.0.0.1 , ::1,",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "['10.0.0.1', '::1']"


def test_a_local_env_file_with_debug_on_lets_the_readme_commands_run(tmp_path):
    """`make run` writes `.env` with DEBUG on and a key: `manage.py create_user …` then runs as the README writes it,
    and the same settings with DEBUG off and no key still refuse to start."""
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=" + "d" * 50 + "\n", encoding="utf-8")
    shown = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", ENV_FILE=str(env_file)
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "True"
    env_file.write_text("DEBUG=false\n", encoding="utf-8")
    refused = run_manage("check", ENV_FILE=str(env_file))
    assert refused.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in refused.stderr


def test_the_production_environment_wins_over_a_leftover_development_env_file(tmp_path):
    """A server checkout where `make run` once wrote `.env` (DEBUG on): the README's production export of
    DEBUG=false turns it off, so demo accounts stay refused."""
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=" + "d" * 50 + "\n", encoding="utf-8")
    shown = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", ENV_FILE=str(env_file),
        DEBUG="false", SECURE_SSL_REDIRECT="false",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "False"


def test_make_run_writes_a_local_env_file_once(tmp_path):
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    written = subprocess.run([make, "-s", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), ".env"],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert written.returncode == 0, written.stderr
    text = (tmp_path / ".env").read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    assert values["DEBUG"] == "true" and len(values["SECRET_KEY"]) >= 50
    subprocess.run([make, "-s", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), ".env"], check=True, timeout=60)
    assert (tmp_path / ".env").read_text(encoding="utf-8") == text  # written once, never replaced
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


@pytest.mark.django_db
def test_postgresql_connections_run_without_the_jit_compiler():
    """Compiling the reports' statements took seconds of work that ran in milliseconds (settings.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's (scripts/with-postgres)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
