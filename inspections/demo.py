"""Demo inspections of the latest semester with demo activities (R28–R31), so that every page of the inspections
has something to show.

Most counties (all but two) have a signed county self-inspection of the county, its checklist judged with a
realistic mix (mostly pass, some partly, a fail) and rated; two of them are the county's special inspection
(专项督导), so the special-inspection page shows counties done and missing; one county has only a draft. A few
self-inspections of a school or a pairing (one a draft), among them the school of the demo school account. The
city re-inspects a few counties, confirming the self-inspection item by item and overturning one item, with a
note, in the demo county. Findings on some inspections name a school or a county bureau: open, overdue (the
deadline passed), rectified (what was done, with a file), verified and reopened. And the region's spot-check
sample of the semester, drawn with the run's seed.

Everything is written through inspections/services.py as the system, so every rule applies, and signed on the
inspection's date, so the frozen facts carry that date. The same seed gives the same records. The inspections made
here are marked `is_demo`; clearing removes them and anything hanging on them, every
inspection and finding of a demo school or pairing (which go too), and the demo's spot-check samples.
"""

import datetime
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from activities.models import Activity
from liuzhou_pairing.actors import SYSTEM
from pairings.demo import DEMO_PDF
from pairings.liuzhou import liuzhou_cycle
from pairings.models import Cycle, Pairing, Semester
from schools.models import County, School

from .choices import ItemKind, ItemResult, Level, Rating, Review
from .models import Finding, Inspection, InspectionItem, SpotCheck
from .services import (
    finding_rectify,
    finding_save,
    finding_verify,
    inspection_item_save,
    inspection_save,
    inspection_sign,
    spot_check_draw,
)

REASON = "演示数据：生成的督导检查"
SPOT_CHECK_REASON = "演示数据：自治区抽查样本"
# The county and the school of the demo accounts (accounts' setup_demo: `rongshui`, `inspector` and, by the first
# of these names that exists, `rongshui_school`): they get a special inspection, the overturned item and findings.
DEMO_COUNTY = "融水县"
DEMO_SCHOOLS = ("【演示】融水镇中心小学", "【演示】融水镇中心学校")
# Counties left without a signed self-inspection (the first of them has a draft); counties re-inspected by the
# city (the demo county among them); the size of the spot-check sample.
UNSIGNED_COUNTIES = 2
REVIEWED_COUNTIES = 3
SPOT_CHECK_SIZE = 20
CITY_UNIT = "柳州市教育局"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭"
# What an item judged partly or fail says.
SHORTFALLS = (
    "部分结对学校帮扶记录不完整",
    "个别学校计划未落实到具体活动",
    "送教和跟岗次数未达学期要求",
    "帮扶成效材料未及时整理归档",
    "部分受援校参与教师人数偏少",
)
OVERTURN_NOTE = "复查发现：部分受援校本学期未按计划开展送教活动，自查结果偏高，改为基本达标。"
# Findings by who is responsible: (text, what was done to rectify it).
BUREAU_FINDINGS = (
    ("结对帮扶工作领导小组成员调整后未及时更新分工", "已重新印发领导小组成员及分工文件"),
    ("对结对学校的督查记录不完整，缺少过程性材料", "已补齐本学期督查记录并建立督查台账"),
    ("部分结对学校帮扶计划未按时报送", "已督促相关学校补报计划并通报"),
    ("帮扶成效材料未统一归档", "已建立帮扶成效档案，按学校分类归档"),
)
SCHOOL_FINDINGS = (
    ("帮扶活动记录不完整，缺少活动照片等佐证材料", "已补充活动照片和签到表，并上传系统"),
    ("受援校教师到帮扶校跟岗学习人数不足", "已安排两名骨干教师到帮扶校跟岗学习一个月"),
    ("结对帮扶协议签订滞后，问题与对策未及时更新", "已补签协议并更新问题与对策"),
    ("送教活动未形成评课记录", "已组织评课并整理评课记录"),
)
REOPEN_NOTE = "整改材料不充分：请补充活动签到表和照片后重新提交。"
VERIFY_NOTE = "整改到位，同意销号。"
# The states findings take, in turn; "overdue" is open with its deadline passed.
FINDING_STATES = ("open", "overdue", "rectified", "verified", "reopened")


def _delete_files(names) -> None:
    for field, name in names:
        if name:
            field.storage.delete(name)


