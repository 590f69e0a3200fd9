"""The import measure: a clerk's file of N new pairings imported through the rules, against the floor
(`Pairing.objects.bulk_create` of the same rows).

In a database already holding region data (DATABASE_URL), `measure(rows)` picks N new pairings that every rule
accepts between existing schools of the latest cycle (township central schools helping the other schools of their
township, then county-town schools helping the township central schools of their county), writes them as an xlsx
file the way a clerk fills the import template, and imports it through the code the admin's confirm step runs
(`process_import`: the stored file read back, `import_data` with the city bureau's user, the admin log and the
message), timing it and counting its SQL statements. It then times the floor, `bulk_create` of the same pairings,
and asserts both wrote the same rows. Everything happens inside one transaction rolled back at the end: the
database is left as it was found.

    DATABASE_URL=postgres://… .venv/bin/python bench/measure_import.py --rows 10000

prints the result as JSON. Importing this module does nothing but define it.
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

NAME = "import of pairings through the rules"
GOAL_RATIO = 5.0
HEADERS = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "帮扶学校联系人", "帮扶学校联系电话", "受援学校",
           "受援学校联系人", "受援学校联系电话", "安排单位", "状态"]  # fmt: skip
# The fields compared between the project's rows and the floor's (not the pk, version or creation time).
COMPARED = ("cycle_id", "helper_id", "recipient_id", "stage", "tier", "arranged_by", "arranged_by_county_id",
            "is_city_fixed", "lead_school_id", "status", "starts_on", "ended_on", "end_reason", "helper_contact",
            "helper_phone", "recipient_contact", "recipient_phone", "warnings")  # fmt: skip


def _django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


class _Counter:
    """Count the SQL statements run (Django's own query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _candidates(cycle):
    """Yield (helper, recipient, tier) pairs of active schools the plan's tiers allow, township by township."""
    from pairings.choices import Tier
    from schools.choices import Location, SchoolStatus
    from schools.models import School

    schools = list(School.objects.filter(status=SchoolStatus.ACTIVE).select_related("county").order_by("pk"))
    by_township: dict[int, list] = {}
    by_county: dict[int, list] = {}
    for school in schools:
        if school.township_id:
            by_township.setdefault(school.township_id, []).append(school)
        if school.county_id:
            by_county.setdefault(school.county_id, []).append(school)
    for members in by_township.values():
        for helper in (s for s in members if s.is_central):
            for recipient in members:
                if recipient is not helper and not recipient.is_central:
                    yield helper, recipient, Tier.TOWNSHIP_VILLAGE
    for members in by_county.values():
        helpers = [s for s in members if s.location in (Location.URBAN, Location.COUNTY_TOWN)]
        for recipient in (s for s in members if s.is_central):
            for helper in helpers:
                yield helper, recipient, Tier.COUNTY_TOWNSHIP


def _new_pairings(user, cycle, rows: int) -> list:
    """Return `rows` new pairings of `cycle` that every rule accepts for `user`, checked (not written) by a batch,
    each with its warnings: what the file asks for, and what the floor writes."""
    from django.core.exceptions import ValidationError

    from liuzhou_pairing.access import NotAllowed
    from pairings.services import PairingBatch
    from schools.choices import Stage

    batch = PairingBatch(actor=user, preload=True)
    for helper, recipient, tier in _candidates(cycle):
        try:
            batch.add(helper=helper, recipient=recipient, stage=Stage.COMPULSORY, tier=tier, cycle=cycle,
                      helper_contact="李老师", helper_phone="0772-5123456", recipient_contact="王老师",
                      recipient_phone="13800000000")  # fmt: skip
        except (ValidationError, NotAllowed):
            continue
        if len(batch) == rows:
            return batch.pending
    raise RuntimeError(f"the database has only {len(batch)} new pairings the rules accept, not {rows}")


def _workbook(pairings: list) -> bytes:
    """Return the clerk's xlsx file naming the pairings: schools by national code where they have one, else by
    exact name; labels as the template's drop-down lists offer them."""
    import openpyxl
    from django.utils import translation

    from pairings.choices import PairingStatus, Tier
    from schools.choices import Stage

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    with translation.override("zh-hans"):
        stage, status = str(Stage.COMPULSORY.label), str(PairingStatus.ACTIVE.label)
        tiers = {t.value: str(t.label) for t in Tier}
    for p in pairings:
        sheet.append([p.cycle.name, stage, tiers[p.tier], p.helper.school_code or p.helper.name, p.helper_contact,
                      p.helper_phone, p.recipient.school_code or p.recipient.name, p.recipient_contact,
                      p.recipient_phone, "市教育局", status])  # fmt: skip
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _written(after_pk: int) -> list[tuple]:
    from pairings.models import Pairing

    rows = Pairing.objects.filter(pk__gt=after_pk).order_by("helper_id", "recipient_id").values_list(*COMPARED)
    return [(*row[:-1], tuple(row[-1] or ())) for row in rows]


def _import(model_admin, user, data: bytes) -> Any:
    """Confirm the import of `data` as the admin's confirm step does, for `user`; return the response."""
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.core.files.base import ContentFile
    from django.test import RequestFactory

    from liuzhou_pairing.imports import XlsxFile

    formats = model_admin.get_import_formats()
    index = next(i for i, f in enumerate(formats) if issubclass(f, XlsxFile))
    stored = model_admin.write_to_tmp_storage(ContentFile(data), formats[index]())
    request = RequestFactory().post("/", {"import_file_name": stored.name, "original_file_name": "结对名单.xlsx",
                                          "format": str(index), "resource": "0"})  # fmt: skip
    request.user = user
    request._messages = CookieStorage(request)
    return model_admin.process_import(request)


def measure(rows: int = 10000, repeat: int = 2) -> dict:
    """Import `rows` new pairings through the admin's confirm step and bulk_create the same rows; return
    {"name", "project_s", "floor_s", "ratio", "queries", "rows", "ok", "summary"} (best of `repeat`, alternating)."""
    _django()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from pairings.models import Cycle, Pairing

    model_admin = admin.site._registry[Pairing]
    project_times, floor_times, queries = [], [], 0
    with transaction.atomic():
        user = get_user_model().objects.create_superuser("bench-import", "bench@example.invalid", None)
        cycle = Cycle.objects.order_by("-first_academic_year").first()
        pairings = _new_pairings(user, cycle, rows)
        data = _workbook(pairings)
        after = Pairing.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for _ in range(repeat):
            with transaction.atomic():
                counter = _Counter()
                with connection.execute_wrapper(counter):
                    started = time.perf_counter()
                    response = _import(model_admin, user, data)
                    project_times.append(time.perf_counter() - started)
                queries = counter.count
                assert response.status_code == 302, "the import was refused"
                project = _written(after)
                transaction.set_rollback(True)
            with transaction.atomic():
                floor_rows = [Pairing(**{f.attname: getattr(p, f.attname) for f in Pairing._meta.concrete_fields})
                              for p in pairings]  # fmt: skip
                started = time.perf_counter()
                Pairing.objects.bulk_create(floor_rows)
                floor_times.append(time.perf_counter() - started)
                floor = _written(after)
                transaction.set_rollback(True)
            assert len(project) == rows and project == floor, "the import did not write the rows the floor wrote"
        transaction.set_rollback(True)
    project_s, floor_s = min(project_times), min(floor_times)
    ratio = project_s / floor_s
    return {
        "name": NAME,
        "project_s": round(project_s, 3),
        "floor_s": round(floor_s, 3),
        "ratio": round(ratio, 2),
        "queries": queries,
        "rows": rows,
        "ok": ratio <= GOAL_RATIO,
        "summary": f"{rows} rows: {project_s:.2f} s vs bulk_create {floor_s:.2f} s ({ratio:.1f}×), {queries} queries",
    }


def _probe():
    """The measure as the harness's Probe (bench/measure.py), for a harness that collects MEASURES."""
    from bench.measure import Probe

    return Probe(name=NAME, run=lambda: measure(), goal=f"≤ {GOAL_RATIO:g}× bulk_create, queries per row O(1)")


try:
    MEASURES = [_probe()]
except ImportError:  # run as a script from elsewhere, without the repository on the path
    MEASURES = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.repeat), ensure_ascii=False))


if __name__ == "__main__":
    main()
