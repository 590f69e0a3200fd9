"""Write paths for areas and schools. Every caller (admin, import, commands, demo) goes through here."""

import csv
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from liuzhou_pairing.access import (
    NotAllowed,
    changed_fields,
    full_clean,
    require,
    require_may_change,
    save_checked,
    save_checked_many,
    stored_for_update,
)
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.loading import LoadReport
from liuzhou_pairing.scope import scope_of

from .choices import CountyKind, SchoolStatus, TownshipKind
from .models import County, ManagementArea, School, Township, Village

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DIVISIONS_DIR = FIXTURES_DIR / "liuzhou_divisions"
LIUZHOU_DIR = FIXTURES_DIR / "liuzhou"

TOWNSHIP_KINDS = {"街道": TownshipKind.SUBDISTRICT, "镇": TownshipKind.TOWN, "乡": TownshipKind.TOWNSHIP}

# The fields of a school that services set, in the order forms show them: the one list of them.
SCHOOL_FIELDS = (
    "name",
    "school_code",
    "school_type",
    "ownership",
    "standing",
    "location",
    "county",
    "management_area",
    "township",
    "village",
    "address",
    "is_central",
    "is_city_administered",
    "contact_person",
    "contact_phone",
    "status",
    "status_date",
    "merged_into",
    "note",
)
# School staff keep their own school's contact details up to date; the bureaus keep the rest.
SCHOOL_CONTACT_FIELDS = {"contact_person", "contact_phone"}
# Only the demo generator (a command, acting as SYSTEM) marks schools as demo data.
DEMO_FIELD = "is_demo"


# Checks that apps above this one run when a school changes (pairings re-check theirs), registered in their
# AppConfig.ready(): called as check(school=, actor=, changed=, on=) inside the school's transaction, after it
# is saved; one that raises rolls the change back.
SCHOOL_CHANGE_CHECKS: list[Callable[..., None]] = []


def register_school_change_check(check: Callable[..., None]) -> None:
    if check not in SCHOOL_CHANGE_CHECKS:
        SCHOOL_CHANGE_CHECKS.append(check)


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - {*SCHOOL_FIELDS, DEMO_FIELD}
    if unknown:
        raise TypeError(f"Unknown school fields: {sorted(unknown)}")


def school_editable_fields(actor: Any) -> set[str]:
    """Return the fields of a school `actor` may set: every field for the city and a county bureau (within its
    own county), the contact details for school staff, nothing for the others."""
    scope = scope_of(actor)
    if not scope.writes:
        return set()
    if scope.city or scope.county_id:
        return {*SCHOOL_FIELDS, DEMO_FIELD} if actor is SYSTEM else set(SCHOOL_FIELDS)
    return set(SCHOOL_CONTACT_FIELDS)


def _labels(names: set[str]) -> str:
    return "、".join(str(School._meta.get_field(n).verbose_name) for n in sorted(names))


def _status_check(school: School, stored: School | None, changed: set[str]) -> None:
    """Apply the checks of closing and merging to any change of status, however it is made: a closed or merged
    school stays as it is (its record is history), and a school merges only into an active one."""
    if stored is not None and not stored.is_active and changed & {"status", "status_date", "merged_into"}:
        raise ValidationError({"status": _("This school is already closed or merged.")})
    if school.status == SchoolStatus.MERGED and changed & {"status", "merged_into"} and school.merged_into_id:
        if school.merged_into_id == school.pk:
            raise ValidationError({"merged_into": _("A school cannot merge into itself.")})
        if not school.merged_into.is_active:
            raise ValidationError({"merged_into": _("A school can only merge into an active school.")})


