import pytest

from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.services import pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from tests.factories import (
    CountyFactory,
    CycleFactory,
    DistrictFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)


class World:
    """A small landscape: a district paired with a county (R11), each with a township and a village."""

    def __init__(self):
        from pairings.models import DistrictPairing

        self.cycle = CycleFactory()
        self.district = DistrictFactory(name="测试城区")
        self.county = CountyFactory(name="测试县")
        self.other_county = CountyFactory(name="别的县")
        DistrictPairing.objects.create(cycle=self.cycle, helper_county=self.district, recipient_county=self.county)
        self.district_town = TownshipFactory(county=self.district, name="城区镇")
        self.town = TownshipFactory(county=self.county, name="甲镇")
        self.other_town = TownshipFactory(county=self.county, name="乙镇")
        self.village = VillageFactory(township=self.town, name="甲村村委会")
        self.other_village = VillageFactory(township=self.other_town, name="乙村村委会")

    def school(self, name, school_type=SchoolType.PRIMARY, *, county=None, township=None, village=None, **kw):
        if village is not None:
            township = village.township
        if township is not None:
            county = township.county
        location = kw.pop("location", None) or (
            Location.VILLAGE if village else Location.TOWNSHIP if township else Location.COUNTY_TOWN
        )
        return SchoolFactory(
            name=name,
            school_type=school_type,
            county=county or self.county,
            township=township,
            village=village,
            location=location,
            **kw,
        )

    def urban(self, name="城区实验小学", school_type=SchoolType.PRIMARY, **kw):
        kw.setdefault("standing", Standing.HIGH_QUALITY)
        return self.school(name, school_type, county=self.district, location=Location.URBAN, **kw)

    def central(self, name="甲镇中心小学", school_type=SchoolType.PRIMARY, township=None, **kw):
        kw.setdefault("standing", Standing.WEAK)
        return self.school(name, school_type, township=township or self.town, is_central=True, **kw)

    def village_school(self, name="甲村小学", school_type=SchoolType.PRIMARY, village=None, **kw):
        kw.setdefault("standing", Standing.WEAK)
        return self.school(name, school_type, village=village or self.village, **kw)

    def pair(self, helper, recipient, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY, actor=SYSTEM, **kw):
        return pairing_create(
            helper=helper, recipient=recipient, stage=stage, tier=tier, cycle=self.cycle, actor=actor, **kw
        )


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def demo(liuzhou):
    """The Liuzhou data with the city-fixed arrangements and the demo's schools and pairings (seed 11); returns the
    Liuzhou cycle."""
    from pairings.demo import demo_pairings_generate
    from pairings.liuzhou import liuzhou_arrangements_load, liuzhou_cycle
    from schools.demo import demo_schools_generate

    liuzhou_arrangements_load()
    demo_schools_generate(seed=11)
    demo_pairings_generate(seed=11)
    return liuzhou_cycle()


# The land of tests/accounts (two counties, a paired district, a user per role) serves the pages' tests too.
from tests.accounts.conftest import as_user, land  # noqa: E402, F401
