"""The semester compliance report (学期帮扶工作情况): per county (the recipient's) and, under it, per stage, how the
pairings active in a semester stand with the norms, and what is missing or late around them; a city total row;
the trend of the compliant share over the cycle's semesters.

Built only from the existing selectors (`compliance`, `activities_with_evidence_flags`, `coverage`,
`late_agreements`, `late_work_plans`, `special_inspections`, `rectification_list`), so that its figures are theirs.
Each figure keeps the records it counts, so that a list page shows exactly the rows behind a figure. A bounded
number of queries whatever the number of pairings and semesters: the earlier semesters of the trend are judged
together (`compliance_by_semester`), by the same rules as the semester's.
"""

import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q

from activities.choices import Confirmation, Kind
from activities.evidence import activities_with_evidence_flags
from activities.figures import compliance_figures
from activities.models import Activity, Norm
from activities.selectors import ComplianceRow, Tally, compliance
from liuzhou_pairing.scope import scope_of
from pairings.models import Pairing, Semester, WorkPlan
from pairings.selectors import LateAgreement, coverage, late_agreement_counts, late_agreements, late_work_plans
from schools.choices import Stage
from schools.models import County, School

from .selectors import RectificationCounts, SpecialInspection, rectification_list, special_inspections

STAGE_ORDER = {stage: i for i, stage in enumerate(Stage.values)}
# The key of the city-administered schools' county (no county) in a report's rows and its list pages' addresses.
CITY_ADMINISTERED = "none"


@dataclass(frozen=True)
class Uncovered:
    """A public school in no active pairing of the cycle at a stage it serves (R1)."""

    county: County | None
    stage: str
    school: School


class Listed(Sequence):
    """The records behind a figure: their number known beforehand (counted by the database), the records
    themselves read only when something lists them, once."""

    def __init__(self, count: int, load: Callable[[], list[Any]]):
        self.count = count
        self.load = load
        self.loaded: list[Any] | None = None

    def rows(self) -> list[Any]:
        if self.loaded is None:
            self.loaded = list(self.load())
        return self.loaded

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __getitem__(self, index: Any) -> Any:
        return self.rows()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows())


@dataclass
class Figures:
    """One row of the report: a county's stage (`stage` set), a county (`stage` ""), or the city (`total`). Each
    figure is the length of a list kept here; those of a county only (work plans, the special inspection,
    rectification) are None on a stage's row."""

    county: County | None
    stage: str = ""
    total: bool = False
    # The pairings active in the semester, counted by the compliance engine (`compliance_tally`); the records
    # (`compliance`'s rows) read only by a list page.
    tally: Tally = field(default_factory=Tally)
    pairings: Sequence[ComplianceRow] = field(default_factory=list)
    pending: Sequence[Activity] = field(default_factory=list)
    flagged: Sequence[Activity] = field(default_factory=list)
    uncovered: list[Uncovered] = field(default_factory=list)
    agreements: Sequence[LateAgreement] = field(default_factory=list)
    work_plans: list[WorkPlan] | None = None
    special: list[SpecialInspection] | None = None  # the county's (one), or every county's on the total row
    rectification: list[RectificationCounts] | None = None

    @property
    def county_key(self) -> str:
        """The county as list pages' addresses name it: its id, “none” for the city-administered, "" for all."""
        if self.total:
            return ""
        return str(self.county.pk) if self.county is not None else CITY_ADMINISTERED

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label) if self.stage else ""

    def _listed(self, count: int, keep: Callable[[ComplianceRow], bool]) -> Listed:
        return Listed(count, lambda: [row for row in self.pairings if keep(row)])

    @property
    def compliant(self) -> Listed:
        return self._listed(self.tally.compliant, lambda row: row.compliant)

    @property
    def not_compliant(self) -> Listed:
        return self._listed(self.tally.pairings - self.tally.compliant, lambda row: not row.compliant)

    @property
    def share(self) -> float | None:
        """The share of compliant pairings, or None with no pairing."""
        return self.tally.compliant / self.tally.pairings if self.tally.pairings else None

    @property
    def silent(self) -> Listed:
        return self._listed(self.tally.silent, lambda row: row.silent)

    def short_of(self, kind: str) -> Listed:
        """The pairings a norm of `kind` applies to that did not meet it."""
        return self._listed(self.tally.short.get(kind, 0), lambda row: kind in row.norms and not row.norms[kind].met)

    @property
    def specials_done(self) -> int | None:
        return None if self.special is None else sum(s.done for s in self.special)

    @property
    def specials_missing(self) -> int | None:
        return None if self.special is None else sum(not s.done for s in self.special)

    @property
    def findings_open(self) -> int | None:
        return None if self.rectification is None else sum(c.open + c.reopened for c in self.rectification)

    @property
    def findings_overdue(self) -> int | None:
        return None if self.rectification is None else sum(c.overdue for c in self.rectification)


@dataclass
class CountyFigures:
    """A county's row and its stages' rows."""

    row: Figures
    stages: list[Figures] = field(default_factory=list)


