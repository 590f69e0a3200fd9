"""Apps plug into the kernel (`liuzhou_pairing`), as they do for protected uploads; see test_structure.py for
the one-way dependencies."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from liuzhou_pairing import uploads
from pairings.models import Agreement, WorkPlan

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "liuzhou_pairing"


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
