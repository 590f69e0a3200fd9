"""What README.md tells an operator agrees with the code."""

import re
from pathlib import Path

from liuzhou_pairing.uploads import MAX_DOCUMENT_BYTES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
MB = 1024 * 1024


def test_the_proxy_body_cap_lets_the_largest_accepted_upload_through():
    """nginx's `client_max_body_size` sits a little above the application's limit: every file the application
    accepts gets through with its form, and a file just above the limit reaches the application's message."""
    caps = re.findall(r"^\s*client_max_body_size (\d+)m;", README, re.MULTILINE)
    assert len(caps) == 1
    cap = int(caps[0]) * MB
    assert MAX_DOCUMENT_BYTES + MB <= cap <= MAX_DOCUMENT_BYTES + 4 * MB
    assert f"limited to {MAX_DOCUMENT_BYTES // MB} MB by the application" in README


def test_every_manage_py_command_is_written_as_it_runs_from_the_project_folder():
    """`make run` writes `.env` and the virtual environment: `.venv/bin/python manage.py …` runs as written."""
    commands = re.findall(r"([^\s`]*)python3? manage\.py", README)
    assert len(commands) >= 10
    assert set(commands) == {".venv/bin/"}


def test_running_a_region_names_only_settings_that_exist():
    """Every variable the section names is read by the settings and documented in .env.example."""
    root = Path(__file__).resolve().parent.parent
    section = README.split("## Running a region", 1)[1].split("\n## ", 1)[0]
    settings_py = (root / "liuzhou_pairing" / "settings.py").read_text(encoding="utf-8")
    example = (root / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"`([A-Z][A-Z_]{3,})(?:=[^`]*)?`", section))
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "MEDIA_ROOT", "TLS_PROXY", "TRUSTED_PROXIES"} <= names
    for name in names - {"TASKS", "TEST", "SIGTERM"}:
        assert f'"{name}"' in settings_py, name
        assert f"\n{name}=" in example, name