def demo_inspections_clear(**kwargs) -> int:
    """Delete the demo's inspections (with their items and findings), every inspection and finding of a demo school
    or pairing (which go when the demo is cleared), re-inspections of any of them, and the demo's spot-check
    samples, with their files and history; other inspections and samples are never touched. Runs before the demo
    activities and pairings are cleared. Return how many inspections, findings and samples were removed."""
    demo_unit = Q(school__is_demo=True) | Q(pairing__helper__is_demo=True) | Q(pairing__recipient__is_demo=True)
    ids = set(Inspection.objects.filter(Q(is_demo=True) | demo_unit).values_list("pk", flat=True))
    ids |= set(Inspection.objects.filter(reviews_id__in=ids).values_list("pk", flat=True))
    findings = Finding.objects.filter(Q(inspection_id__in=ids) | Q(school__is_demo=True))
    finding_ids = list(findings.values_list("pk", flat=True))
    report, evidence = Inspection._meta.get_field("report"), Finding._meta.get_field("rectification_file")
    _delete_files((evidence, name) for name in findings.values_list("rectification_file", flat=True))
    _delete_files((report, name) for name in Inspection.objects.filter(pk__in=ids).values_list("report", flat=True))
    count, _ = Finding.objects.filter(pk__in=finding_ids).delete()
    # A re-inspection protects the self-inspection it reviews: the re-inspections go first.
    reviewing = Inspection.objects.filter(pk__in=ids, reviews__isnull=False)
    count += reviewing.delete()[1].get("inspections.Inspection", 0)
    count += Inspection.objects.filter(pk__in=ids).delete()[1].get("inspections.Inspection", 0)
    Finding.history.filter(id__in=finding_ids).delete()
    InspectionItem.history.filter(inspection_id__in=ids).delete()
    Inspection.history.filter(id__in=ids).delete()
    samples = SpotCheck.objects.filter(reason=SPOT_CHECK_REASON)
    sample_ids = list(samples.values_list("pk", flat=True))
    SpotCheck.pairings.through.objects.filter(spotcheck_id__in=sample_ids).delete()
    count += SpotCheck.objects.filter(pk__in=sample_ids).delete()[1].get("inspections.SpotCheck", 0)
    SpotCheck.history.filter(id__in=sample_ids).delete()
    return count


def _at(day: datetime.date, hour: int = 17) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def demo_semester(cycle: Cycle, today: datetime.date) -> Semester | None:
    """The latest semester begun by `today` that has activities (the demo's latest), else the latest begun."""
    begun = Semester.objects.filter(cycle=cycle, starts_on__lte=today).order_by("starts_on")
    with_activities = begun.filter(pk__in=Activity.objects.values("semester_id"))
    return with_activities.last() or begun.last()


