"""Time the admin's export of N schools, as the city bureau, in xlsx and in csv, and count its SQL statements and its
peak Python memory. Run it against the database under test, for example PostgreSQL:

    scripts/with-postgres .venv/bin/python bench/export_schools.py --rows 20000

It migrates that database and loads the Liuzhou areas first, adds N schools in one statement, and removes them at
the end. Each step runs twice: once timed, once under tracemalloc for its peak memory (which slows it down). For
comparison it also times django-import-export's own export of the same rows (a tablib dataset, what the admin's
export button did before) and a bare openpyxl write-only workbook of the rows' values.
"""

import argparse
import io
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")

PREFIX = "基准导出学校"


class StatementCounter:
    """Count the SQL statements run (Django's own query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def make_schools(rows: int) -> None:
    from schools.choices import Location, SchoolType
    from schools.models import School, Township, Village

    townships = list(Township.objects.select_related("county").order_by("code"))
    villages = {}
    for village in Village.objects.order_by("code"):
        villages.setdefault(village.township_id, village)
    School.objects.bulk_create(
        [
            School(
                name=f"{PREFIX}{i:05d}",
                school_type=SchoolType.PRIMARY,
                location=Location.VILLAGE,
                county=townships[i % len(townships)].county,
                township=townships[i % len(townships)],
                village=villages.get(townships[i % len(townships)].pk),
                address=f"{townships[i % len(townships)].name}{i}号",
                contact_person="王老师",
                contact_phone="0772-5123456",
                note="=1+1" if i % 100 == 0 else "",
            )
            for i in range(rows)
        ],
        batch_size=2000,
    )


def measure(label: str, step, rows: int) -> None:
    from django.db import connection

    queries = StatementCounter()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        size = step()
        seconds = time.perf_counter() - started
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label}: {seconds:.1f} s, {queries.count} statements, peak {peak / 2**20:.1f} MiB, "
          f"file {size / 2**20:.1f} MiB ({rows} rows)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--no-compare", action="store_true", help="skip the two comparison steps")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from schools.models import School

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("load_liuzhou", stdout=io.StringIO())
    School.objects.filter(name__startswith=PREFIX).delete()
    make_schools(args.rows)
    total = School.objects.count()
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    url = reverse("admin:schools_school_export")
    print(f"database: {connection.vendor}; schools: {total}")

    def admin_export(file_format: str):
        def step() -> int:
            response = client.post(url, {"format": file_format, "resource": "0"})
            assert response.status_code == 200, response.status_code
            return len(response.content)

        return step

    try:
        measure("admin export, xlsx", admin_export("0"), total)
        measure("admin export, csv", admin_export("1"), total)
        if not args.no_compare:
            from import_export.formats.base_formats import XLSX

            from schools.resources import SchoolResource

            def tablib_export() -> int:
                dataset = SchoolResource(user=user).export(queryset=School.objects.for_user(user))
                return len(XLSX().export_data(dataset))

            def bare_workbook() -> int:
                import openpyxl

                book = openpyxl.Workbook(write_only=True)
                sheet = book.create_sheet("学校名单")
                fields = ["name", "school_code", "school_type", "address", "contact_person", "contact_phone", "note"]
                for row in School.objects.values_list(*fields).iterator(chunk_size=2000):
                    sheet.append(row)
                data = io.BytesIO()
                book.save(data)
                return len(data.getvalue())

            measure("before: django-import-export's export (tablib)", tablib_export, total)
            measure("reference: bare openpyxl write-only workbook of 7 columns", bare_workbook, total)
    finally:
        School.objects.filter(name__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
