import datetime

import pytest

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Tier
from pairings.models import Agreement, DistrictPairing, WorkPlan
from pairings.services import agreement_save, pairing_create
from schools.choices import Location, SchoolType, Stage, Standing
from tests.factories import (
    CountyFactory,
    CycleFactory,
    DistrictFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)

PASSWORD = "x-Strong-Pass-2016"


def create(**kwargs):
    return user_create(actor=SYSTEM, **kwargs)


class Land:
    """Two counties (own: 甲县, other: 乙县) and a district paired with 甲县, each with schools and pairings."""

    def __init__(self):
        self.cycle = CycleFactory()
        self.own = CountyFactory(name="甲县")
        self.other = CountyFactory(name="乙县")
        self.district = DistrictFactory(name="丙区")
        DistrictPairing.objects.create(cycle=self.cycle, helper_county=self.district, recipient_county=self.own)
        own_town, other_town = TownshipFactory(county=self.own, name="甲镇"), TownshipFactory(county=self.other)
        own_village, other_village = VillageFactory(township=own_town), VillageFactory(township=other_town)
        self.own_central = self._school("甲镇中心小学", own_town, is_central=True)
        self.own_school = self._school("甲村小学", own_town, village=own_village)
        self.other_central = self._school("乙镇中心小学", other_town, is_central=True)
        other_school = self._school("乙村小学", other_town, village=other_village)
        self.urban = SchoolFactory(name="丙区实验小学", county=self.district, location=Location.URBAN,
                                   standing=Standing.HIGH_QUALITY)  # fmt: skip
        self.own_pairing = self._pair(self.own_central, self.own_school, self.own)
        self.other_pairing = self._pair(self.other_central, other_school, self.other)
        # Cross-county (R8), arranged by the helper district: visible to both, editable by the district.
        self.cross_pairing = pairing_create(
            helper=self.urban, recipient=self.own_central, stage=Stage.COMPULSORY, tier=Tier.CITY_COUNTY,
            cycle=self.cycle, actor=SYSTEM, arranged_by_county=self.district,
        )  # fmt: skip
        self.own_agreement = agreement_save(agreement=Agreement(pairing=self.own_pairing), actor=SYSTEM)
        self.other_agreement = agreement_save(agreement=Agreement(pairing=self.other_pairing), actor=SYSTEM)
        self.own_plan = WorkPlan.objects.create(cycle=self.cycle, county=self.own)
        self.other_plan = WorkPlan.objects.create(cycle=self.cycle, county=self.other)
        self.users = {
            "city": create(username="city", role="city", password=PASSWORD)[0],
            "county": create(username="county", role="county", county=self.own, password=PASSWORD)[0],
            "school": user_create(
                actor=SYSTEM, username="school", role="school", school=self.own_school, password=PASSWORD
            )[0],
            "inspector": user_create(
                actor=SYSTEM, username="inspector", role="inspector", county=self.own, password=PASSWORD
            )[0],
            "region": create(username="region", role="region", password=PASSWORD)[0],
        }
        self.district_user = create(username="district", role="county", county=self.district,
                                         password=PASSWORD)[0]  # fmt: skip

    def _school(self, name, township, village=None, **kw):
        return SchoolFactory(
            name=name, school_type=SchoolType.PRIMARY, county=township.county, township=township, village=village,
            location=Location.VILLAGE if village else Location.TOWNSHIP, standing=Standing.WEAK, **kw,
        )  # fmt: skip

    def _pair(self, helper, recipient, county):
        return pairing_create(
            helper=helper, recipient=recipient, stage=Stage.COMPULSORY, tier=Tier.TOWNSHIP_VILLAGE,
            cycle=self.cycle, actor=SYSTEM, arranged_by_county=county,
        )  # fmt: skip


@pytest.fixture
def land(db):
    return Land()


@pytest.fixture
def as_user(client, land):
    """Log the test client in as one of the land's users, by role name."""

    def login(role: str):
        user = land.users[role] if role in land.users else land.district_user
        client.force_login(user)
        client.user = user
        return client

    return login


TODAY = datetime.date(2016, 9, 20)
