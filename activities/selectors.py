"""Reads for activities: the compliance of each pairing with the semester's norms (R20, R21, R23).

A derived fact, computed when read from the confirmed activities, never stored. Each selector runs a fixed number
of queries whatever the number of pairings and activities.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)

from pairings.choices import PairingStatus, Side, Tier
from pairings.models import Pairing, Semester
from schools.choices import Stage
from schools.models import County, School

from .choices import Confirmation, Kind, NormCounts, Post
from .models import Activity, Norm

# The posts a norm of key staff counts (R20: 骨干, and the school's leaders).
KEY_POSTS = frozenset({Post.LEADER, Post.KEY_STAFF})
KIND_ORDER = {kind: i for i, kind in enumerate(Kind.values)}


@dataclass(frozen=True)
class NormCount:
    """One norm for one pairing in a semester: what was counted against what is required."""

    kind: str
    counts: str  # NormCounts: distinct people or times
    count: int
    required: int

    @property
    def met(self) -> bool:
        return self.count >= self.required

    @property
    def label(self) -> str:
        """The plan's short term for the kind (送教, 联合教研 …)."""
        return str(Kind(self.kind).label)


@dataclass
class ComplianceRow:
    """One pairing active in the semester: each norm that applies to it, and whether it did anything at all."""

    pairing: Pairing
    helper: School
    recipient: School
    county: County | None  # the recipient's
    stage: str
    tier: str
    norms: dict[str, NormCount] = field(default_factory=dict)  # by kind, in the order of the kinds
    silent: bool = True  # no confirmed activity in the semester

    @property
    def compliant(self) -> bool:
        """Whether every norm that applies is met (达标). With no norm set for its cycle (the city has not set
        them yet) a pairing is not judged compliant: nothing was measured."""
        return bool(self.norms) and all(norm.met for norm in self.norms.values())


def _applying_norms(norms: list[Norm], stage: str, tier: str) -> list[Norm]:
    """Return, per kind, the most specific of the cycle's norms for `stage` and `tier`: (stage, tier), then
    (stage, every tier), then (every stage, tier), then (every stage, every tier)."""
    by_key = {(n.kind, n.stage, n.tier): n for n in norms}
    found = []
    for kind in sorted({n.kind for n in norms}, key=KIND_ORDER.get):
        for key in ((stage, tier), (stage, ""), ("", tier), ("", "")):
            norm = by_key.get((kind, *key))
            if norm is not None:
                found.append(norm)
                break
    return found


def compliance(
    *,
    user: Any,
    semester: Semester,
    county: County | int | None = None,
    stage: str | None = None,
    tier: str | None = None,
    among: Any = None,
) -> list[ComplianceRow]:
    """Return, for each pairing `user` may see that was active on any day of `semester` (narrowed to the
    recipient's `county`, a `stage`, a `tier`, or to the pairings of the queryset `among`), each norm of its
    cycle that applies to it with its count, and whether it is silent. Only confirmed activities count: a norm of
    times counts the pairing's activities of its kind; a norm of people the distinct staff taking part in them, of
    the norm's side (the helper's, the recipient's or both), only leaders and key staff when the norm says so.

    Four queries: the pairings, the cycle's norms, the activities per pairing and kind, and the distinct
    participants per pairing, kind, school and post."""
    pairings = Pairing.objects.for_user(user).active_in(semester)
    if county is not None:
        pairings = pairings.filter(recipient__county=county)
    if stage:
        pairings = pairings.filter(stage=stage)
    if tier:
        pairings = pairings.filter(tier=tier)
    if among is not None:
        pairings = pairings.filter(pk__in=among.values("pk"))
    return _judged(pairings.annotate(**{_active_in(semester): Value(True)}), [semester])[semester.pk]


