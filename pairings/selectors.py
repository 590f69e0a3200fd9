"""Reads for pairings: coverage (R1), warnings per county, late agreements (R26) and late work plans (R25).

Each selector runs a fixed number of queries whatever the data size.
"""

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from liuzhou_pairing.scope import scope_of
from schools.choices import STAGES_BY_TYPE, Ownership, Stage, types_serving
from schools.models import County, School

from .choices import PairingStatus, WorkPlanStatus
from .models import Cycle, DistrictPairing, Pairing, Semester, WorkPlan


def find_semesters(token: str) -> list[Semester]:
    """Return the semesters named by `token` (2016-1, or its label 2016—2017学年第一学期), one per cycle having it;
    refuse a token naming none. Commands read a semester this way."""
    match = re.fullmatch(r"\s*(\d{4})-([12])\s*", token)
    if match:
        found = Semester.objects.filter(academic_year=int(match[1]), term=int(match[2]))
    else:
        found = [s for s in Semester.objects.all() if s.label == token.strip()]
    semesters = sorted(found, key=lambda s: s.cycle_id)
    if not semesters:
        raise ValidationError(_("No semester “%(token)s”: give it as 2016-1 (the 2016—2017 academic year's first).")
                              % {"token": token})  # fmt: skip
    return semesters


@dataclass
class CoverageRow:
    """One county and stage: its public schools in no active pairing, and private participation (R1)."""

    county: County | None
    stage: str
    public_total: int = 0
    private_total: int = 0
    private_participating: int = 0
    uncovered: list[School] = field(default_factory=list)

    @property
    def public_covered(self) -> int:
        return self.public_total - len(self.uncovered)

    @property
    def private_rate(self) -> float | None:
        """Return the share of private schools taking part, or None when there are none."""
        return self.private_participating / self.private_total if self.private_total else None

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)


def current_semester(*, today: datetime.date | None = None) -> Semester | None:
    """Return the current semester: the latest that has started by `today` (default: today). After the last
    semester of a cycle it stays the last one until a later cycle's first semester starts."""
    return Semester.objects.started(today or timezone.localdate()).order_by("-starts_on").first()


def current_cycle(*, today: datetime.date | None = None) -> Cycle | None:
    """Return the cycle of the current semester; before any semester has started, the latest cycle."""
    semester = current_semester(today=today)
    if semester is not None:
        return semester.cycle
    return Cycle.objects.order_by("-first_academic_year", "-first_term").first()


def pairing_school_choices(*, user: Any, stage: str | None = None) -> QuerySet[School]:
    """Return the active schools `user` may name in a pairing (`pairable_schools`), narrowed to those serving
    `stage` when one is given: a kindergarten pairing offers kindergartens."""
    schools = pairable_schools(user=user).active()
    return schools.serving(stage) if stage in Stage.values else schools


def pairable_schools(*, user: Any) -> QuerySet[School]:
    """Return the schools `user` may name as helper or recipient: a county bureau its own schools and those of
    the counties it is district-paired with (R8, R11, R12); the city all; the others none."""
    scope = scope_of(user)
    if scope.city:
        return School.objects.all()
    if not scope.writes or not scope.county_id:
        return School.objects.none()
    pairs = DistrictPairing.objects.filter(
        Q(helper_county_id=scope.county_id) | Q(recipient_county_id=scope.county_id)
    )
    partners = {scope.county_id}
    for helper_id, recipient_id in pairs.values_list("helper_county_id", "recipient_county_id"):
        partners |= {helper_id, recipient_id}
    return School.objects.filter(county_id__in=partners)


def _active(cycle: Cycle, semester: Semester | None) -> QuerySet[Pairing]:
    """The pairings of `cycle` active now, or, given `semester` (of `cycle`), those active on any day of it."""
    if semester is not None:
        return Pairing.objects.active_in(semester).filter(cycle=cycle)
    return Pairing.objects.filter(cycle=cycle, status=PairingStatus.ACTIVE)


