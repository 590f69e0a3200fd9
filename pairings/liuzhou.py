"""Liuzhou's city-fixed arrangements from the plan (R3, R11, R13, R15), loaded by `load_liuzhou`."""

import datetime

from django.db import transaction

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.loading import LoadReport
from schools.models import County, School
from schools.services import LIUZHOU_DIR, read_csv

from .choices import ArrangedBy, PairingStatus, Tier
from .models import Cycle, DistrictPairing, Pairing
from .services import cycle_ensure, district_pairing_create, pairing_create, work_plans_ensure

LOAD_REASON = "load_liuzhou: 柳教基〔2016〕68号"


def county_by_plan_name(name: str) -> County:
    """Find a county-level unit by any name the plan uses for it (short, official or former)."""
    for county in County.objects.all():
        if name in county.all_names():
            return county
    raise County.DoesNotExist(f"No county-level unit is called {name!r}")


@transaction.atomic
def liuzhou_arrangements_load(report: LoadReport | None = None) -> LoadReport:
    """Create the cycle, the district pairs and the city-fixed school pairs that are missing; never change
    existing ones (the city may have changed them since, with a reason: R16)."""
    report = report or LoadReport()
    cycles = {}
    for row in read_csv(LIUZHOU_DIR / "cycles.csv"):
        cycles[row["name"]] = cycle_ensure(
            name=row["name"],
            first_academic_year=int(row["first_academic_year"]),
            first_term=int(row["first_term"]),
            last_academic_year=int(row["last_academic_year"]),
            last_term=int(row["last_term"]),
            work_plan_deadline=datetime.date.fromisoformat(row["work_plan_deadline"]),
            agreement_deadline=datetime.date.fromisoformat(row["agreement_deadline"]),
            actor=SYSTEM,
            report=report,
        )

    created = 0
    for row in read_csv(LIUZHOU_DIR / "district_pairings.csv"):
        cycle = cycles[row["cycle"]]
        helper = county_by_plan_name(row["helper_county"])
        if DistrictPairing.objects.filter(cycle=cycle, helper_county=helper).exists():
            continue
        district_pairing_create(
            cycle=cycle,
            helper_county=helper,
            recipient_county=county_by_plan_name(row["recipient_county"]),
            actor=SYSTEM,
            reason=LOAD_REASON,
        )
        created += 1
    report.add("district_pairings", created=created)

    schools = {s.name: s for s in School.objects.filter(name__in=_named(LIUZHOU_DIR / "fixed_pairings.csv"))}
    created = 0
    for row in read_csv(LIUZHOU_DIR / "fixed_pairings.csv"):
        cycle = cycles[row["cycle"]]
        helper, recipient = schools[row["helper"]], schools[row["recipient"]]
        if Pairing.objects.filter(cycle=cycle, helper=helper, recipient=recipient, is_city_fixed=True).exists():
            continue
        pairing_create(
            helper=helper,
            recipient=recipient,
            stage=row["stage"],
            tier=Tier.CITY_COUNTY,
            cycle=cycle,
            actor=SYSTEM,
            arranged_by=ArrangedBy.CITY,
            is_city_fixed=True,
            lead_school=schools[row["lead_school"]] if row["lead_school"] else None,
            status=PairingStatus.ACTIVE,
            reason=LOAD_REASON,
        )
        created += 1
    report.add("pairings", created=created)

    for cycle in cycles.values():
        work_plans_ensure(cycle=cycle, actor=SYSTEM, report=report)
    return report


def _named(path) -> set[str]:
    rows = read_csv(path)
    return {r[k] for r in rows for k in ("helper", "recipient", "lead_school") if r[k]}


def liuzhou_cycle() -> Cycle:
    """Return Liuzhou's first cycle (the first row of fixtures/liuzhou/cycles.csv)."""
    return Cycle.objects.get(name=read_csv(LIUZHOU_DIR / "cycles.csv")[0]["name"])