@dataclass(frozen=True)
class TrendPoint:
    """The compliant share of one semester of the cycle: the city's (the report's area) and each county's."""

    semester: Semester
    share: float | None
    counties: dict[int | None, float | None]


@dataclass
class SemesterReport:
    semester: Semester
    counties: list[CountyFigures]
    total: Figures
    kinds: list[str]  # the kinds the cycle has norms for, in the order of the kinds
    trend: list[TrendPoint] = field(default_factory=list)

    def rows(self) -> list[Figures]:
        """Every row in the page's order: each county, its stages under it, then the city's total."""
        return [r for c in self.counties for r in (c.row, *c.stages)] + [self.total]

    def find(self, county_key: str, stage: str = "") -> Figures | None:
        """The row of a county (its id, “none”, or "" for the total) and stage, or None."""
        if not county_key:
            return self.total if not stage else None
        for county in self.counties:
            if county.row.county_key == county_key:
                if not stage:
                    return county.row
                return next((s for s in county.stages if s.stage == stage), None)
        return None


def _share(tallies: list[Tally]) -> float | None:
    pairings = sum(t.pairings for t in tallies)
    return sum(t.compliant for t in tallies) / pairings if pairings else None


def semester_report(
    *,
    user: Any,
    semester: Semester,
    county: County | int | None = None,
    today: datetime.date,
    trend: bool = True,
) -> SemesterReport:
    """Return the semester report for what `user` sees: the city, the region and city-wide inspectors every
    county (narrowed to `county` when given), a county bureau or county inspector only its own county. Pairings
    are counted in their recipient's county; `trend` adds the compliant share of each semester of the cycle that
    has started by `today`, up to `semester`."""
    scope = scope_of(user)
    county_id = county.pk if isinstance(county, County) else county
    if not scope.everything:
        county_id = scope.county_id  # a county's own, whatever was asked
    cycle = semester.cycle
    all_counties = {c.pk: c for c in County.objects.order_by("code")}

    def wanted(cid: int | None) -> bool:
        return county_id is None or cid == county_id

    rows: dict[tuple[int | None, str], Figures] = {}
    total = Figures(county=None, total=True, work_plans=[], special=[], rectification=[])

    def stage_row(cid: int | None, stage: str) -> Figures:
        key = (cid, stage)
        if key not in rows:
            rows[key] = Figures(county=all_counties.get(cid), stage=stage)
        return rows[key]

    def county_row(cid: int | None) -> Figures:
        key = (cid, "")
        if key not in rows:
            rows[key] = Figures(county=all_counties.get(cid), work_plans=[], special=[], rectification=[])
        return rows[key]

    def add(name: str, cid: int | None, stage: str | None, item: Any) -> None:
        targets = [county_row(cid), total]
        if stage:
            targets.append(stage_row(cid, stage))
        for target in targets:
            getattr(target, name).append(item)

    # Every county the user sees has its row, even with nothing in it (its special inspection may be missing).
    for cid in all_counties:
        if scope.everything and wanted(cid) or not scope.everything and cid == scope.county_id:
            county_row(cid)

    # The pairings and their norms: the compliance engine counting in the database (two queries), for the
    # semester and, for the trend, the earlier ones of its cycle.
    semesters = _trend_semesters(semester, today) if trend else [semester]
    tallies = compliance_figures(user=user, semesters=semesters, county=county_id)
    for (cid, stage), tally in tallies[semester.pk].items():
        for target in (county_row(cid), stage_row(cid, stage), total):
            target.tally.add(tally)

    def counted(name: str, counts: dict[tuple[int | None, str], int], load: Callable, key: Callable) -> None:
        """Give each row the records `load()` returns as a figure `name`: `counts` per (county, stage) counted by
        the database, the records read only when listed (once for every row), `key(record)` its (county, stage)."""
        counts = {k: n for k, n in counts.items() if n and wanted(k[0])}
        for cid, stage in counts:
            county_row(cid), stage_row(cid, stage)
        everything = Listed(sum(counts.values()), lambda: [r for r in load() if key(r) in counts])
        for (cid, stage), row in rows.items():
            n = sum(v for (c, s), v in counts.items() if c == cid and (not stage or s == stage))
            setattr(row, name, Listed(n, lambda cid=cid, stage=stage: [
                r for r in everything if key(r)[0] == cid and (not stage or key(r)[1] == stage)
            ]))  # fmt: skip
        setattr(total, name, everything)

    def per_place(qs: Any) -> dict[tuple[int | None, str], int]:
        found = qs.order_by().values(cid=F("pairing__recipient__county_id"), stage=F("pairing__stage"))
        return {(r["cid"], r["stage"]): r["n"] for r in found.annotate(n=Count("pk"))}

    # Activities of those pairings awaiting the partner, and those with flagged evidence: counted per county and
    # stage (two queries), read only for a list.
    seen = Pairing.objects.for_user(user).active_in(semester)
    activities = (
        Activity.objects.filter(semester=semester, pairing__in=seen)
        .select_related("pairing__helper", "pairing__recipient")
        .order_by("date", "pk")
    )
    if county_id is not None:
        activities = activities.filter(pairing__recipient__county=county_id)
    pending = activities.filter(status=Confirmation.PENDING)
    flagged = activities_with_evidence_flags(activities).filter(Q(reused=True) | Q(doubtful_photos=True))

    def place_of(activity: Activity) -> tuple[int | None, str]:
        return activity.pairing.recipient.county_id, activity.pairing.stage

    counted("pending", per_place(pending), lambda: list(pending), place_of)
    counted("flagged", per_place(flagged), lambda: list(flagged), place_of)

    # Coverage gaps of the cycle by the pairings active in the semester, even those ended since (two queries).
    for gap in coverage(cycle=cycle, user=user, county=county_id, semester=semester):
        cid = gap.county.pk if gap.county else None
        if wanted(cid):
            for school in gap.uncovered:
                add("uncovered", cid, gap.stage, Uncovered(county=gap.county, stage=gap.stage, school=school))

    # Agreements of the pairings active in the semester unsigned after the deadline or signed late: counted (one
    # query), read only for a list.
    late = {"cycle": cycle, "user": user, "today": today, "semester": semester}
    late_counts = {
        key: n
        for key, n in late_agreement_counts(**late).items()
        if scope.everything or key[0] == scope.county_id
    }  # fmt: skip
    counted(
        "agreements",
        late_counts,
        lambda: late_agreements(**late),
        lambda late: (late.pairing.recipient.county_id, late.pairing.stage),
    )

    # Per county only: work plans missing or late (one query) ...
    for plan in late_work_plans(cycle=cycle, user=user, today=today):
        cid = plan.county_id if plan.county_id else plan.school.county_id
        if wanted(cid) and (scope.everything or cid == scope.county_id):
            add("work_plans", cid, None, plan)

    # ... the special inspection (two queries) ...
    for special in special_inspections(semester=semester, user=user):
        if wanted(special.county.pk):
            add("special", special.county.pk, None, special)

    # ... and the findings still to rectify (two queries).
    counts, _findings = rectification_list(semester=semester, user=user, county=county_id, today=today)
    for count in counts:
        cid = count.county.pk if count.county else None
        if wanted(cid) and (count.total or cid is not None):
            add("rectification", cid, None, count)

    # Each row's pairings, read by the compliance engine only when a list shows them.
    for (cid, stage), row in rows.items():
        row.pairings = Listed(row.tally.pairings, _pairings_of(user, semester, cid, stage))
    total.pairings = Listed(total.tally.pairings, _pairings_of(user, semester, county_id, "", whole=county_id is None))

    counties = []
    county_keys = sorted(
        {cid for cid, _stage in rows},
        key=lambda cid: all_counties[cid].code if cid in all_counties else "999999",
    )
    for cid in county_keys:
        stages = sorted((r for (c, s), r in rows.items() if c == cid and s), key=lambda r: STAGE_ORDER[r.stage])
        counties.append(CountyFigures(row=county_row(cid), stages=stages))
    norm_kinds = set(Norm.objects.filter(cycle_id=semester.cycle_id).values_list("kind", flat=True))
    report = SemesterReport(
        semester=semester, counties=counties, total=total, kinds=[k for k in Kind.values if k in norm_kinds]
    )
    if trend:
        report.trend = _trend(semesters, tallies)
    return report


