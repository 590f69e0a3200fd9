"""factory_boy factories for test data. Codes are synthetic (4599…), never real Liuzhou codes."""

import datetime

import factory

from schools.choices import CountyKind, Location, Ownership, SchoolType, Standing, TownshipKind
from schools.models import County, ManagementArea, School, Township, Village


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    # Codes in creation order (so that a test's first county sorts first), after every real Guangxi code.
    code = factory.Sequence(lambda n: f"{460000 + n % 40000:06d}")
    name = factory.Sequence(lambda n: f"测试{n}县")
    short_name = factory.LazyAttribute(lambda o: o.name)
    kind = CountyKind.COUNTY


class DistrictFactory(CountyFactory):
    name = factory.Sequence(lambda n: f"测试{n}区")
    kind = CountyKind.DISTRICT


class ManagementAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManagementArea

    name = factory.Sequence(lambda n: f"测试{n}新区")
    county = factory.SubFactory(DistrictFactory)


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    county = factory.SubFactory(CountyFactory)
    code = factory.Sequence(lambda n: f"459900{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"测试{n}镇")
    kind = TownshipKind.TOWN


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    code = factory.Sequence(lambda n: f"459900000{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"测试{n}村委会")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"测试学校{n}")
    school_type = SchoolType.PRIMARY
    ownership = Ownership.PUBLIC
    standing = Standing.ORDINARY
    county = factory.SubFactory(CountyFactory)
    location = Location.COUNTY_TOWN


class TownshipSchoolFactory(SchoolFactory):
    """A school inside a township, with a consistent county."""

    township = factory.SubFactory(TownshipFactory)
    county = factory.SelfAttribute("township.county")
    location = Location.TOWNSHIP


class VillageSchoolFactory(SchoolFactory):
    """A school inside a village, with consistent township and county."""

    village = factory.SubFactory(VillageFactory)
    township = factory.SelfAttribute("village.township")
    county = factory.SelfAttribute("village.township.county")
    location = Location.VILLAGE
    standing = Standing.WEAK


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "pairings.Cycle"
        django_get_or_create = ("name",)

    name = "2016—2020年结对帮扶"
    first_academic_year = 2016
    first_term = 1
    last_academic_year = 2020
    last_term = 1
    work_plan_deadline = datetime.date(2016, 9, 15)
    agreement_deadline = datetime.date(2016, 9, 30)