def _in_pairing_at(active: QuerySet[Pairing], stage: str) -> Q:
    """A school (its `pk`) that is the helper, the recipient or the lead school of one of the `active` pairings at
    `stage`: three `IN (subquery)` tests, which PostgreSQL runs once each as a hashed set."""
    at_stage = active.filter(stage=stage)
    return (
        Q(pk__in=at_stage.values("helper_id"))
        | Q(pk__in=at_stage.values("recipient_id"))
        | Q(pk__in=at_stage.exclude(lead_school_id=None).values("lead_school_id"))
    )


def coverage(*, cycle: Cycle, user: Any, county: Any = None, semester: Semester | None = None) -> list[CoverageRow]:
    """Return, per county and stage, the active public schools `user` may see (of `county` only, when given) that
    are in no active pairing of `cycle` at that stage (as helper, recipient or lead school), and the share of
    active private schools that take part. Given `semester`, a pairing counts when it was active on any day of
    that semester (one ended since still covers its schools there), not by its status today.

    Two queries, both aggregated in the database: the schools counted per county, type and ownership (with, per
    stage, how many of them are in a pairing at it), and the public schools in no pairing at a stage they serve.
    """
    active = _active(cycle, semester)
    schools = School.objects.for_user(user).active()
    if county is not None:
        schools = schools.filter(county=county)
    in_pairing = {stage: _in_pairing_at(active, stage) for stage in Stage.values}

    rows: dict[tuple[int | None, str], CoverageRow] = {}
    counties: dict[int | None, County | None] = {None: None}
    covered_names = {stage: f"covered_{stage}" for stage in Stage.values}
    groups = (
        schools.order_by()
        .values("county_id", "county__code", "county__name", "county__short_name", "school_type", "ownership")
        .annotate(
            n=Count("pk"),
            # Only a private school's pairings are counted here (public ones are listed below), and only at a stage
            # its type serves: the pairing sets are then looked up for those few schools alone.
            **{
                covered_names[s]: Count(
                    "pk", filter=~Q(ownership=Ownership.PUBLIC) & Q(school_type__in=types_serving(s)) & in_pairing[s]
                )
                for s in Stage.values
            },
        )
    )
    for group in groups:
        county_id = group["county_id"]
        if county_id not in counties:
            counties[county_id] = County(
                id=county_id,
                code=group["county__code"],
                name=group["county__name"],
                short_name=group["county__short_name"],
            )
        for stage in STAGES_BY_TYPE.get(group["school_type"], ()):
            key = (county_id, stage)
            row = rows.get(key)
            if row is None:
                row = rows[key] = CoverageRow(county=counties[county_id], stage=stage)
            if group["ownership"] == Ownership.PUBLIC:
                row.public_total += group["n"]
            else:
                row.private_total += group["n"]
                row.private_participating += group[covered_names[stage]]

    # The public schools in no pairing at a stage they serve, one part per stage (one statement).
    parts = [
        schools.filter(ownership=Ownership.PUBLIC, school_type__in=types_serving(stage))
        .exclude(in_pairing[stage])
        .order_by()
        .annotate(gap_stage=Value(stage))
        .values_list("gap_stage", "id", "name", "school_type", "ownership", "county_id")
        for stage in Stage.values
    ]
    uncovered = parts[0].union(*parts[1:], all=True).order_by("name", "id")
    columns = ["id", "name", "school_type", "ownership", "county_id"]
    loaded = [f.attname for f in School._meta.concrete_fields if f.attname in columns]  # in the model's order
    for stage, *values in uncovered:
        by_name = dict(zip(columns, values, strict=True))
        # The other fields deferred, as by `only()`.
        school = School.from_db(schools.db, loaded, [by_name[name] for name in loaded])
        county_id = school.county_id
        school._state.fields_cache["county"] = counties.get(county_id)
        rows[(county_id, stage)].uncovered.append(school)
    stage_order = {s: i for i, s in enumerate(Stage.values)}
    return sorted(rows.values(), key=lambda r: (r.county.code if r.county else "999999", stage_order[r.stage]))


