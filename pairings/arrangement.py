"""The six arrangement tables of the plan (安排表, R27), one selector each: the district pairs (R11), the high-school
pairs (R13), the special-education pairs (R15), and per county the preschool 县—乡 and 乡—村 pairs and the
compulsory pairs of all three tiers (R12). Each reads only what the user may see, in print order, in a fixed number
of queries; the pages and the workbooks of `pairings.arrangement_views` are drawn from these rows."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from liuzhou_pairing.scope import scope_of
from schools.choices import Stage
from schools.models import County, School

from .choices import Tier
from .models import Cycle, DistrictPairing, Pairing, PairingQuerySet


def district_arrangement(*, cycle: Cycle, user, county: County | None = None) -> list[DistrictPairing]:
    """Return the cycle's district pairs (R11) that `user` may see, by the helper district's code: a county
    bureau reads the pair it is part of, and so does `county` when given (as its bureau reads them)."""
    scope = scope_of(user)
    pairs = DistrictPairing.objects.filter(cycle=cycle).select_related("helper_county", "recipient_county")
    if scope.everything:
        pass
    elif scope.county_id:
        pairs = pairs.filter(Q(helper_county_id=scope.county_id) | Q(recipient_county_id=scope.county_id))
    else:
        return []
    if county is not None:
        pairs = pairs.filter(Q(helper_county_id=county.pk) | Q(recipient_county_id=county.pk))
    return list(pairs.order_by("helper_county__code"))


def _active(*, cycle: Cycle, user, stage: str, county: County | None = None) -> PairingQuerySet:
    """The active pairings of `stage` `user` may see; with `county`, those its bureau sees (a school of the county
    on either side, as `Pairing.objects.for_user` gives a county bureau)."""
    pairings = Pairing.objects.for_user(user).active().filter(cycle=cycle, stage=stage)
    if county is not None:
        pairings = pairings.filter(_in_counties([county.pk]))
    return pairings


def _in_counties(county_ids) -> Q:
    """Pairings with a school of one of `county_ids` on either side, by subqueries on the schools rather than joins
    (PostgreSQL planned the OR over two joined school tables badly: seconds a query on the demo's data)."""
    schools = School.objects.filter(county_id__in=county_ids).values("pk")
    return Q(helper_id__in=schools) | Q(recipient_id__in=schools)


def high_school_arrangement(*, cycle: Cycle, user, county: County | None = None) -> list[Pairing]:
    """Return the cycle's active high-school pairings (R13) `user` may see (of `county` when given): the city-fixed
    ones first, in the order the plan lists them (the order they were loaded), then the others by recipient county
    and school."""
    pairings = _with_schools(_active(cycle=cycle, user=user, stage=Stage.HIGH_SCHOOL, county=county))
    return sorted(pairings, key=_print_order)


def _print_order(pairing: Pairing) -> tuple:
    if pairing.is_city_fixed:  # the plan's order: they were created in it
        return (0, pairing.pk, "", "", "")
    county = pairing.recipient.county
    return (1, 0, county.code if county else "", pairing.helper.name, pairing.recipient.name)


def special_arrangement(*, cycle: Cycle, user, county: County | None = None) -> list[Pairing]:
    """Return the cycle's active special-education pairings (R15) `user` may see (of `county` when given), with
    their lead school, the city-fixed ones first in the plan's order."""
    pairings = _with_schools(_active(cycle=cycle, user=user, stage=Stage.SPECIAL, county=county))
    return sorted(pairings, key=_print_order)


@dataclass(slots=True)
class Place:
    """A township or village as the tables per county name it."""

    pk: int
    name: str


@dataclass(slots=True)
class TableSchool:
    """What a table per county shows of a school: its name, places and contact."""

    pk: int
    name: str
    county_id: int | None
    county: County | None
    township: Place | None
    village: Place | None
    contact_person: str
    contact_phone: str


@dataclass(slots=True)
class TablePairing:
    """What a table per county shows of a pairing, read as values rather than as a model object: a region's table
    holds 20,000 of them, and their schools some 20,000 more."""

    pk: int
    tier: str
    helper: TableSchool
    recipient: TableSchool
    helper_contact: str
    helper_phone: str
    recipient_contact: str
    recipient_phone: str
    starts_on: datetime.date
    is_city_fixed: bool


@dataclass
class CountyArrangement:
    """One county's table: its pairings of the stage and tiers, in print order."""

    county: County
    pairings: list[TablePairing] = field(default_factory=list)


def county_arrangement(
    *, cycle: Cycle, user, stage: str, tiers: Sequence[str], county: County | None = None
) -> list[CountyArrangement]:
    """Return, per county `user` may see (or only `county`), the cycle's active pairings of `stage` at `tiers`
    that have a school of that county on either side — so a 市—县 pairing is in the helper district's table and
    in the recipient county's (R12) — by tier, then helper and recipient school."""
    scope = scope_of(user)
    counties = County.objects.order_by("code")
    if scope.everything:
        pass
    elif scope.county_id:
        counties = counties.filter(pk=scope.county_id)
    else:
        return []
    if county is not None:
        counties = counties.filter(pk=county.pk)
    tables = {c.pk: CountyArrangement(c) for c in counties}
    if not tables:
        return []
    chosen = _active(cycle=cycle, user=user, stage=stage).filter(tier__in=tiers)
    if county is not None or not scope.everything:
        # Not for every county's tables at once: a pairing with no school in any county (two city-administered
        # schools) is in none of them anyway, and the filter costs the region's read a subquery over all schools.
        chosen = chosen.filter(_in_counties(list(tables)))
    pairings = _table_pairings(chosen)
    tier_order = {tier: i for i, tier in enumerate(Tier.values)}
    ordered = sorted(pairings, key=lambda p: (tier_order[p.tier], p.helper.name, p.recipient.name, p.pk))
    for pairing in ordered:
        for county_id in dict.fromkeys((pairing.helper.county_id, pairing.recipient.county_id)):
            if county_id in tables:
                tables[county_id].pairings.append(pairing)
    return list(tables.values())


def _chosen_schools(pairings) -> QuerySet:
    """The schools of `pairings`, chosen by a subquery, not by a list of their ids (SQLite refuses an expression of
    a thousand schools, as a prefetch would write it)."""
    return School.objects.filter(Q(pk__in=pairings.values("helper_id")) | Q(pk__in=pairings.values("recipient_id")))


def _with_schools(pairings) -> list[Pairing]:
    """Return `pairings` with their two schools and the schools' places, each school one object however many of its
    pairings are listed (a table of 20,000 rows holds a few hundred schools, not 40,000 copies). Two queries."""
    schools = {
        school.pk: school for school in _chosen_schools(pairings).select_related("county", "township", "village")
    }
    rows = list(pairings.select_related("lead_school"))
    for pairing in rows:
        pairing.helper, pairing.recipient = schools[pairing.helper_id], schools[pairing.recipient_id]
    return rows


def _table_pairings(pairings) -> list[TablePairing]:
    """Return `pairings` as the tables per county show them, with their schools, each school, county, township and
    village one object however many of its pairings are listed. Three queries, whatever the rows. (The schools are
    read by themselves: PostgreSQL planned one query joining the pairings to both schools and their places badly
    over tables not analysed yet, for minutes.)"""
    counties = {county.pk: county for county in County.objects.all()}
    places: dict[tuple[str, int], Place] = {}

    def place(kind: str, pk: int | None, name: str | None) -> Place | None:
        if pk is None:
            return None
        found = places.get((kind, pk))
        if found is None:
            found = places[(kind, pk)] = Place(pk, name)
        return found

    schools = {
        pk: TableSchool(pk, name, county, counties.get(county), place("township", township, township_name),
                        place("village", village, village_name), person, phone)
        for pk, name, county, township, township_name, village, village_name, person, phone in (
            _chosen_schools(pairings).values_list(
                "pk", "name", "county_id", "township_id", "township__name", "village_id", "village__name",
                "contact_person", "contact_phone",
            )
        )
    }  # fmt: skip
    return [
        TablePairing(pk, tier, schools[helper], schools[recipient], *rest)
        for pk, tier, helper, recipient, *rest in pairings.values_list(
            "pk", "tier", "helper_id", "recipient_id", "helper_contact", "helper_phone", "recipient_contact",
            "recipient_phone", "starts_on", "is_city_fixed",
        )
    ]  # fmt: skip


PRESCHOOL_COUNTY_TOWNSHIP = (Stage.PRESCHOOL, (Tier.COUNTY_TOWNSHIP,))
PRESCHOOL_TOWNSHIP_VILLAGE = (Stage.PRESCHOOL, (Tier.TOWNSHIP_VILLAGE,))
COMPULSORY_ALL_TIERS = (Stage.COMPULSORY, (Tier.CITY_COUNTY, Tier.COUNTY_TOWNSHIP, Tier.TOWNSHIP_VILLAGE))
