"""Apps depend one way: the kernel ← schools ← pairings ← activities ← inspections, with accounts beside
them depending on schools. A lower app never imports a higher one, not even inside a function."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "schools", "pairings", "activities", "inspections", "jobs"]
# What each package may import among the project's apps.
ALLOWED = {
    "liuzhou_pairing": set(),
    # Background jobs (a large export) know only the kernel; apps hand them their work.
    "jobs": set(),
    "schools": set(),
    "accounts": {"schools"},
    "pairings": {"schools"},
    "activities": {"schools", "pairings", "jobs"},
    "inspections": {"schools", "pairings", "activities"},
}


def imported_apps(package: str) -> dict[str, set[str]]:
    """Return, for each module of `package` (migrations aside), the project apps it imports."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = (names & set(APPS)) - {package}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_apps_depend_one_way(package):
    wrong = {module: apps - ALLOWED[package] for module, apps in imported_apps(package).items()}
    assert {module: apps for module, apps in wrong.items() if apps} == {}


def test_admin_pages_show_the_fields_the_services_set():
    """Each model's field list lives in its service; the admin's sections group exactly those fields."""
    from django.contrib import admin
    from django.contrib.admin.utils import flatten_fieldsets

    from pairings.models import Pairing
    from pairings.services import PAIRING_FIELDS
    from schools.models import School
    from schools.services import SCHOOL_FIELDS

    for model, fields in ((School, SCHOOL_FIELDS), (Pairing, PAIRING_FIELDS)):
        shown = set(flatten_fieldsets(admin.site._registry[model].fieldsets))
        assert set(fields) <= shown, set(fields) - shown


def test_check_constraints_are_evaluated_in_python_as_the_database_would():
    """The services check simple constraints in Python; each verdict must match the database's."""
    import datetime

    from django.core.exceptions import ValidationError

    from liuzhou_pairing.access import validate_constraints
    from pairings.models import Cycle

    deadline = datetime.date(2016, 9, 15)
    good = Cycle(name="x", first_academic_year=2016, last_academic_year=2020, work_plan_deadline=deadline,
                 agreement_deadline=deadline)  # fmt: skip
    validate_constraints(good)
    bad = Cycle(name="y", first_academic_year=2020, last_academic_year=2016)
    with pytest.raises(ValidationError, match="最后学年不能早于起始学年|cannot come before"):
        validate_constraints(bad)
