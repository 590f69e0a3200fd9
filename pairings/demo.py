"""Demo pairings between the synthetic schools, made through the rules engine at every tier and stage.

Nearly every public demo school takes part; about one village school in seventy is left out and a few
teaching points are helped by a neighbouring village school (a village–village pair, which warns), so that
coverage and warning reports have something to find.
"""

import datetime
import random
from collections import defaultdict
from itertools import cycle as round_robin

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from liuzhou_pairing.access import full_clean, require, save_checked_many
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.scope import scope_of
from schools.choices import Location, Ownership, SchoolType, Stage, Standing
from schools.models import County, School

from .choices import ArrangedBy, Measure, PairingStatus, ProblemStatus, Side, Tier, WorkPlanStatus
from .liuzhou import liuzhou_cycle
from .models import Agreement, Pairing, Problem, Semester, WorkPlan, WorkPlanAttachment
from .services import (
    AGREEMENT_FIELDS,
    PairingBatch,
    agreement_editable_fields,
    agreement_save,
    work_plan_review,
    work_plan_submit,
    work_plan_tables_attach,
)

LEAVE_OUT = 1 / 70
VILLAGE_VILLAGE = 0.05
COMPULSORY_TYPES = (SchoolType.PRIMARY, SchoolType.JUNIOR_MIDDLE, SchoolType.NINE_YEAR, SchoolType.COMPLETE_MIDDLE)


def demo_pairings_clear(**kwargs) -> int:
    """Delete every pairing that involves a demo school, with its agreement and problems."""
    demo = Pairing.objects.filter(Q(helper__is_demo=True) | Q(recipient__is_demo=True))
    Problem.objects.filter(agreement__pairing__in=demo).delete()
    Agreement.objects.filter(pairing__in=demo).delete()
    count, _ = demo.delete()
    return count


def _strongest_first(schools: list[School]) -> list[School]:
    order = {Standing.HIGH_QUALITY: 0, Standing.ORDINARY: 1, Standing.WEAK: 2}
    return sorted(schools, key=lambda s: (order[s.standing], s.name))


