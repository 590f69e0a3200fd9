"""Write paths for areas and schools. Every caller (admin, import, commands, demo) goes through here."""

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from liuzhou_pairing.history import record_actor

from .choices import CountyKind, SchoolStatus, TownshipKind
from .models import County, ManagementArea, School, Township, Village

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DIVISIONS_DIR = FIXTURES_DIR / "liuzhou_divisions"
LIUZHOU_DIR = FIXTURES_DIR / "liuzhou"

TOWNSHIP_KINDS = {"街道": TownshipKind.SUBDISTRICT, "镇": TownshipKind.TOWN, "乡": TownshipKind.TOWNSHIP}

SCHOOL_FIELDS = {
    "name",
    "school_code",
    "school_type",
    "ownership",
    "location",
    "is_central",
    "is_city_administered",
    "standing",
    "county",
    "management_area",
    "township",
    "village",
    "address",
    "contact_person",
    "contact_phone",
    "note",
    "is_demo",
}


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - SCHOOL_FIELDS
    if unknown:
        raise TypeError(f"Unknown school fields: {sorted(unknown)}")


@transaction.atomic
def school_save(*, school: School, actor: Any = None) -> School:
    """Validate every field, constraint and the county → township → village hierarchy, then save."""
    school.full_clean()
    record_actor(school, actor)
    school.save()
    return school


def school_create(*, actor: Any = None, **fields: Any) -> School:
    """Create a school; nothing is saved unless the whole row is valid."""
    _check_fields(fields)
    return school_save(school=School(**fields), actor=actor)


def school_update(*, school: School, actor: Any = None, **fields: Any) -> School:
    """Change a school's fields; nothing is saved unless the whole row is valid."""
    _check_fields(fields)
    for name, value in fields.items():
        setattr(school, name, value)
    return school_save(school=school, actor=actor)


@transaction.atomic
def school_close(*, school: School, on: datetime.date, actor: Any = None, merged_into: School | None = None) -> School:
    """Close a school, or record that it merged into another; its history and pairings are kept."""
    if not school.is_active:
        raise ValidationError({"status": _("This school is already closed or merged.")})
    if merged_into is not None and not merged_into.is_active:
        raise ValidationError({"merged_into": _("A school can only merge into an active school.")})
    school.status = SchoolStatus.MERGED if merged_into else SchoolStatus.CLOSED
    school.merged_into = merged_into
    school.status_date = on
    school.full_clean()
    record_actor(school, actor)
    school.save()
    return school


# --- Reference data ---------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    """Counts of what a load created and changed, by kind of record."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, *, created: int = 0, updated: int = 0) -> None:
        self.created[kind] = self.created.get(kind, 0) + created
        self.updated[kind] = self.updated.get(kind, 0) + updated

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _sync(model: type, rows: list[dict[str, Any]], report: LoadReport, kind: str) -> dict[str, Any]:
    """Create or update `model` rows keyed by code; leave identical rows untouched. Return objects by code."""
    existing = {obj.code: obj for obj in model.objects.all()}
    to_create, created, updated = [], 0, 0
    for row in rows:
        obj = existing.get(row["code"])
        if obj is None:
            obj = model(**row)
            obj.full_clean(validate_unique=False, validate_constraints=False)
            to_create.append(obj)
            created += 1
            continue
        changed = [name for name, value in row.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, row[name])
            obj.full_clean()
            obj.save(update_fields=changed)
            updated += 1
    # Codes are unique in the source files; the database's unique constraints guard the bulk insert.
    model.objects.bulk_create(to_create, batch_size=500)
    report.add(kind, created=created, updated=updated)
    return {obj.code: obj for obj in model.objects.all()}


@transaction.atomic
def areas_load(report: LoadReport | None = None) -> LoadReport:
    """Load the real divisions of Liuzhou (fixtures/liuzhou_divisions) and the plan's names for them (R4)."""
    report = report or LoadReport()
    aliases = {r["code"]: r for r in read_csv(LIUZHOU_DIR / "county_names.csv")}
    counties = _sync(
        County,
        [
            {
                "code": r["code"],
                "name": r["name"],
                "kind": CountyKind(r["kind"]),
                "short_name": aliases.get(r["code"], {}).get("short_name", ""),
                "former_names": aliases.get(r["code"], {}).get("former_names", ""),
            }
            for r in read_csv(DIVISIONS_DIR / "counties.csv")
        ],
        report,
        "counties",
    )
    townships = _sync(
        Township,
        [
            {
                "code": r["code"],
                "name": r["name"],
                "county_id": counties[r["county_code"]].pk,
                "kind": TOWNSHIP_KINDS[r["kind"]],
            }
            for r in read_csv(DIVISIONS_DIR / "townships.csv")
        ],
        report,
        "townships",
    )
    _sync(
        Village,
        [
            {"code": r["code"], "name": r["name"], "township_id": townships[r["township_code"]].pk}
            for r in read_csv(DIVISIONS_DIR / "villages.csv")
        ],
        report,
        "villages",
    )
    for r in read_csv(LIUZHOU_DIR / "management_areas.csv"):
        county = counties[r["county_code"]]
        area = ManagementArea.objects.filter(name=r["name"]).first()
        if area is None:
            area = ManagementArea(name=r["name"], county=county)
            area.full_clean()
            area.save()
            report.add("management_areas", created=1)
        elif area.county_id != county.pk:
            area.county = county
            area.full_clean()
            area.save()
            report.add("management_areas", updated=1)
    return report


@transaction.atomic
def named_schools_load(report: LoadReport | None = None, actor: Any = None) -> LoadReport:
    """Create the schools the plan names (R13, R15) that are missing; never overwrite what users have edited."""
    report = report or LoadReport()
    counties = {c.code: c for c in County.objects.all()}
    existing = set(School.objects.values_list("name", flat=True))
    created = 0
    for r in read_csv(LIUZHOU_DIR / "named_schools.csv"):
        if r["name"] in existing:
            continue
        school_create(
            actor=actor,
            name=r["name"],
            school_type=r["school_type"],
            county=counties[r["county_code"]] if r["county_code"] else None,
            location=r["location"],
            is_city_administered=r["is_city_administered"] == "true",
            standing=r["standing"],
            note=r["note"],
        )
        created += 1
    report.add("schools", created=created)
    return report


def named_school_names() -> list[str]:
    """Return the names of the schools the plan names, in the plan's order."""
    return [r["name"] for r in read_csv(LIUZHOU_DIR / "named_schools.csv")]