def compliance_by_semester(
    *, user: Any, semesters: list[Semester], county: County | int | None = None
) -> dict[int, list[ComplianceRow]]:
    """Return, by semester id, what `compliance` returns for each of `semesters` (narrowed to the recipient's
    `county`): the same rows, judged by the same rules. Four queries however many semesters: the pairings active
    in any of them, the norms, the activities per semester, pairing and kind, and the distinct participants."""
    semesters = list(semesters)
    if not semesters:
        return {}
    pairings = Pairing.objects.for_user(user)
    if county is not None:
        pairings = pairings.filter(recipient__county=county)
    active = {_active_in(s): Exists(Pairing.objects.active_in(s).filter(pk=OuterRef("pk"))) for s in semesters}
    pairings = pairings.annotate(**active).filter(reduce(or_, (Q(**{name: True}) for name in active)))
    return _judged(pairings, semesters)


def _active_in(semester: Semester) -> str:
    """The name of a pairing's annotation saying whether it was active in `semester`."""
    return f"active_in_{semester.pk}"


def _judged(pairings: Any, semesters: list[Semester]) -> dict[int, list[ComplianceRow]]:
    """Judge each pairing of the queryset `pairings` in each of `semesters` it was active in, as its annotation
    `_active_in(semester)` says (by `Pairing.objects.active_in`): its rows by semester id, in the order of the
    county, helper and recipient."""
    found = list(
        pairings.select_related("helper", "recipient__county").order_by(
            "recipient__county__code", "helper__name", "recipient__name", "pk"
        )
    )
    judged: dict[int, list[ComplianceRow]] = {s.pk: [] for s in semesters}
    if not found:
        return judged
    norms: dict[int, list[Norm]] = defaultdict(list)  # by cycle
    for norm in Norm.objects.filter(cycle_id__in={s.cycle_id for s in semesters}):
        norms[norm.cycle_id].append(norm)

    counted = Activity.objects.counted().filter(
        semester__in=[s.pk for s in semesters], pairing__in=pairings.values("pk")
    )
    # By (semester, pairing): the confirmed activities per kind ...
    times: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for semester_id, pairing_id, kind, n in (
        counted.order_by()
        .values("semester_id", "pairing_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("semester_id", "pairing_id", "kind", "n")
    ):
        times[(semester_id, pairing_id)][kind] = n

    # ... and the distinct participants per kind, school and post. A person has one school and one post, so the
    # distinct counts per (school, post) add up to distinct counts over any union of them: a side, key staff
    # only, or both.
    people: dict[tuple[int, int], dict[str, list[tuple[int, str, int]]]] = defaultdict(lambda: defaultdict(list))
    people_kinds = {n.kind for cycle_norms in norms.values() for n in cycle_norms if n.counts == NormCounts.PEOPLE}
    if people_kinds:
        participants = Activity.participants.through.objects.filter(activity__in=counted.filter(kind__in=people_kinds))
        fields = ("activity__semester_id", "activity__pairing_id", "activity__kind", "staff__school_id", "staff__post")
        for semester_id, pairing_id, kind, school_id, post, n in (
            participants.order_by()
            .values(*fields)
            .annotate(n=Count("staff_id", distinct=True))
            .values_list(*fields, "n")
        ):
            people[(semester_id, pairing_id)][kind].append((school_id, post, n))

    applying: dict[tuple[int, str, str], list[Norm]] = {}  # the same few (cycle, stage, tier) for every pairing
    names = [(semester.pk, semester.cycle_id, _active_in(semester)) for semester in semesters]
    for p in found:
        pairing_id, helper, recipient, stage, tier = p.pk, p.helper, p.recipient, p.stage, p.tier
        for semester_id, cycle_id, name in names:
            if not getattr(p, name):
                continue
            row = ComplianceRow(
                pairing=p, helper=helper, recipient=recipient, county=recipient.county, stage=stage, tier=tier
            )
            key = (cycle_id, stage, tier)
            if key not in applying:
                applying[key] = _applying_norms(norms.get(cycle_id, []), stage, tier)
            judge(
                row, applying[key], times.get((semester_id, pairing_id), {}), people.get((semester_id, pairing_id), {})
            )
            judged[semester_id].append(row)
    return judged


def judge(
    row: ComplianceRow,
    norms: list[Norm],
    times: dict[str, int],
    people: dict[str, list[tuple[int, str, int]]],
) -> None:
    """Judge one pairing in one semester against the `norms` that apply to it (R20, R21, R23), filling `row`:
    `times` is its confirmed activities per kind, `people` the distinct participants of them per kind as (school,
    post, number). A norm of times counts the activities of its kind; a norm of people the participants of the
    norm's side, only leaders and key staff when the norm says so. Silent: no confirmed activity at all."""
    pairing = row.pairing
    row.silent = not times
    for norm in norms:
        if norm.counts == NormCounts.TIMES:
            count = times.get(norm.kind, 0)
        else:
            if norm.side == Side.HELPER:
                schools = {pairing.helper_id}
            elif norm.side == Side.RECIPIENT:
                schools = {pairing.recipient_id}
            else:
                schools = {pairing.helper_id, pairing.recipient_id}
            count = sum(
                n
                for school_id, post, n in people.get(norm.kind, ())
                if school_id in schools and (post in KEY_POSTS or not norm.key_staff_only)
            )
        row.norms[norm.kind] = NormCount(kind=norm.kind, counts=norm.counts, count=count, required=norm.required)


@dataclass
class Tally:
    """The pairings of one county (the recipient's) and stage active in a semester, counted as `compliance` judges
    them: how many, how many met every norm, how many had no confirmed activity, and per kind how many a norm of
    that kind applies to and did not meet."""

    pairings: int = 0
    compliant: int = 0
    silent: int = 0
    short: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Tally") -> None:
        self.pairings += other.pairings
        self.compliant += other.compliant
        self.silent += other.silent
        for kind, n in other.short.items():
            self.short[kind] = self.short.get(kind, 0) + n


def _norm_alias(norm: Norm) -> str:
    """The name of the per-pairing count a norm is judged by: the confirmed activities of its kind, or the distinct
    participants of its kind, side and posts (norms sharing all of these share the count)."""
    if norm.counts == NormCounts.TIMES:
        return f"j_times_{norm.kind}"
    return f"j_people_{norm.kind}_{norm.side or 'both'}_{int(norm.key_staff_only)}"


def _norm_count(norm: Norm) -> Count:
    """The count `_norm_alias(norm)` names, over the pairing's confirmed activities of the semester (`done`)."""
    if norm.counts == NormCounts.TIMES:
        return Count("done", distinct=True, filter=Q(done__kind=norm.kind))
    helper = Q(done__participants__school_id=F("helper_id"))
    recipient = Q(done__participants__school_id=F("recipient_id"))
    side = helper if norm.side == Side.HELPER else recipient if norm.side == Side.RECIPIENT else helper | recipient
    posts = Q(done__participants__post__in=KEY_POSTS) if norm.key_staff_only else Q()
    return Count("done__participants", distinct=True, filter=Q(done__kind=norm.kind) & side & posts)


def _judged_in_database(pairings: Any, semester: Semester, norms: list[Norm], by_helper: bool = False) -> Any:
    """The pairings of the queryset `pairings` (active in `semester`), one row each with its semester, recipient's
    county, stage, whether it is compliant, silent, and short of each kind's norm: what `judge` decides, decided by
    the database from their confirmed activities of the semester (a join, grouped by pairing)."""
    confirmed = FilteredRelation(
        "activities", condition=Q(activities__semester_id=semester.pk, activities__status=Confirmation.CONFIRMED)
    )
    counts = {_norm_alias(norm): _norm_count(norm) for norm in norms}
    qs = pairings.order_by().annotate(done=confirmed).annotate(j_done=Count("done", distinct=True), **counts)
    # The norms applying to each (stage, tier): the same few for every pairing. The (stage, tier)s judged alike
    # share one condition, so that the statement stays short.
    alike: dict[tuple[tuple[str, int], ...], list[Q]] = defaultdict(list)
    by_kind: dict[str, dict[tuple[str, int], list[Q]]] = defaultdict(lambda: defaultdict(list))
    for stage in Stage.values:
        for tier in Tier.values:
            found = _applying_norms(norms, stage, tier)
            if found:
                alike[tuple((_norm_alias(n), n.required) for n in found)].append(Q(stage=stage, tier=tier))
            for n in found:
                by_kind[n.kind][(_norm_alias(n), n.required)].append(Q(stage=stage, tier=tier))
    compliant = [
        When(reduce(or_, where) & Q(**{f"{alias}__gte": required for alias, required in met}), then=Value(True))
        for met, where in alike.items()
    ]
    short = {}
    for kind in sorted(by_kind, key=KIND_ORDER.get):
        whens = [
            When(reduce(or_, where) & Q(**{f"{alias}__lt": required}), then=Value(True))
            for (alias, required), where in by_kind[kind].items()
        ]
        short[f"j_short_{kind}"] = Case(*whens, default=Value(False), output_field=BooleanField())
    if by_helper:
        qs = qs.annotate(j_helper=F("helper__county_id"))
    return qs.annotate(
        j_semester=Value(semester.pk, output_field=IntegerField()),
        j_county=F("recipient__county_id"),
        j_stage=F("stage"),
        j_compliant=Case(*compliant, default=Value(False), output_field=BooleanField()),
        j_silent=Case(When(j_done=0, then=Value(True)), default=Value(False), output_field=BooleanField()),
        **short,
    )


def _active_q(semester: Semester) -> Q:
    """A pairing active on any day of `semester`, as `Pairing.objects.active_in` says, as a condition."""
    return (
        ~Q(status=PairingStatus.PROPOSED)
        & Q(cycle_id=semester.cycle_id, starts_on__lte=semester.ends_on)
        & (Q(ended_on__isnull=True) | Q(ended_on__gte=semester.starts_on))
    )


def compliance_tally(
    *, user: Any, semesters: list[Semester], county: County | int | None = None, by_helper: bool = False
) -> dict[int, dict[tuple, Tally]]:
    """Return, by semester id, the pairings `user` may see that were active on any day of the semester (narrowed
    to the recipient's `county`) counted per recipient's county and stage as `compliance` judges them. Aggregated
    in the database, four queries however many pairings and semesters: the norms; the semesters with confirmed
    activities; the pairings with confirmed activities in such a semester, each judged by them in one statement
    and counted per semester, county and stage;
    and the others (every one in a semester with none yet), which are all judged alike with every count zero,
    counted per county, stage and tier for every semester in one pass. `by_helper` keys each count by
    (recipient's county, helper's county, stage) instead (activities.figures keeps the region's so)."""
    semesters = list(semesters)
    tallies: dict[int, dict[tuple, Tally]] = {s.pk: {} for s in semesters}
    if not semesters:
        return tallies
    norms: dict[int, list[Norm]] = defaultdict(list)  # by cycle
    for norm in Norm.objects.filter(cycle_id__in={s.cycle_id for s in semesters}):
        norms[norm.cycle_id].append(norm)
    kinds = sorted({n.kind for cycle_norms in norms.values() for n in cycle_norms}, key=KIND_ORDER.get)

    base = Pairing.objects.for_user(user)
    if county is not None:
        base = base.filter(recipient__county=county)
    with_done = {s.pk: Activity.objects.counted().filter(semester=s).values("pairing_id") for s in semesters}

    # The pairings with confirmed activities: one row each, judged by the database, counted per semester, county
    # and stage around it.
    place = ["j_county", "j_helper"] if by_helper else ["j_county"]  # the key's counties, then the stage
    columns = ["j_semester", *place, "j_stage", "j_compliant", "j_silent", *(f"j_short_{k}" for k in kinds)]
    counted = Activity.objects.counted().filter(semester=OuterRef("pk"))
    busy = set(
        Semester.objects.filter(pk__in=[s.pk for s in semesters], cycle_id__in={s.cycle_id for s in semesters})
        .filter(Exists(counted))
        .values_list("pk", flat=True)
    )
    parts = []
    for semester in [s for s in semesters if s.pk in busy]:
        pairings = base.active_in(semester).filter(pk__in=with_done[semester.pk])
        part = _judged_in_database(pairings, semester, norms.get(semester.cycle_id, []), by_helper=by_helper)
        # Every part has the same columns: a kind without a norm in this semester's cycle is never short.
        missing = {f"j_short_{k}": Value(False, output_field=BooleanField()) for k in kinds}
        parts.append(part.annotate(**{k: v for k, v in missing.items() if k not in part.query.annotations}))
    found: list[tuple] = []
    if parts:
        parts = [part.values(*columns) for part in parts]
        judged = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        sql, params = judged.query.get_compiler(using=judged.db).as_sql()

        def yes(column: str) -> str:
            return f"SUM(CASE WHEN {column} THEN 1 ELSE 0 END)"

        shorts = "".join(f", {yes(f'j_short_{k}')}" for k in kinds)
        keys = ", ".join(["j_semester", *place, "j_stage"])
        figures = f"COUNT(*), {yes('j_compliant')}, {yes('j_silent')}{shorts}"
        query = f"SELECT {keys}, {figures} FROM ({sql}) judged GROUP BY {keys}"
        with connections[judged.db].cursor() as cursor:
            cursor.execute(query, params)
            found = cursor.fetchall()
    width = len(place) + 2
    for row in found:
        semester_id, key, (n, compliant, silent, *short) = row[0], row[1:width], row[width:]
        tallies[semester_id][key] = Tally(
            pairings=n,
            compliant=compliant,
            silent=silent,
            short={kind: count for kind, count in zip(kinds, short, strict=True) if count},
        )

    # The others: silent, every count zero, so judged by their stage and tier alone (`judge` with nothing done).
    idle = {
        f"idle_{s.pk}": Count("pk", filter=_active_q(s) & ~Q(pk__in=with_done[s.pk])) for s in semesters
    }  # fmt: skip
    helper_county = {"j_helper": F("helper__county_id")} if by_helper else {}
    groups = (
        base.filter(cycle_id__in={s.cycle_id for s in semesters})
        .order_by()
        .values("stage", "tier", j_county=F("recipient__county_id"), **helper_county)
        .annotate(**idle)
    )
    applying: dict[tuple[int, str, str], list[Norm]] = {}
    for group in groups:
        for semester in semesters:
            n = group[f"idle_{semester.pk}"]
            if not n:
                continue
            key = (semester.cycle_id, group["stage"], group["tier"])
            if key not in applying:
                applying[key] = _applying_norms(norms.get(semester.cycle_id, []), group["stage"], group["tier"])
            found = applying[key]
            key = (group["j_county"], *(group[k] for k in helper_county), group["stage"])
            tally = tallies[semester.pk].setdefault(key, Tally())
            tally.add(
                Tally(
                    pairings=n,
                    compliant=n if found and all(norm.required <= 0 for norm in found) else 0,
                    silent=n,
                    short={norm.kind: n for norm in found if norm.required > 0},
                )
            )
    return tallies


def participant_choices(*, user: Any, pairing: str | None) -> Any:
    """Return the staff `user` may name on an activity, searched by name on the activity form: those of the two
    schools of the chosen pairing (when the user sees it), else every active staff member the user sees."""
    from .models import Staff

    staff = Staff.objects.for_user(user).filter(is_active=True)
    chosen = Pairing.objects.for_user(user).filter(pk=pairing).first() if str(pairing or "").isdigit() else None
    if chosen is not None:
        staff = staff.filter(school_id__in=[chosen.helper_id, chosen.recipient_id])
    return staff