class DemoPairer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cycle = liuzhou_cycle()
        self.count = 0
        self.district_pairs = {d.helper_county_id: d.recipient_county_id for d in self.cycle.district_pairings.all()}
        # Every pairing goes through the rules as one made in a form would; they are written together at the end.
        self.batch = PairingBatch(actor=SYSTEM, preload=True)

    def pair(self, helper: School, recipient: School, stage: str, tier: str, county: County) -> None:
        self.batch.add(
            helper=helper,
            recipient=recipient,
            stage=stage,
            tier=tier,
            cycle=self.cycle,
            arranged_by=ArrangedBy.COUNTY,
            arranged_by_county=county,
            helper_contact=helper.contact_person,
            helper_phone=helper.contact_phone,
            recipient_contact=recipient.contact_person,
            recipient_phone=recipient.contact_phone,
        )
        self.count += 1

    def run(self) -> int:
        # Public schools, and the high-quality private kindergartens that may help (R5).
        schools = list(
            School.objects.demo()
            .active()
            .filter(Q(ownership=Ownership.PUBLIC) | Q(standing=Standing.HIGH_QUALITY))
            .select_related("county", "township")
            .order_by("name")
        )
        by_county: dict[int, list[School]] = defaultdict(list)
        for school in schools:
            by_county[school.county_id].append(school)
        counties = {c.pk: c for c in County.objects.all()}
        leftovers: dict[int, list[School]] = {}
        for county_id in sorted(by_county, key=lambda pk: counties[pk].code):
            leftovers[county_id] = self.county(counties[county_id], by_county[county_id])
        # R8: urban-district schools left over help the county-town and central schools of the paired county.
        for district_id, helpers in leftovers.items():
            recipient_county = self.district_pairs.get(district_id)
            if not helpers or recipient_county is None:
                continue
            targets = [
                s
                for s in by_county.get(recipient_county, [])
                if s.school_type in COMPULSORY_TYPES
                and (s.is_central or s.location in (Location.COUNTY_TOWN, Location.URBAN))
            ]
            for helper, recipient in zip(
                helpers, round_robin(_strongest_first(targets)) if targets else [], strict=False
            ):
                if helper.school_type in COMPULSORY_TYPES:
                    self.pair(helper, recipient, Stage.COMPULSORY, Tier.CITY_COUNTY, counties[district_id])
        self.high_schools(schools)
        self.batch.save()
        return self.count

    def county(self, county: County, schools: list[School]) -> list[School]:
        """Pair the schools of one county; return the urban compulsory helpers left over (for R8)."""
        urban = [s for s in schools if s.location in (Location.URBAN, Location.COUNTY_TOWN)]
        urban_compulsory = _strongest_first([s for s in urban if s.school_type in COMPULSORY_TYPES])
        urban_kindergartens = _strongest_first([s for s in urban if s.school_type == SchoolType.KINDERGARTEN])
        by_township: dict[int, list[School]] = defaultdict(list)
        for school in schools:
            if school.location in (Location.TOWNSHIP, Location.VILLAGE):
                by_township[school.township_id].append(school)

        compulsory_targets, preschool_targets = [], []
        village_kindergartens = []
        for township_id in sorted(by_township):
            members = by_township[township_id]
            central = next((s for s in members if s.is_central and s.school_type != SchoolType.KINDERGARTEN), None)
            central_kg = next((s for s in members if s.is_central and s.school_type == SchoolType.KINDERGARTEN), None)
            if central:
                compulsory_targets.append(central)
            if central_kg:
                preschool_targets.append(central_kg)
            compulsory_targets += [s for s in members if s.school_type == SchoolType.JUNIOR_MIDDLE]
            village_primaries = [s for s in members if s.village_id and s.school_type == SchoolType.PRIMARY]
            for recipient in (s for s in members if s.village_id):
                if self.rng.random() < LEAVE_OUT:
                    continue
                if recipient.school_type == SchoolType.KINDERGARTEN:
                    village_kindergartens.append(recipient)
                    if central_kg:
                        self.pair(central_kg, recipient, Stage.PRESCHOOL, Tier.TOWNSHIP_VILLAGE, county)
                elif central:
                    helper = central
                    if recipient.school_type == SchoolType.TEACHING_POINT and village_primaries:
                        if self.rng.random() < VILLAGE_VILLAGE:
                            helper = self.rng.choice(village_primaries)  # R10: a village–village pair
                    self.pair(helper, recipient, Stage.COMPULSORY, Tier.TOWNSHIP_VILLAGE, county)

        # R7 (districts, city–county) or R9 (counties, county–township): urban helpers → township schools.
        tier = Tier.CITY_COUNTY if county.is_urban_district else Tier.COUNTY_TOWNSHIP
        helpers = list(urban_compulsory)
        for i, recipient in enumerate(compulsory_targets):
            if helpers:
                self.pair(helpers[i % len(helpers)], recipient, Stage.COMPULSORY, tier, county)
        used = min(len(helpers), len(compulsory_targets))
        # R5: county-town and urban kindergartens → central kindergartens; the rest help village kindergartens.
        kg_targets = preschool_targets + village_kindergartens
        for helper, recipient in zip(urban_kindergartens, kg_targets, strict=False):
            self.pair(helper, recipient, Stage.PRESCHOOL, Tier.COUNTY_TOWNSHIP, county)
        if urban_kindergartens and len(urban_kindergartens) < len(preschool_targets):
            for i, recipient in enumerate(preschool_targets[len(urban_kindergartens) :]):
                self.pair(urban_kindergartens[i % len(urban_kindergartens)], recipient, Stage.PRESCHOOL,
                          Tier.COUNTY_TOWNSHIP, county)  # fmt: skip
        return helpers[used:] if county.is_urban_district else []

    def high_schools(self, schools: list[School]) -> None:
        """The city's high schools help the demo complete middle schools' senior sections (city–county)."""
        helpers = list(
            School.objects.real()
            .filter(
                led_pairings__isnull=True, pairings_given__stage=Stage.HIGH_SCHOOL, pairings_given__is_city_fixed=True
            )
            .distinct()
            .order_by("name")
        )
        recipients = [s for s in schools if s.school_type == SchoolType.COMPLETE_MIDDLE]
        for i, recipient in enumerate(recipients):
            if helpers:
                self.batch.add(
                    helper=helpers[i % len(helpers)],
                    recipient=recipient,
                    stage=Stage.HIGH_SCHOOL,
                    tier=Tier.CITY_COUNTY,
                    cycle=self.cycle,
                    arranged_by=ArrangedBy.CITY,
                )
                self.count += 1