class DemoInspections:
    def __init__(self, seed: int, semester: Semester, today: datetime.date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.semester = semester
        self.today = today
        self.count = 0
        self.findings = 0  # findings made so far: the next one takes the next state of FINDING_STATES
        self.said: dict[tuple[str, int], set[str]] = {}  # the findings' texts about each unit
        self.recorded: list[tuple[Finding, str, str]] = []  # findings of the draft in hand, to advance once signed
        self.last_day = min(semester.ends_on, today)

    # --- Inspections ---------------------------------------------------------------------------------------

    def inspectors(self) -> str:
        return "、".join(name + "督学" for name in self.rng.sample(SURNAMES, 2))

    def day(self, earliest: int, latest: int, after: datetime.date | None = None) -> datetime.date:
        """A day `earliest`–`latest` days before the semester's last day (or after `after`), within the semester
        and not after today."""
        if after is not None:
            day = after + datetime.timedelta(days=self.rng.randint(earliest, latest))
        else:
            day = self.last_day - datetime.timedelta(days=self.rng.randint(earliest, latest))
        return max(self.semester.starts_on, min(day, self.last_day))

    def inspection(self, level: str, day: datetime.date, **fields) -> Inspection:
        inspection = Inspection(
            level=level, semester=self.semester, date=day, inspectors=self.inspectors(), **fields
        )  # fmt: skip
        inspection.is_demo = True
        inspection._change_reason = REASON
        inspection = inspection_save(inspection=inspection, actor=SYSTEM)
        self.count += 1
        return inspection

    def results(self, items: list[InspectionItem], fail: bool) -> list[str]:
        """Mostly pass, some partly; one fail when `fail`."""
        results = [
            self.rng.choices((ItemResult.PASS, ItemResult.PARTLY), weights=(75, 25))[0] for _item in items
        ]  # fmt: skip
        if fail and items:
            results[self.rng.randrange(len(items))] = ItemResult.FAIL
        return results

    def judge(self, inspection: Inspection, results: list[str], reviews: dict[str, str] | None = None) -> None:
        """Judge the items in order; in a re-inspection `reviews` maps the self-inspection's result by code."""
        for item, result in zip(inspection.items.order_by("order", "code"), results, strict=True):
            if item.kind == ItemKind.SCORE:
                item.score = {ItemResult.PASS: 90, ItemResult.PARTLY: 70, ItemResult.FAIL: 50}[result]
            else:
                item.result = result
            if result != ItemResult.PASS:
                item.note = self.rng.choice(SHORTFALLS)
            if reviews is not None:
                if reviews.get(item.code) == result:
                    item.review = Review.CONFIRMS
                else:
                    item.review, item.review_note = Review.OVERTURNS, OVERTURN_NOTE
            inspection_item_save(item=item, actor=SYSTEM)

    @staticmethod
    def rating(results: list[str]) -> str:
        fails, partly = results.count(ItemResult.FAIL), results.count(ItemResult.PARTLY)
        if fails >= 2:
            return Rating.FAIL
        if fails or partly > 2:
            return Rating.PASS
        return Rating.GOOD if partly else Rating.EXCELLENT

    def sign(self, inspection: Inspection, results: list[str], report: bool = True) -> Inspection:
        inspection.refresh_from_db()
        inspection.rating = self.rating(results)
        if report:
            inspection.report = ContentFile(DEMO_PDF, name="督导检查报告.pdf")
        inspection = inspection_save(inspection=inspection, actor=SYSTEM)
        inspection = inspection_sign(inspection=inspection, actor=SYSTEM, now=_at(inspection.date))
        self.progress()
        return inspection

    def made(self, level: str, day: datetime.date, *, fail: bool = False, signed: bool = True, **fields):
        """Make, judge and (when `signed`) sign an inspection; return it and its results by item code."""
        inspection = self.inspection(level, day, **fields)
        items = list(inspection.items.order_by("order", "code"))
        results = self.results(items, fail)
        self.judge(inspection, results)
        if signed:
            inspection = self.sign(inspection, results)
        return inspection, dict(zip((i.code for i in items), results, strict=True))

    # --- Findings -----------------------------------------------------------------------------------------

    def finding(self, inspection: Inspection, *, school: School | None = None, county: County | None = None,
                state: str | None = None) -> Finding:  # fmt: skip
        """Record a finding about `school` or `county` on a draft inspection; once it is signed, `progress` takes
        the finding to `state` (else the next of FINDING_STATES)."""
        state = state or FINDING_STATES[self.findings % len(FINDING_STATES)]
        self.findings += 1
        unit = ("school", school.pk) if school is not None else ("county", county.pk)
        pool = SCHOOL_FINDINGS if school is not None else BUREAU_FINDINGS
        fresh = [pair for pair in pool if pair[0] not in self.said.setdefault(unit, set())]  # no finding twice
        text, done = self.rng.choice(fresh or pool)
        self.said[unit].add(text)
        if state == "overdue":  # due a month after the inspection, which lies in the past
            deadline = min(inspection.date + datetime.timedelta(days=30), self.today - datetime.timedelta(days=1))
        elif state in ("open", "reopened"):  # still to be done: due a while from today
            deadline = self.today + datetime.timedelta(days=self.rng.randint(30, 60))
        else:
            deadline = inspection.date + datetime.timedelta(days=45)
        finding = Finding(inspection=inspection, school=school, county=county, text=text, deadline=deadline)
        finding._change_reason = REASON
        finding = finding_save(finding=finding, actor=SYSTEM)
        self.count += 1
        self.recorded.append((finding, state, done))
        return finding

    def progress(self) -> None:
        """Take the findings of the inspection just signed to their states: rectified, verified or reopened."""
        for finding, state, done in self.recorded:
            self.advance(finding, state, done)
        self.recorded = []

    def advance(self, finding: Finding, state: str, done: str) -> Finding:
        inspection = finding.inspection
        if state in ("rectified", "verified", "reopened"):
            finding.rectification = done
            finding.rectification_file = ContentFile(DEMO_PDF, name="整改材料.pdf")
            rectified = min(inspection.date + datetime.timedelta(days=20), self.today)
            finding = finding_rectify(finding=finding, actor=SYSTEM, now=_at(rectified))
        if state in ("verified", "reopened"):
            accept = state == "verified"
            note = VERIFY_NOTE if accept else REOPEN_NOTE
            finding = finding_verify(finding=finding, actor=SYSTEM, accept=accept, note=note)
        return finding

    # --- The run ------------------------------------------------------------------------------------------

    def run(self) -> tuple[int, str]:
        counties = list(County.objects.order_by("code"))
        if not counties:
            return 0, ""
        home = next((c for c in counties if DEMO_COUNTY in (c.short_name, c.name)), counties[0])
        pairings = list(
            Pairing.objects.active_in(self.semester)
            .filter(Q(helper__is_demo=True) | Q(recipient__is_demo=True))
            .select_related("helper", "recipient")
            .order_by("recipient__county__code", "recipient__name", "helper__name", "stage")
        )
        recipients: dict[int, list[School]] = {}
        for pairing in pairings:
            if pairing.recipient.county_id is not None and pairing.recipient not in recipients.get(
                pairing.recipient.county_id, []
            ):
                recipients.setdefault(pairing.recipient.county_id, []).append(pairing.recipient)

        others = [c for c in counties if c != home]
        unsigned = self.rng.sample(others, min(UNSIGNED_COUNTIES, len(others)))
        signed_counties = [c for c in counties if c not in unsigned]
        special = [home, *self.rng.sample([c for c in signed_counties if c != home], 1)]
        reviewed = [home, *self.rng.sample([c for c in signed_counties if c != home], REVIEWED_COUNTIES - 1)]
        failing = self.rng.choice(signed_counties)

        # County self-inspections of the county: signed, two of them special; one county has only a draft.
        selves = {}
        for county in counties:
            unit = {"inspecting_unit": f"{county.short_name or county.name}教育局", "inspecting_county": county}
            if county in unsigned:
                if county == unsigned[0]:
                    self.made(Level.COUNTY_SELF, self.day(5, 15), signed=False, county=county, **unit)
                continue
            inspection, results = self.made(
                Level.COUNTY_SELF, self.day(30, 50), fail=county == failing, county=county,
                is_special=county in special, signed=False, **unit,
            )  # fmt: skip
            schools = recipients.get(county.pk, [])
            for n in range(self.rng.randint(1, 2)):
                if n == 0 or not schools:
                    self.finding(inspection, county=county)
                else:
                    self.finding(inspection, school=self.rng.choice(schools))
            selves[county.pk] = (self.sign(inspection, list(results.values())), results)

        # Self-inspections of schools and a pairing: the demo school's (signed, with what it must fix), another
        # school's (a draft) and a pairing's (signed).
        home_unit = {"inspecting_unit": f"{home.short_name or home.name}教育局", "inspecting_county": home}
        school = School.objects.filter(name__in=DEMO_SCHOOLS, county=home).order_by("name").first()
        if school is not None:
            inspection, results = self.made(
                Level.COUNTY_SELF, self.day(20, 40), school=school, signed=False, **home_unit
            )  # fmt: skip
            for state in ("open", "overdue", "rectified"):
                self.finding(inspection, school=school, state=state)
            self.sign(inspection, list(results.values()))
        home_schools = [s for s in recipients.get(home.pk, []) if s != school]
        if home_schools:
            self.made(Level.COUNTY_SELF, self.day(0, 10), signed=False, school=self.rng.choice(home_schools),
                      **home_unit)  # fmt: skip
        county_pairings = [p for p in pairings if p.recipient.county_id in selves]
        if county_pairings:
            pairing = self.rng.choice(county_pairings)
            county = pairing.recipient.county
            inspection, results = self.made(
                Level.COUNTY_SELF, self.day(20, 40), pairing=pairing, signed=False,
                inspecting_unit=f"{county.short_name or county.name}教育局", inspecting_county=county,
            )  # fmt: skip
            self.finding(inspection, school=pairing.recipient)
            self.sign(inspection, list(results.values()))

        # City re-inspections of a few signed self-inspections: confirming each item, overturning one in the demo
        # county (a pass judged partly, with a note).
        for county in reviewed:
            reviewed_inspection, results = selves[county.pk]
            codes = list(results)
            review_results = list(results.values())
            if county == home and codes:
                passed = [n for n, code in enumerate(codes) if results[code] == ItemResult.PASS] or [0]
                at = self.rng.choice(passed)
                review_results[at] = ItemResult.PARTLY if results[codes[at]] == ItemResult.PASS else ItemResult.PASS
            day = self.day(10, 20, after=reviewed_inspection.date)
            inspection = self.inspection(
                Level.CITY_REVIEW, day, county=county, reviews=reviewed_inspection, inspecting_unit=CITY_UNIT
            )
            self.judge(inspection, review_results, reviews=results)
            self.finding(inspection, county=county)
            self.sign(inspection, review_results)

        # The region's spot-check sample of the semester (its inspections are left to the region inspector).
        spot_check_draw(
            semester=self.semester, size=SPOT_CHECK_SIZE, seed=self.seed, actor=SYSTEM, reason=SPOT_CHECK_REASON
        )
        self.count += 1
        return self.count, f"inspections of {self.semester.token}"


@transaction.atomic
def demo_inspections_generate(*, seed: int, scale: str = "liuzhou") -> tuple[int, str]:
    """Make the demo inspections, findings and spot-check sample of the demo's latest semester; return how many
    records, and which semester. Both scales make the same (the counties are the same)."""
    demo_inspections_clear()
    try:
        cycle = liuzhou_cycle()
    except Cycle.DoesNotExist:
        return 0, ""
    today = timezone.localdate()
    semester = demo_semester(cycle, today)
    if semester is None:
        return 0, ""
    return DemoInspections(seed, semester, today).run()