def uncovered_counts(*, cycle: Cycle, user: Any) -> dict[int | None, int]:
    """Per county, how many (school, stage) gaps `coverage(cycle=cycle, user=user)` lists — the public schools in
    no active pairing at a stage they serve — counted in the database (one statement) without reading the schools:
    what the home page shows."""
    active = _active(cycle, None)
    schools = School.objects.for_user(user).active().filter(ownership=Ownership.PUBLIC)
    parts = [
        schools.filter(school_type__in=types_serving(stage))
        .exclude(_in_pairing_at(active, stage))
        .order_by()
        .values("county_id")
        .annotate(n=Count("pk"))
        .values_list("county_id", "n")
        for stage in Stage.values
    ]
    counts: dict[int | None, int] = {}
    for county_id, n in parts[0].union(*parts[1:], all=True):
        counts[county_id] = counts.get(county_id, 0) + n
    return counts


@dataclass
class CountyWarnings:
    county: County | None
    pairings: list[Pairing]


def warnings_by_county(*, cycle: Cycle, user: Any) -> list[CountyWarnings]:
    """Return the live pairings of `cycle` that `user` may see and that carry warnings, grouped by the county
    that arranged them (or, for city arrangements, the recipient's county). One query."""
    qs = Pairing.objects.for_user(user).filter(cycle=cycle).live().with_warnings()
    qs = qs.select_related("helper", "recipient__county", "arranged_by_county").order_by("helper__name")
    groups: dict[int | None, CountyWarnings] = {}
    for pairing in qs:
        county = pairing.arranged_by_county or pairing.recipient.county
        key = county.pk if county else None
        groups.setdefault(key, CountyWarnings(county=county, pairings=[])).pairings.append(pairing)
    return sorted(groups.values(), key=lambda g: g.county.code if g.county else "999999")


@dataclass
class LateAgreement:
    pairing: Pairing
    signed_on: datetime.date | None

    @property
    def unsigned(self) -> bool:
        return self.signed_on is None


def _late_agreements(cycle: Cycle, user: Any, today: datetime.date, semester: Semester | None) -> QuerySet[Pairing]:
    qs = _active(cycle, semester).for_user(user)
    late = Q(agreement__signed_on__gt=cycle.agreement_deadline)
    if today > cycle.agreement_deadline:
        late |= Q(agreement__isnull=True) | Q(agreement__signed_on__isnull=True)
    return qs.filter(late)


def late_agreements(
    *, cycle: Cycle, user: Any, today: datetime.date, semester: Semester | None = None
) -> list[LateAgreement]:
    """Return the active pairings `user` may see whose agreement was signed after the deadline, or is still
    unsigned once the deadline has passed (R26); given `semester`, the pairings active on any day of it rather
    than those active today. One query."""
    qs = _late_agreements(cycle, user, today, semester).select_related("helper", "recipient__county", "agreement")
    qs = qs.order_by("helper__name", "recipient__name")
    result = []
    for pairing in qs:
        agreement = getattr(pairing, "agreement", None)
        result.append(LateAgreement(pairing=pairing, signed_on=agreement.signed_on if agreement else None))
    return result


def late_agreement_counts(
    *, cycle: Cycle, user: Any, today: datetime.date, semester: Semester | None = None
) -> dict[tuple[int | None, str], int]:
    """Return how many of `late_agreements` there are per recipient's county and stage, counted by the database.
    One query."""
    counts = (
        _late_agreements(cycle, user, today, semester)
        .order_by()
        .values("stage", county=F("recipient__county_id"))
        .annotate(n=Count("pk"))
    )
    return {(row["county"], row["stage"]): row["n"] for row in counts}


def late_work_plans(*, cycle: Cycle, user: Any, today: datetime.date) -> list[WorkPlan]:
    """Return the work plans `user` may see that came after the deadline, or are still missing once it has
    passed (R25)."""
    qs = WorkPlan.objects.for_user(user).filter(cycle=cycle)
    late = Q(submitted_on__gt=cycle.work_plan_deadline)
    if today > cycle.work_plan_deadline:
        late |= Q(status=WorkPlanStatus.MISSING)
    return list(qs.filter(late).select_related("county", "school", "cycle").order_by("county__code", "school__name"))
