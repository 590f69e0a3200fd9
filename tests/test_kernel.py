"""The kernel (`liuzhou_pairing`) imports no app; apps plug into it, as they do for protected uploads."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from liuzhou_pairing import uploads
from pairings.models import Agreement, WorkPlan

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "liuzhou_pairing"


def _project_apps() -> set[str]:
    return {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and config.name != "liuzhou_pairing"
    }


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_the_kernel_imports_no_app():
    """Management commands are entry points that drive the apps; every other kernel module stands alone."""
    project_apps = _project_apps()
    assert {"accounts", "schools", "pairings"} <= project_apps
    offending = {
        str(path.relative_to(ROOT)): sorted(m for m in _imported_modules(path) if m.split(".")[0] in project_apps)
        for path in KERNEL.rglob("*.py")
        if "management" not in path.relative_to(KERNEL).parts
    }
    assert {path: modules for path, modules in offending.items() if modules} == {}


def test_pairings_registers_its_uploads():
    assert set(uploads.protected_uploads()) >= {(Agreement, "scan"), (WorkPlan, "document")}


@pytest.fixture
def empty_registry(monkeypatch):
    monkeypatch.setattr(uploads, "_protected_uploads", [])


def test_registering_twice_changes_nothing(empty_registry):
    uploads.register_protected_upload(Agreement, "scan")
    uploads.register_protected_upload(Agreement, "scan")
    assert uploads.protected_uploads() == [(Agreement, "scan")]


def test_only_file_fields_can_be_registered(empty_registry):
    with pytest.raises(ImproperlyConfigured, match="not a file field"):
        uploads.register_protected_upload(Agreement, "plan")
    assert uploads.protected_uploads() == []


def test_only_scoped_models_can_be_registered(empty_registry, django_user_model):
    with pytest.raises(ImproperlyConfigured, match="no for_user"):
        uploads.register_protected_upload(django_user_model, "username")
    assert uploads.protected_uploads() == []
