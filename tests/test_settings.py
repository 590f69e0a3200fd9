"""Settings come from the environment; production refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    # Start from the machine's environment without the settings the test run itself sets (pyproject.toml,
    # and the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE).
    ours = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "SECURE_SSL_REDIRECT", "STATIC_MANIFEST"}
    ours.add("DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in ours}
    base.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
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
    untranslated = [e.msgid for e in po if not e.msgstr and not e.obsolete]
    assert untranslated == []
    with translation.override("zh-hans"):
        for entry in po:
            if entry.msgctxt:
                assert translation.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
            else:
                assert translation.gettext(entry.msgid) == entry.msgstr, entry.msgid
