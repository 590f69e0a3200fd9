"""An import costs a bounded number of queries per file plus a constant number per row: look-ups are read once
per file, every row is validated once, and simple constraints are checked without a query each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tablib import Dataset

from schools.models import School, Township
from schools.resources import SchoolResource

pytestmark = pytest.mark.django_db

HEADERS = ["学校名称", "学校类型", "县（区）", "乡镇（街道）", "所在位置", "联系电话"]


def import_queries(user, data: Dataset) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = SchoolResource(user=user).import_data(data, dry_run=False, use_transactions=True, user=user)
    assert not result.has_errors() and not result.has_validation_errors()
    return len(queries.captured_queries)


def rows(n: int, township: Township, prefix: str, phone: str) -> Dataset:
    data = Dataset(headers=HEADERS)
    for i in range(n):
        data.append([f"{prefix}{i}", "小学", township.county.name, township.name, "乡镇", phone])
    return data


@pytest.mark.parametrize("existing", [False, True], ids=["new schools", "changed schools"])
def test_a_schools_import_costs_a_constant_number_of_queries_per_row(liuzhou, django_user_model, existing):
    user = django_user_model.objects.create_superuser("clerk", "clerk@example.invalid", "x-Strong-Pass-2016")
    township = Township.objects.filter(county__short_name="融水县").first()
    counts = {}
    for n in (50, 500):
        prefix = f"测试学校{n}-"
        if existing:
            School.objects.bulk_create(
                School(name=f"{prefix}{i}", school_type="primary", county=township.county, township=township,
                       location="township") for i in range(n)
            )  # fmt: skip
        counts[n] = import_queries(user, rows(n, township, prefix, "0772-5123456"))
    per_row = (counts[500] - counts[50]) / 450
    # Before look-ups were read once per file, a new school cost about 47 queries and a change more. New schools are
    # now written together (a few INSERT statements, SQLite capping the rows of each); a changed one is written as
    # its row is read, so that what it breaks is reported on that row.
    assert per_row <= (10 if existing else 0.2), counts  # a changed row: its lock, savepoint, write, re-checks
    assert counts[50] - 50 * per_row < 40, counts  # what the file costs once


def test_names_and_codes_are_unique_within_the_file_and_against_the_registry(liuzhou, django_user_model):
    user = django_user_model.objects.create_superuser("clerk", "clerk@example.invalid", "x-Strong-Pass-2016")
    township = Township.objects.filter(county__short_name="融水县").first()
    School.objects.create(name="已有学校", school_type="primary", school_code="4502000001")
    data = Dataset(headers=[*HEADERS, "学校标识码"])
    county = township.county.name
    data.append(["新学校甲", "小学", county, township.name, "乡镇", "", "4502000001"])  # code taken in the registry
    data.append(["新学校乙", "小学", county, township.name, "乡镇", "", "4502000002"])
    data.append(["新学校丙", "小学", county, township.name, "乡镇", "", "4502000002"])  # code twice in the file
    data.append(["新学校丁", "小学", county, township.name, "乡镇", "", ""])
    data.append(["新学校丁", "小学", county, township.name, "乡镇", "", ""])  # a name twice in the file
    result = SchoolResource(user=user).import_data(data, dry_run=False, use_transactions=True, user=user,
                                                   rollback_on_validation_errors=True)  # fmt: skip
    refused = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(refused) == {1, 3, 5}, refused
    assert "school_code" in refused[1] and "school_code" in refused[3] and "name" in refused[5]
    assert not School.objects.filter(name__startswith="新学校").exists()  # one bad row: nothing written


def test_a_county_bureaus_schools_file_costs_no_query_per_new_row(liuzhou):
    from accounts.services import user_create
    from liuzhou_pairing.actors import SYSTEM

    township = Township.objects.filter(county__short_name="融水县").first()
    user = user_create(actor=SYSTEM, username="clerk", role="county", county=township.county,
                       password="x-Strong-Pass-2016")[0]  # fmt: skip
    counts = {n: import_queries(user, rows(n, township, f"县测试学校{n}-", "0772-5123456")) for n in (50, 500)}
    assert (counts[500] - counts[50]) / 450 <= 0.2, counts  # only more INSERT statements
    assert School.objects.filter(name__startswith="县测试学校").count() == 550
