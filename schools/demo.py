"""A synthetic but realistic school landscape over Liuzhou's real areas, for demos and benchmarks.

Every school made here is marked `is_demo` and named with the 【演示】 prefix so that it cannot be
mistaken for a real school. The same seed gives the same data.
"""

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction

from liuzhou_pairing.actors import SYSTEM

from .choices import Location, Ownership, SchoolType, Standing, TownshipKind
from .models import County, ManagementArea, School, Township
from .services import SchoolBatch

DEMO_PREFIX = "【演示】"
SCALES = {"liuzhou": 1, "region": 14}

# Demo only: which 鱼峰区 townships are shown as lying in a management area. The real divisions do not
# map management areas to townships (fixtures/liuzhou_divisions/SOURCE.md).
DEMO_MANAGEMENT_AREAS = {"阳和街道": "阳和工业新区", "雒容镇": "柳东新区", "洛埠镇": "柳东新区"}

VILLAGE_SUFFIXES = re.compile(r"(社区居民委员会|村民委员会|居民委员会|社区居委会|村委会|居委会|社区)$")


@dataclass(frozen=True)
class Profile:
    """How many schools of each kind an area gets, and the odds for village-level schools."""

    subdistrict_primary: int = 5
    subdistrict_junior: int = 2
    subdistrict_kindergarten: int = 2
    subdistrict_private_kindergarten: int = 1
    seat_primary: int = 12
    seat_junior: int = 4
    seat_complete_middle: int = 2
    seat_kindergarten: int = 10
    seat_private_kindergarten: int = 6
    village_primary: float = 0.75
    village_teaching_point: float = 0.4
    village_kindergarten: float = 0.8


PROFILE = Profile()

CHINESE_NUMERALS = "一二三四五六七八九十"