def _pairings_of(user: Any, semester: Semester, cid: int | None, stage: str, whole: bool = False) -> Callable:
    """The compliance engine's rows of the pairings of county `cid` (None: the city-administered schools, or with
    `whole` every county) and `stage` (or every stage)."""

    def load() -> list[ComplianceRow]:
        among = None if whole or cid is not None else Pairing.objects.filter(recipient__county=None)
        return compliance(user=user, semester=semester, county=cid, stage=stage or None, among=among)

    return load


def _trend_semesters(semester: Semester, today: datetime.date) -> list[Semester]:
    """The semesters of `semester`'s cycle that have started by `today`, up to `semester` (always included)."""
    return list(
        Semester.objects.filter(cycle_id=semester.cycle_id, starts_on__lte=semester.starts_on)
        .filter(Q(starts_on__lte=today) | Q(pk=semester.pk))
        .order_by("starts_on")
    )


def _trend(semesters: list[Semester], tallies: dict[int, dict[tuple[int | None, str], Tally]]) -> list[TrendPoint]:
    """The compliant share of each of `semesters`, the area's and each county's, from their tallies."""
    points = []
    for each in semesters:
        by_county: dict[int | None, list[Tally]] = {}
        for (cid, _stage), tally in tallies[each.pk].items():
            by_county.setdefault(cid, []).append(tally)
        points.append(
            TrendPoint(
                semester=each,
                share=_share(list(tallies[each.pk].values())),
                counties={cid: _share(county_tallies) for cid, county_tallies in by_county.items()},
            )
        )
    return points