@transaction.atomic
def demo_pairings_generate(*, seed: int, scale: str = "liuzhou") -> int:
    """Create the demo pairings for the current demo schools; return how many were made."""
    demo_pairings_clear()
    return DemoPairer(seed).run()


# --- Demo agreements and work plans, so that the home page and the reports show something ----------------------

# Agreements recorded per county (of its demo pairings), in this rotation; the other pairings have none yet, so
# they count as unsigned once the deadline has passed.
AGREEMENTS_PER_COUNTY = 12
AGREEMENT_KINDS = ("on_time", "on_time", "late", "on_time", "unsigned", "on_time", "late", "on_time")
# Work plans of the real units, in this rotation over the counties by code, then the schools by name.
WORK_PLAN_STATES = ("submitted", "late", "accepted", "returned", "missing")
SURNAMES = "王李张刘陈杨黄赵吴周"
RETURN_REASON = "演示数据：结对安排表缺少联系人和电话，请补充后重新报送。"
# The smallest file the document check accepts as a PDF: the demo's stand-in for a stamped scan.
DEMO_PDF = b"%PDF-1.4\n% demo\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _raw_delete(queryset) -> int:
    """Delete the rows of `queryset` in one statement, without per-row signals (which would write a history row
    for each): the demo's records go with their history, deleted here too."""
    return queryset._raw_delete(queryset.db)


def demo_records_clear(**kwargs) -> int:
    """Remove the demo agreements (with their problems and history) and put the work plans filled in as demo data
    back to "not submitted", as they were; real agreements and plans are never touched."""
    agreements = list(Agreement.objects.filter(is_demo=True).values_list("pk", flat=True))
    count = 0
    for start in range(0, len(agreements), 5000):
        chunk = agreements[start : start + 5000]
        problems = Problem.objects.filter(agreement_id__in=chunk)
        _raw_delete(Problem.history.filter(id__in=problems.values("pk")))
        _raw_delete(problems)
        _raw_delete(Agreement.history.filter(id__in=chunk))
        count += _raw_delete(Agreement.objects.filter(pk__in=chunk))
    _raw_delete(Agreement.history.filter(is_demo=True))
    plans = WorkPlan.objects.filter(is_demo=True)
    WorkPlan.history.filter(is_demo=True).delete()
    WorkPlanAttachment.objects.filter(work_plan__in=plans).delete()
    count += plans.update(status=WorkPlanStatus.MISSING, submitted_on=None, document="", return_reason="",
                          is_demo=False)  # fmt: skip
    return count


def _demo_agreement(pairing: Pairing, kind: str, rng: random.Random, *, scan: bool) -> Agreement:
    deadline = pairing.cycle.agreement_deadline
    agreement = Agreement(pairing=pairing, is_demo=True, plan="演示数据：一对帮扶一精准方案。")
    if kind != "unsigned":
        days = -rng.randint(1, 20) if kind == "on_time" else rng.randint(10, 90)
        agreement.signed_on = deadline + datetime.timedelta(days=days)
        agreement.helper_signatory = f"{rng.choice(SURNAMES)}校长"
        agreement.recipient_signatory = f"{rng.choice(SURNAMES)}校长"
        if scan:
            agreement.scan = ContentFile(DEMO_PDF, name="demo-agreement.pdf")
    return agreement_save(agreement=agreement, actor=SYSTEM)


