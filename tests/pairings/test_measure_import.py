"""bench/measure_import.py runs the admin's import of a clerk's pairings file against bulk_create of the same rows,
and leaves the database as it found it. (Its times are for `make bench`; here only that it works.)"""

import pytest

from bench.measure_import import measure
from pairings.models import Pairing
from schools.models import School

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_import_measure_writes_the_floors_rows_and_leaves_the_database_as_it_was(world, django_user_model):
    central = world.central()
    for i in range(6):
        world.village_school(f"甲村{i}小学")
    world.pair(central, world.village_school("已结对村小学"), tier="township_village")
    before = list(Pairing.objects.values_list("pk", "version"))
    users = django_user_model.objects.count()
    result = measure(rows=6)
    assert result["rows"] == 6 and result["name"]
    assert result["project_s"] > 0 and result["floor_s"] > 0 and result["ratio"] > 0
    assert 0 < result["queries"] < 60  # the file's look-ups, the batch's writes, the admin log
    assert list(Pairing.objects.values_list("pk", "version")) == before
    assert django_user_model.objects.count() == users and School.objects.count() == 8
