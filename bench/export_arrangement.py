"""Time the download of an arrangement table of N rows (the compulsory table of one county, as the city bureau), and
its page (which shows the first rows), with their SQL statements and peak Python memory. Run it against the
database under test, for example PostgreSQL:

    scripts/with-postgres .venv/bin/python bench/export_arrangement.py --rows 20000

It migrates that database and loads the Liuzhou data first, adds the schools and N active 县—乡 pairings of 融水县 in
a few statements, and removes them at the end. Each step runs twice: once timed, once under tracemalloc for its
peak memory (which slows it down). For comparison it also measures the workbook alone, written from N plain rows
of the same 15 columns (what the writer costs without the query and the model instances).
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

PREFIX = "基准安排表"


class StatementCounter:
    """Count the SQL statements run."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def make_pairings(rows: int):
    """Add helper and recipient schools in 融水县 and `rows` active pairings between them; return the county."""
    from pairings.choices import ArrangedBy, PairingStatus, Tier
    from pairings.liuzhou import county_by_plan_name, liuzhou_cycle
    from pairings.models import Pairing
    from schools.choices import Location, Stage, Standing
    from schools.models import School, Township

    county = county_by_plan_name("融水县")
    cycle = liuzhou_cycle()
    town = Township.objects.filter(county=county).order_by("code").first()
    helpers = max(1, int(rows**0.5) * 2)
    recipients = -(-rows // helpers)
    School.objects.bulk_create(
        [School(name=f"{PREFIX}城区小学{i:04d}", county=county, location=Location.COUNTY_TOWN,
                standing=Standing.HIGH_QUALITY, contact_person="王老师", contact_phone="0772-5123456")
         for i in range(helpers)]
        + [School(name=f"{PREFIX}乡镇小学{i:04d}", county=county, township=town, location=Location.TOWNSHIP,
                  standing=Standing.WEAK, contact_person="李老师", contact_phone="13800000000")
           for i in range(recipients)]
    )  # fmt: skip
    helper_ids = list(School.objects.filter(name__startswith=f"{PREFIX}城区").values_list("pk", flat=True))
    recipient_ids = list(School.objects.filter(name__startswith=f"{PREFIX}乡镇").values_list("pk", flat=True))
    pairs = [(h, r) for h in helper_ids for r in recipient_ids][:rows]
    Pairing.objects.bulk_create(
        [Pairing(cycle=cycle, helper_id=h, recipient_id=r, stage=Stage.COMPULSORY, tier=Tier.COUNTY_TOWNSHIP,
                 arranged_by=ArrangedBy.COUNTY, arranged_by_county=county, status=PairingStatus.ACTIVE,
                 starts_on=cycle.first_day) for h, r in pairs],
        batch_size=2000,
    )  # fmt: skip
    return county


def remove_pairings() -> None:
    from pairings.models import Pairing
    from schools.models import School

    Pairing.objects.filter(helper__name__startswith=PREFIX).delete()
    School.objects.filter(name__startswith=PREFIX).delete()


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
          f"{size / 2**20:.1f} MiB ({rows} rows)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from liuzhou_pairing.xlsx import Column, Sheet, write_workbook

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("load_liuzhou", stdout=io.StringIO())
    remove_pairings()
    county = make_pairings(args.rows)
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    url = reverse("pairings:arrangement_compulsory")
    print(f"database: {connection.vendor}")

    def download() -> int:
        response = client.get(url, {"county": county.pk, "format": "xlsx"})
        assert response.status_code == 200, response.status_code
        return len(response.content)

    def page() -> int:
        response = client.get(url, {"county": county.pk})
        assert response.status_code == 200, response.status_code
        return len(response.content)

    def bare_workbook() -> int:
        columns = [Column(f"列{i}") for i in range(15)]
        rows = ((n, "县—乡", "某某小学", "融水县", "某某镇", "王老师", "0772-5123456") * 2 + ("备注",)
                for n in range(args.rows))  # fmt: skip
        data = io.BytesIO()
        write_workbook(data, [Sheet("表", columns, rows, title="标题", printable=True, stamp=True)])
        return len(data.getvalue())

    try:
        measure("download of the compulsory table (xlsx)", download, args.rows)
        measure("its page (the first rows shown)", page, args.rows)
        measure("reference: the printable workbook alone, from plain rows", bare_workbook, args.rows)
    finally:
        remove_pairings()


if __name__ == "__main__":
    main()