def _demo_work_plan(plan: WorkPlan, state: str, rng: random.Random) -> int:
    if state == "missing":
        return 0
    deadline = plan.cycle.work_plan_deadline
    days = rng.randint(10, 40) if state == "late" else -rng.randint(1, 10)
    plan.is_demo = True
    if plan.county_id:
        # A county files its arrangement tables with its plan: generated as its pages download them.
        work_plan_tables_attach(plan=plan, actor=SYSTEM, today=deadline + datetime.timedelta(days=days - 1))
    plan = work_plan_submit(
        plan=plan, actor=SYSTEM, submitted_on=deadline + datetime.timedelta(days=days),
        document=ContentFile(DEMO_PDF, name="demo-work-plan.pdf"),
    )  # fmt: skip
    if state in ("accepted", "returned"):
        reason = "" if state == "accepted" else RETURN_REASON
        work_plan_review(plan=plan, actor=SYSTEM, accept=state == "accepted", reason=reason)
    return 1


@transaction.atomic
def demo_records_generate(*, seed: int, scale: str = "liuzhou") -> int:
    """Record demo agreements (signed on time, signed late, unsigned) for a sample of each county's demo pairings and
    for the city-fixed pairs, and fill in the real units' work plans in every state (submitted on time, submitted
    late, accepted, returned, missing), all through the services and marked as demo data. Return how many."""
    rng = random.Random(seed)
    cycle = liuzhou_cycle()
    without = Pairing.objects.filter(cycle=cycle, status=PairingStatus.ACTIVE, agreement__isnull=True)
    without = without.select_related("cycle").order_by("pk")
    by_county: dict[int | None, list[Pairing]] = defaultdict(list)
    for pairing in without.filter(Q(helper__is_demo=True) | Q(recipient__is_demo=True)):
        by_county[pairing.arranged_by_county_id].append(pairing)
    count = 0
    for county_id in sorted(by_county, key=lambda pk: pk or 0):
        pairings = by_county[county_id]
        for i, pairing in enumerate(rng.sample(pairings, min(AGREEMENTS_PER_COUNTY, len(pairings)))):
            _demo_agreement(pairing, AGREEMENT_KINDS[i % len(AGREEMENT_KINDS)], rng, scan=i % 2 == 0)
            count += 1
    for i, pairing in enumerate(without.filter(is_city_fixed=True)):
        _demo_agreement(pairing, AGREEMENT_KINDS[i % len(AGREEMENT_KINDS)], rng, scan=i % 3 == 0)
        count += 1
    # Only plans no one has touched: a real submission is never overwritten.
    plans = WorkPlan.objects.filter(cycle=cycle, status=WorkPlanStatus.MISSING).select_related("cycle")
    for i, plan in enumerate(plans.order_by("county__code", "school__name")):
        count += _demo_work_plan(plan, WORK_PLAN_STATES[i % len(WORK_PLAN_STATES)], rng)
    if scale == "region":
        count += demo_agreements_bulk(cycle, rng)
    return count


# --- The region's agreements: one for (nearly) every demo pairing, with its problems and countermeasures ---------

# At region scale the pairings without an agreement after the sample above get one each, this share of them signed
# (on time or late); the rest stay unsigned so that the reports have some to find.
UNSIGNED_SHARE = 0.08
AGREEMENT_CHUNK = 2000
PROBLEMS = (
    ("教师课堂教学方法单一，学生参与度不高", "帮扶校骨干教师每学期送教，开展同课异构和评课",
     Measure.TEACHING, Side.BOTH),
    ("学校管理制度不健全，教学常规落实不到位", "帮扶校派管理骨干驻校指导，修订教学常规制度",
     Measure.MANAGEMENT, Side.HELPER),
    ("青年教师比例高，缺少骨干引领", "受援校教师到帮扶校跟岗学习，师徒结对培养",
     Measure.TEACHER_DEVELOPMENT, Side.RECIPIENT),
    ("图书和教学设备不足", "帮扶校捐赠图书和教学设备，共享数字资源", Measure.SCHOOL_CONDITIONS, Side.HELPER),
    ("留守儿童较多，学业和心理关爱不足", "两校联合开展家访和结对辅导", Measure.STUDENTS_IN_DIFFICULTY, Side.BOTH),
)  # fmt: skip


