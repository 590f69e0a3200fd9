"""The school list as a user may read it (`School.objects.for_user`, what the admin's list and every report start
from), against one hand-written SQL query of the same columns: the harness's own demonstration measure."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from accounts.models import Profile
from bench.measure import Measure
from liuzhou_pairing.scope import Role
from schools.models import County, School, Township

COLUMNS = ["id", "name", "school_type", "ownership", "status", "county__name", "township__name"]


def user_with_role(role: str, county: County | None = None):
    """A user of `role` held in memory only (nothing written): scoping reads its profile by attribute."""
    user = get_user_model()(username=f"bench-{role}", is_active=True)
    Profile(user=user, role=role, county=county)  # sets user.profile
    return user


def largest_county() -> County:
    return County.objects.annotate(total=Count("schools")).order_by("-total", "code").first()


def project(user) -> list[tuple]:
    return list(School.objects.for_user(user).order_by("pk").values_list(*COLUMNS))


def floor(county_id: int | None) -> list[tuple]:  # the rows as the database driver gives them
    school, county, township = School._meta.db_table, County._meta.db_table, Township._meta.db_table
    sql = (
        f"SELECT s.id, s.name, s.school_type, s.ownership, s.status, c.name, t.name FROM {school} s "
        f"LEFT JOIN {county} c ON c.id = s.county_id LEFT JOIN {township} t ON t.id = s.township_id"
    )
    params = []
    if county_id is not None:
        sql += " WHERE s.county_id = %s"
        params.append(county_id)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY s.id", params)
        return cursor.fetchall()


def city_setup():
    return user_with_role(Role.CITY)


def county_setup():
    return user_with_role(Role.COUNTY, largest_county())


MEASURES = [
    Measure(
        name="school list, whole region (city user)",
        setup=city_setup,
        project=project,
        floor=lambda user: floor(None),
        goal_ratio=1.5,
        max_queries=1,
        repeat=5,
    ),
    Measure(
        name="school list, largest county (county user)",
        setup=county_setup,
        project=project,
        floor=lambda user: floor(user.profile.county_id),
        goal_ratio=1.5,
        max_queries=1,
        repeat=5,
    ),
]
