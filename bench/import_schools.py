"""Time a schools import the way a clerk makes one: an xlsx file of N new schools, previewed, then confirmed, in
the admin as the city bureau. Run it against the database under test, for example PostgreSQL:

    scripts/with-postgres .venv/bin/python bench/import_schools.py --rows 5000

It migrates that database and loads the Liuzhou areas first, and removes the schools it made at the end. It prints
the seconds and the number of SQL statements of each step, the size of the preview page, and the process's peak
memory (resident set) after each step.
"""

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")


def workbook(rows: int) -> io.BytesIO:
    import openpyxl

    from schools.models import Township

    townships = list(Township.objects.select_related("county").order_by("code"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["学校名称", "学校类型", "办学性质", "所在位置", "县（区）", "乡镇（街道）", "联系人", "联系电话"])
    for i in range(rows):
        township = townships[i % len(townships)]
        county = township.county.short_name or township.county.name
        sheet.append([f"基准测试学校{i:05d}", "小学", "公办", "乡镇", county, township.name, "王老师", "0772-5123456"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "schools.xlsx"
    return data


def peak_mb() -> float:
    """Return the peak resident memory of this process so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StatementCounter:
    """Count the SQL statements run (Django's own query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from schools.models import School

    # The test environment records each response's template context, which is where the import result is.
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("load_liuzhou", stdout=io.StringIO())
    School.objects.filter(name__startswith="基准测试学校").delete()
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    upload = workbook(args.rows)
    print(f"peak memory before the import: {peak_mb():.0f} MB")

    print(f"database: {connection.vendor}; rows: {args.rows}")
    queries = StatementCounter()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        response = client.post(reverse("admin:schools_school_import"), {"format": "0", "resource": "0",
                                                                         "import_file": upload})  # fmt: skip
        preview = time.perf_counter() - started
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), "the bench file should import cleanly"
    print(f"preview: {preview:.1f} s, {queries.count} statements ({queries.count / args.rows:.1f} a row); "
          f"page {len(response.content) / 1024:.0f} KB; peak memory {peak_mb():.0f} MB")  # fmt: skip
    confirm = response.context["confirm_form"].initial
    queries = StatementCounter()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        response = client.post(reverse("admin:schools_school_process_import"), confirm)
        confirmed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    created = School.objects.filter(name__startswith="基准测试学校").count()
    print(f"confirm: {confirmed:.1f} s, {queries.count} statements ({queries.count / args.rows:.1f} a row); "
          f"{created} schools created; peak memory {peak_mb():.0f} MB")  # fmt: skip
    School.history.filter(name__startswith="基准测试学校").delete()
    School.objects.filter(name__startswith="基准测试学校").delete()


if __name__ == "__main__":
    main()