class DemoAgreements:
    """Agreements and their problems written in bulk on `agreement_save`'s and `problem_save`'s terms: the actor may
    record agreements and problems, each pairing lies in its area and has not ended, the fields are ones the actor
    may set, one agreement per pairing (the stored ones read once per chunk), every row validated as the service
    validates it (`full_clean`); `save_checked_many` writes them with their history and re-checks the actor's
    area."""

    def __init__(self, actor, cycle, rng: random.Random) -> None:
        scope = scope_of(actor)
        require(
            scope.city or (scope.writes and bool(scope.county_id)),
            _("Agreements are recorded by the city bureau and county bureaus."),
        )
        self.actor, self.cycle, self.rng = actor, cycle, rng
        self.semesters = list(Semester.objects.filter(cycle=cycle).order_by("starts_on"))

    def agreement(self, pairing: Pairing) -> Agreement:
        agreement = Agreement(pairing=pairing, is_demo=True, plan="演示数据：一对帮扶一精准方案。")
        if self.rng.random() >= UNSIGNED_SHARE:
            late = self.rng.random() < 0.15
            days = self.rng.randint(10, 90) if late else -self.rng.randint(1, 20)
            agreement.signed_on = self.cycle.agreement_deadline + datetime.timedelta(days=days)
            agreement.helper_signatory = f"{self.rng.choice(SURNAMES)}校长"
            agreement.recipient_signatory = f"{self.rng.choice(SURNAMES)}校长"
        return agreement

    def problems(self, agreement: Agreement) -> list[Problem]:
        chosen = self.rng.sample(PROBLEMS, self.rng.randint(1, 3))
        return [
            Problem(
                agreement=agreement, problem=problem, countermeasure=countermeasure, measure=measure,
                responsible_side=side,
                target_semester=self.rng.choice(self.semesters) if self.semesters else None,
                status=self.rng.choice((ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS, ProblemStatus.RESOLVED)),
            )
            for problem, countermeasure, measure, side in chosen
        ]  # fmt: skip

    def write(self, pairings: list[Pairing]) -> int:
        """Check and write an agreement with its problems for each of `pairings`; return how many records."""
        ids = [p.pk for p in pairings]
        if len(set(ids)) != len(ids):
            raise ValueError("DemoAgreements.write takes each pairing once.")
        open_ = set(
            Pairing.objects.for_user(self.actor).exclude(status=PairingStatus.ENDED).filter(pk__in=ids)
            .values_list("pk", flat=True)
        )  # fmt: skip
        require(all(pk in open_ for pk in ids), _("You may not record an agreement for this pairing."))
        # A pairing that has an agreement already is refused by the uniqueness check, as agreement_save refuses it.
        taken = set(Agreement.objects.filter(pairing_id__in=ids).values_list("pairing_id", flat=True))
        agreements, problems = [], []
        for pairing in pairings:
            agreement = self.agreement(pairing)
            require(
                not set(AGREEMENT_FIELDS) - agreement_editable_fields(self.actor, agreement),
                _("You may not record an agreement for this pairing."),
            )
            full_clean(agreement, unique=pairing.pk in taken)
            agreements.append(agreement)
        save_checked_many(agreements, actor=self.actor)
        for agreement in agreements:
            for problem in self.problems(agreement):
                problem.agreement_id = agreement.pk
                full_clean(problem)
                problems.append(problem)
        save_checked_many(problems, actor=self.actor)
        return len(agreements) + len(problems)


def demo_agreements_bulk(cycle, rng: random.Random) -> int:
    """Give every active demo pairing of `cycle` still without an agreement one, with its problems, written in bulk
    through `DemoAgreements`; return how many records."""
    without = Pairing.objects.filter(cycle=cycle, status=PairingStatus.ACTIVE, agreement__isnull=True)
    without = without.filter(Q(helper__is_demo=True) | Q(recipient__is_demo=True)).select_related("cycle")
    pairings = list(without.order_by("pk"))
    writer = DemoAgreements(SYSTEM, cycle, rng)
    count = 0
    for start in range(0, len(pairings), AGREEMENT_CHUNK):
        count += writer.write(pairings[start : start + AGREEMENT_CHUNK])
    return count