def _ordinal(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    return f"{n}"


def _village_short(name: str) -> str:
    return VILLAGE_SUFFIXES.sub("", name) or name


def _seat_township(county: County, townships: list[Township]) -> Township | None:
    """Return the seat town of a county without subdistricts (its lowest-coded town), else None."""
    if any(t.kind == TownshipKind.SUBDISTRICT for t in townships):
        return None
    towns = [t for t in townships if t.kind == TownshipKind.TOWN]
    return min(towns, key=lambda t: t.code) if towns else None


class DemoBuilder:
    """Build unsaved demo schools for every county, township and village."""

    def __init__(self, seed: int, copies: int = 1, profile: Profile = PROFILE) -> None:
        self.rng = random.Random(seed)
        self.copies = copies
        self.profile = profile
        self.phone_counter = 0
        self.areas = {a.name: a for a in ManagementArea.objects.all()}

    def standing(self, weights: tuple[int, int, int]) -> str:
        return self.rng.choices([Standing.HIGH_QUALITY, Standing.ORDINARY, Standing.WEAK], weights=weights)[0]

    def school(self, name: str, **fields) -> School:
        self.phone_counter += 1
        township = fields.get("township")
        area_name = DEMO_MANAGEMENT_AREAS.get(township.name) if township else None
        return School(
            name=f"{DEMO_PREFIX}{name}",
            is_demo=True,
            management_area=self.areas.get(area_name) if area_name else None,
            contact_person=f"演示联系人{self.phone_counter:05d}",
            # Demo numbers start with 0 after the area code, which no real Liuzhou number does.
            contact_phone=f"0772-0{self.phone_counter:06d}",
            **fields,
        )

    def build(self) -> Iterator[School]:
        for copy in range(1, self.copies + 1):
            tag = "" if copy == 1 else f"第{copy}片区"
            for county in County.objects.order_by("code"):
                townships = list(county.townships.order_by("code").prefetch_related("villages"))
                seat = _seat_township(county, townships)
                for township in townships:
                    if township.kind == TownshipKind.SUBDISTRICT:
                        yield from self.subdistrict(county, township, tag)
                    elif township == seat:
                        yield from self.seat(county, township, tag)
                        yield from self.villages(county, township, tag)
                    else:
                        yield from self.rural(county, township, tag)
                        yield from self.villages(county, township, tag)

    def _urban_location(self, county: County) -> str:
        return Location.URBAN if county.is_urban_district else Location.COUNTY_TOWN

    def subdistrict(self, county: County, township: Township, tag: str) -> Iterator[School]:
        p, base = self.profile, f"{tag}{township.name}"
        common = {"county": county, "township": township, "location": Location.URBAN}
        for i in range(1, p.subdistrict_primary + 1):
            yield self.school(f"{base}第{_ordinal(i)}小学", school_type=SchoolType.PRIMARY,
                              standing=self.standing((65, 32, 3)), **common)  # fmt: skip
        for i in range(1, p.subdistrict_junior + 1):
            yield self.school(f"{base}第{_ordinal(i)}初级中学", school_type=SchoolType.JUNIOR_MIDDLE,
                              standing=self.standing((65, 32, 3)), **common)  # fmt: skip
        for i in range(1, p.subdistrict_kindergarten + 1):
            yield self.school(f"{base}第{_ordinal(i)}幼儿园", school_type=SchoolType.KINDERGARTEN,
                              standing=self.standing((65, 32, 3)), **common)  # fmt: skip
        for i in range(1, p.subdistrict_private_kindergarten + 1):
            yield self.school(f"{base}民办第{_ordinal(i)}幼儿园", school_type=SchoolType.KINDERGARTEN,
                              ownership=Ownership.PRIVATE, standing=self.standing((30, 50, 20)), **common)  # fmt: skip

    def seat(self, county: County, township: Township, tag: str) -> Iterator[School]:
        p, base = self.profile, f"{tag}{county.short_name or county.name}"
        common = {"county": county, "township": township, "location": self._urban_location(county)}
        for i in range(1, p.seat_primary + 1):
            yield self.school(f"{base}城区第{_ordinal(i)}小学", school_type=SchoolType.PRIMARY,
                              standing=self.standing((65, 32, 3)), **common)  # fmt: skip
        for i in range(1, p.seat_junior + 1):
            yield self.school(f"{base}城区第{_ordinal(i)}初级中学", school_type=SchoolType.JUNIOR_MIDDLE,
                              standing=self.standing((65, 32, 3)), **common)  # fmt: skip
        for i in range(1, p.seat_complete_middle + 1):
            yield self.school(f"{base}城区第{_ordinal(i)}完全中学", school_type=SchoolType.COMPLETE_MIDDLE,
                              standing=self.standing((60, 37, 3)), **common)  # fmt: skip
        for i in range(1, p.seat_kindergarten + 1):
            yield self.school(f"{base}城区第{_ordinal(i)}幼儿园", school_type=SchoolType.KINDERGARTEN,
                              standing=self.standing((65, 32, 3)), **common)  # fmt: skip
        for i in range(1, p.seat_private_kindergarten + 1):
            yield self.school(f"{base}城区民办第{_ordinal(i)}幼儿园", school_type=SchoolType.KINDERGARTEN,
                              ownership=Ownership.PRIVATE, standing=self.standing((25, 55, 20)), **common)  # fmt: skip
        # The seat town also has its own central school and kindergarten for its villages.
        yield from self.rural(county, township, tag)

    def rural(self, county: County, township: Township, tag: str) -> Iterator[School]:
        base = f"{tag}{township.name}"
        common = {"county": county, "township": township, "location": Location.TOWNSHIP}
        central_type = SchoolType.NINE_YEAR if self.rng.random() < 0.25 else SchoolType.PRIMARY
        suffix = "中心学校" if central_type == SchoolType.NINE_YEAR else "中心小学"
        yield self.school(f"{base}{suffix}", school_type=central_type, is_central=True,
                          standing=self.standing((3, 15, 82)), **common)  # fmt: skip
        yield self.school(f"{base}中心幼儿园", school_type=SchoolType.KINDERGARTEN, is_central=True,
                          standing=self.standing((3, 15, 82)), **common)  # fmt: skip
        if central_type == SchoolType.PRIMARY:
            yield self.school(f"{base}中学", school_type=SchoolType.JUNIOR_MIDDLE,
                              standing=self.standing((0, 15, 85)), **common)  # fmt: skip

    def villages(self, county: County, township: Township, tag: str) -> Iterator[School]:
        p = self.profile
        for village in township.villages.all():
            short = _village_short(village.name)
            # Residents' committees (社区) in towns have no village schools of their own.
            if not village.name.endswith(("村委会", "村民委员会")):
                continue
            common = {"county": county, "township": township, "village": village, "location": Location.VILLAGE}
            base = f"{tag}{township.name}{short}"
            if self.rng.random() < p.village_primary:
                yield self.school(f"{base}小学", school_type=SchoolType.PRIMARY,
                                  standing=self.standing((0, 7, 93)), **common)  # fmt: skip
            if self.rng.random() < p.village_teaching_point:
                yield self.school(f"{base}教学点", school_type=SchoolType.TEACHING_POINT,
                                  standing=Standing.WEAK, **common)  # fmt: skip
            if self.rng.random() < p.village_kindergarten:
                yield self.school(f"{base}幼儿园", school_type=SchoolType.KINDERGARTEN,
                                  standing=self.standing((0, 7, 93)), **common)  # fmt: skip


@transaction.atomic
def demo_schools_generate(*, seed: int, scale: str = "liuzhou") -> int:
    """Replace the demo schools with a fresh landscape for `seed`; return how many schools were made.

    Each school goes through the schools' batch write path as the system, with every check an imported school
    gets; they are written together at the end.
    """
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    if not County.objects.exists():
        raise ValueError("Load the areas first: python manage.py load_liuzhou")
    School.objects.demo().delete()
    batch = SchoolBatch(actor=SYSTEM, preload=True)
    for school in DemoBuilder(seed, copies=SCALES[scale]).build():
        batch.add(school)
    return len(batch.save())