class SchoolBatch:
    """Schools checked one at a time and new ones written together: the one write path for schools, whether one
    school is saved from a form or thousands come from an import or the demo generator.

    `add` applies every check to one school and raises for that school alone (NotAllowed: who may not;
    ValidationError: what is wrong). A changed school is written there and then, and the checks of the apps above
    run on it (its pairings are re-checked), so that a refusal names its row; a new school waits for `save`, which
    writes all of them in one INSERT per database batch, with their history and one query re-checking the actor's
    area. Use both inside one transaction.

    With `preload` the names and national codes already taken are read once, at the first `add` (a file of
    thousands of rows); without it each `add` asks the database about its own school (a single save)."""

    def __init__(self, *, actor: Any, preload: bool = False) -> None:
        self.actor = actor
        self.scope = scope_of(actor)
        self.preload = preload
        self.added: list[School] = []
        self.new: list[School] = []
        self._taken: dict[str, dict[str, int]] | None = None
        self._in_batch: dict[str, dict[str, School]] = {"name": {}, "school_code": {}}

    def __len__(self) -> int:
        return len(self.new)

    def add(self, school: School, *, expected_version: int | None = None) -> School:
        """Check `school` (new or changed) for the batch's actor; raise if it may not be saved as it is."""
        actor, scope = self.actor, self.scope
        require(scope.writes, _("Your role may not change the school registry."))
        stored = None
        if school.pk:
            require_may_change(school, actor)
            stored = stored_for_update(school, expected_version)
        else:
            require(
                scope.city or bool(scope.county_id), _("Only the city bureau and county bureaus register schools.")
            )
        changed = changed_fields(stored or School(), school, {*SCHOOL_FIELDS, DEMO_FIELD})
        refused = changed - school_editable_fields(actor)
        require(
            not refused, _("You may not change these fields of a school: %(fields)s.") % {"fields": _labels(refused)}
        )
        if scope.county_id and school.county_id != scope.county_id:
            raise NotAllowed(
                _(
                    "A county bureau registers and changes only the schools of its own county; “%(school)s” would "
                    "not be."
                )
                % {"school": school.name}
            )
        _status_check(school, stored, changed)
        full_clean(school, unique=False)
        self._check_unique(school)
        if stored is None:
            self.new.append(school)
        else:
            # A savepoint: a refusal of this row (a pairing it would break) leaves the rows before it as they were.
            with transaction.atomic():
                save_checked_many([school], actor=actor, stored={school.pk: stored})
                if changed:
                    for check in SCHOOL_CHANGE_CHECKS:
                        check(school=school, actor=actor, changed=changed)
        self.added.append(school)
        for field, values in self._in_batch.items():
            if stored is not None and getattr(stored, field):
                values.pop(getattr(stored, field), None)
                if self._taken is not None:
                    self._taken[field].pop(getattr(stored, field), None)
            if getattr(school, field):
                values[getattr(school, field)] = school
        return school

    def _taken_by(self, field: str, value: str, school: School) -> bool:
        """Return whether another stored school already has `value` in `field` (name, national school code)."""
        if not self.preload:
            return School.objects.filter(**{field: value}).exclude(pk=school.pk).exists()
        if self._taken is None:
            self._taken = {
                "name": dict(School.objects.values_list("name", "pk")),
                "school_code": dict(School.objects.exclude(school_code="").values_list("school_code", "pk")),
            }
        return self._taken[field].get(value, school.pk) != school.pk

    def _check_unique(self, school: School) -> None:
        errors = {}
        in_batch = self._in_batch
        if in_batch["name"].get(school.name, school) is not school:
            errors["name"] = ValidationError(_("Another row of this file already has this name."), code="unique")
        elif self._taken_by("name", school.name, school):
            errors["name"] = school.unique_error_message(School, ("name",))
        code = school.school_code
        if code and in_batch["school_code"].get(code, school) is not school:
            errors["school_code"] = ValidationError(
                _("Another row of this file already has this national school code."), code="unique"
            )
        elif code and self._taken_by("school_code", code, school):
            errors["school_code"] = ValidationError(
                _("Another school already has this national school code."), code="unique"
            )
        if errors:
            raise ValidationError(errors)

    def save(self) -> list[School]:
        """Write the new schools added, with their history; return every school added, in order."""
        save_checked_many(self.new, actor=self.actor)
        added, self.added, self.new = self.added, [], []
        self._in_batch = {"name": {}, "school_code": {}}
        self._taken = None
        return added


@transaction.atomic
def school_save(*, school: School, actor: Any, expected_version: int | None = None) -> School:
    """Save a new or changed school for `actor`: who may set which field, the status rules, every field,
    constraint and the county → township → village hierarchy; a stale edit is refused."""
    batch = SchoolBatch(actor=actor)
    batch.add(school, expected_version=expected_version)
    return batch.save()[0]


def school_create(*, actor: Any, **fields: Any) -> School:
    """Create a school; nothing is saved unless the whole row is valid."""
    _check_fields(fields)
    return school_save(school=School(**fields), actor=actor)


def school_update(*, school: School, actor: Any, expected_version: int | None = None, **fields: Any) -> School:
    """Change a school's fields; nothing is saved unless the whole row is valid."""
    _check_fields(fields)
    for name, value in fields.items():
        setattr(school, name, value)
    return school_save(school=school, actor=actor, expected_version=expected_version)


@transaction.atomic
def school_close(
    *,
    school: School,
    on: datetime.date,
    actor: Any,
    merged_into: School | None = None,
    expected_version: int | None = None,
) -> School:
    """Close a school, or record that it merged into another; its history and pairings are kept."""
    if not School.objects.filter(pk=school.pk, status=SchoolStatus.ACTIVE).exists():
        raise ValidationError({"status": _("This school is already closed or merged.")})
    school.status = SchoolStatus.MERGED if merged_into else SchoolStatus.CLOSED
    school.merged_into = merged_into
    school.status_date = on
    return school_save(school=school, actor=actor, expected_version=expected_version)


@transaction.atomic
def area_save(
    *, area: County | Township | Village | ManagementArea, actor: Any, expected_version: int | None = None
) -> Any:
    """Save a county-level unit, township, village or management area: reference data, the city's alone."""
    require(scope_of(actor).city, _("Areas are reference data: only the city bureau changes them."))
    stored = stored_for_update(area, expected_version) if area.pk else None
    return save_checked(area, actor=actor, stored=stored)


# --- Reference data ---------------------------------------------------------------------------------------


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
            area_save(area=obj, actor=SYSTEM)
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
            area_save(area=ManagementArea(name=r["name"], county=county), actor=SYSTEM)
            report.add("management_areas", created=1)
        elif area.county_id != county.pk:
            area.county = county
            area_save(area=area, actor=SYSTEM)
            report.add("management_areas", updated=1)
    return report


@transaction.atomic
def named_schools_load(report: LoadReport | None = None, actor: Any = SYSTEM) -> LoadReport:
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
