"""Demo staff and activities for the current cycle's pairings, over its last few semesters up to today.

Most pairings meet the five norms each semester; some fall short in one, some are silent, and some have work still
awaiting the partner's confirmation or rejected with a reason; other kinds (donations with their items, students in
difficulty counted by kind) appear here and there, and some of the latest semester's activities have evidence: photos
taken near the activity's date, far from it and undated, PDFs, and a photo attached to two activities, so that the
flags show. Everything made here is marked `is_demo`, written through the
activities' batch services, and the same seed gives the same records. If the latest semester's entries have closed
(the cycle lies in the past), they are kept open a while longer, so that a school can log and confirm work.
"""

import datetime
import io
import random
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from liuzhou_pairing.access import full_clean, refuse_outside_area
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Measure, PairingStatus
from pairings.demo import DEMO_PDF
from pairings.liuzhou import liuzhou_cycle
from pairings.models import Cycle, Pairing, Semester
from pairings.services import semester_update
from schools.models import School

from .choices import FOCUS_BY_STAGE, ChildKind, Confirmation, EnteredBy, Form, HelpKind, Kind, Post
from .evidence import evidence_add
from .models import Activity, DifficultyHelp, Evidence, Staff
from .services import ActivityBatch, staff_save_many

# Semesters with activities, up to the latest one begun: two keep `make run` quick at Liuzhou scale (about 30,000
# activities); the region scale gets every semester of the cycle begun by today (None), about 250,000 a semester.
SEMESTERS: dict[str, int | None] = {"liuzhou": 2, "region": None}
# Every n-th pairing (in name order) gets activities: all of them at both scales. Tests take a smaller sample
# (tests/conftest.py), so that each generate_demo stays quick.
SAMPLE = {"liuzhou": 1, "region": 1}
# Pairings whose activities are checked and written together (all their semesters at once): the batch in memory
# stays bounded (about 40,000 activities) however many pairings there are, and no pairing spans two batches.
CHUNK = 500
# How long the latest semester's entries stay open from today when the demo reopens them.
WINDOW_DAYS = 60
# Shares of the pairings: the rest meet every norm.
SILENT, SHORT, AWAITING = 0.08, 0.12, 0.10
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭"
# Posts of a demo school's staff, in order: (post, title after the surname).
STAFF_POSTS = (
    (Post.LEADER, "校长"),
    (Post.KEY_STAFF, "主任"),
    (Post.KEY_STAFF, "老师"),
    (Post.TEACHER, "老师"),
    (Post.TEACHER, "老师"),
    (Post.TEACHER, "老师"),
)
REASON = "演示数据：生成的帮扶活动"
REJECTIONS = (
    "演示数据：活动日期与我校记录不符，请核实后修改。",
    "演示数据：参与人员填写有误，请更正后重新提交。",
    "演示数据：活动内容过于简略，请补充说明。",
)
# Each kind: the forms it takes, its measure, and what its description says.
KINDS = {
    Kind.SECONDMENT: ((Form.POST_EXCHANGE, Form.SHADOWING), Measure.MANAGEMENT, "受援校骨干到帮扶校跟岗挂职"),
    Kind.ONSITE_GUIDANCE: (
        (Form.ROVING_GUIDANCE, Form.ONSITE_DIAGNOSIS), Measure.MANAGEMENT, "帮扶校骨干到受援校现场指导教学管理",
    ),
    Kind.TEACHING_DELIVERY: ((Form.TEACHING_DELIVERY,), Measure.TEACHING, "帮扶校教师送教：示范课与评课"),
    Kind.OBSERVATION_VISIT: (
        (Form.CROSS_SCHOOL, Form.SHADOWING, Form.SCHOOL_DIALOGUE), Measure.TEACHER_DEVELOPMENT,
        "受援校教师到帮扶校观摩学习",
    ),
    Kind.JOINT_RESEARCH: ((Form.RESEARCH_SHARING, Form.CASE_STUDY), Measure.TEACHING, "两校联合教研：同课异构"),
    Kind.TEACHER_TRAINING: ((Form.LECTURE, Form.MENTORING), Measure.TEACHER_DEVELOPMENT, "专题讲座与师徒结对培训"),
    Kind.DONATION: ((Form.CROSS_SCHOOL,), Measure.SCHOOL_CONDITIONS, "帮扶校向受援校捐赠物资"),
    Kind.HAND_IN_HAND: ((Form.CROSS_SCHOOL,), Measure.TEACHING, "两校学生手拉手互访"),
    Kind.RESOURCE_SHARING: ((Form.RESEARCH_SHARING,), Measure.TEACHING, "共享教案、课件和试题资源"),
    Kind.LIVE_LESSON: ((Form.TEACHING_DELIVERY,), Measure.TEACHING, "同步课堂：直播示范课"),
    Kind.STUDENTS_IN_DIFFICULTY: (
        (Form.HOME_SCHOOL, Form.CROSS_SCHOOL), Measure.STUDENTS_IN_DIFFICULTY, "关爱困境学生：家访与学业辅导",
    ),
    Kind.OTHER: ((Form.SCHOOL_DIALOGUE,), Measure.MANAGEMENT, "两校校长交流办学思路"),
}  # fmt: skip
# Other kinds a pairing may add in a semester, with their odds.
EXTRAS = (
    (Kind.TEACHER_TRAINING, 0.2), (Kind.DONATION, 0.1), (Kind.STUDENTS_IN_DIFFICULTY, 0.1),
    (Kind.HAND_IN_HAND, 0.05), (Kind.RESOURCE_SHARING, 0.1), (Kind.LIVE_LESSON, 0.1), (Kind.OTHER, 0.05),
)  # fmt: skip
DONATIONS = (("图书", 200, 8000), ("课桌椅", 50, 15000), ("体育器材", 30, 6000), ("电脑", 10, 35000))
NORMS = (Kind.SECONDMENT, Kind.ONSITE_GUIDANCE, Kind.TEACHING_DELIVERY, Kind.OBSERVATION_VISIT, Kind.JOINT_RESEARCH)


def _demo_activities() -> Q:
    """The activities a demo run removes: its own, and any on a pairing of a demo school (which goes too)."""
    return Q(is_demo=True) | Q(pairing__helper__is_demo=True) | Q(pairing__recipient__is_demo=True)


def _delete(queryset) -> int:
    """Delete the rows of `queryset` in one statement. The demo's records go with their history (deleted here
    too), so the per-row signals of QuerySet.delete(), which would write a history row for each, are not wanted."""
    return queryset._raw_delete(queryset.db)


def _chunks(ids: list[int], size: int = 20_000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def demo_activities_clear(**kwargs) -> int:
    """Delete the demo activities with their evidence (and files), participants and rows of children helped, and the
    demo staff (and any staff of a demo school), with their history; real activities and staff are never touched.
    Runs before the demo pairings are cleared. Return how many activities and staff were removed.

    The ids are read first and the rows deleted by id, a slice at a time: a DELETE … IN (a subquery joining the
    pairings and schools) can take PostgreSQL minutes on freshly written, not yet analysed tables."""
    from .figures import figures_changed

    figures_changed()  # rows go by raw deletes, which send no signals
    ids = list(Activity.objects.filter(_demo_activities()).values_list("pk", flat=True))
    storage = Evidence._meta.get_field("file").storage
    through = Activity.participants.through
    count = 0
    for chunk in _chunks(ids):
        for name in Evidence.objects.filter(activity_id__in=chunk).values_list("file", flat=True):
            if name:
                storage.delete(name)
        _delete(Evidence.history.filter(activity_id__in=chunk))
        _delete(DifficultyHelp.history.filter(activity_id__in=chunk))
        _delete(Evidence.objects.filter(activity_id__in=chunk))
        _delete(DifficultyHelp.objects.filter(activity_id__in=chunk))
        _delete(through.objects.filter(activity_id__in=chunk))
        _delete(Activity.history.filter(id__in=chunk))
        count += _delete(Activity.objects.filter(pk__in=chunk))
    _delete(Activity.history.filter(is_demo=True))
    staff = list(Staff.objects.filter(Q(is_demo=True) | Q(school__is_demo=True)).values_list("pk", flat=True))
    for chunk in _chunks(staff):
        _delete(through.objects.filter(staff_id__in=chunk))
        _delete(Staff.history.filter(id__in=chunk))
        count += _delete(Staff.objects.filter(pk__in=chunk))
    _delete(Staff.history.filter(is_demo=True))
    return count


# --- Writing a batch with PostgreSQL's COPY ----------------------------------------------------------------


def _copy_text(value) -> str:
    """`value` as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = value.isoformat() if isinstance(value, datetime.datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(model: type[models.Model], columns: list[str], rows) -> None:
    """Write `rows` (tuples in the order of `columns`) into `model`'s table with one COPY."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_text, row)))
        buffer.write("\n")
    buffer.seek(0)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN", buffer
        )


def _copy_new(instances: list[models.Model], reason: str) -> None:
    """Write new `instances` of one model as `save_checked_many` does for the system — ids from the table's own
    sequence, version 1, auto dates, a history row each ("+", the reason, no user) — by COPY instead of INSERT: at
    the region's millions of rows, building INSERT statements costs more than all the checks."""
    if not instances:
        return
    model = type(instances[0])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(instances)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    fields = model._meta.concrete_fields
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
        if hasattr(instance, "version"):
            instance.version = 1
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                field.pre_save(instance, True)
        instance._state.adding = False
    _copy(model, [f.column for f in fields], ([getattr(i, f.attname) for f in fields] for i in instances))
    history = getattr(model, "history", None)
    if history is None:
        return
    tracked = history.model.tracked_fields
    now = timezone.now()
    _copy(
        history.model,
        [f.column for f in tracked] + ["history_date", "history_change_reason", "history_type", "history_user_id"],
        ([*(getattr(i, f.attname) for f in tracked), now, reason, "+", None] for i in instances),
    )


class CopiedActivityBatch(ActivityBatch):
    """An ActivityBatch that, on PostgreSQL, writes by COPY: every activity is checked by `add` exactly as before,
    the stored duplicates and the children helped as `save` checks them, and the actor's area re-checked after the
    write; only the INSERTs become COPYs (see `_copy_new`). Elsewhere it is the ActivityBatch itself."""

    def save(self) -> list[Activity]:
        if connection.vendor != "postgresql":
            return super().save()
        rows, self.pending, self._keys = self.pending, [], set()
        if not rows:
            return []
        self._refuse_stored_duplicates(rows)
        activities = [activity for activity, _people, _helped in rows]
        _copy_new(activities, self.reason)
        through = Activity.participants.through
        _copy(through, ["activity_id", "staff_id"], ((a.pk, p.pk) for a, people, _helped in rows for p in people))
        helped = []
        for activity, _people, helps in rows:
            for help in helps:  # noqa: A001 - the record's name in the plan
                help.activity = activity
                full_clean(help)
                helped.append(help)
        _copy_new(helped, self.reason)
        for written in (activities, helped):
            refuse_outside_area(written, actor=self.actor)
        return activities


def _weekdays(semester: Semester, today: datetime.date) -> list[datetime.date]:
    last = min(semester.ends_on, today)
    days = (semester.starts_on + datetime.timedelta(days=n) for n in range((last - semester.starts_on).days + 1))
    return [day for day in days if day.weekday() < 5]


def _open_window(semester: Semester, today: datetime.date) -> str:
    """Keep the latest semester's entries open past today; return what was done, for the command's output."""
    if semester.entry_closes_on >= today:
        return ""
    closes = today + datetime.timedelta(days=WINDOW_DAYS)
    semester_update(
        semester=semester, actor=SYSTEM, entry_closes_on=closes,
        reason="演示数据：延长最近学期的录入期限，以便学校录入和确认帮扶活动",
    )  # fmt: skip
    return f"entries for {semester.token} kept open until {closes}"


class DemoActivities:
    def __init__(self, seed: int, scale: str, today: datetime.date) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.today = today
        self.batch = CopiedActivityBatch(actor=SYSTEM, today=today, reason=REASON)
        self.staff: dict[int, list[Staff]] = {}

    def make_staff(self, schools: list[School]) -> int:
        """Give each school a leader, key staff and teachers, named by surname and title."""
        taken = set(Staff.objects.filter(school__in=schools).values_list("school_id", "name"))
        new = []
        for school in schools:
            surnames = self.rng.sample(SURNAMES, len(SURNAMES))
            members = []
            for post, title in STAFF_POSTS:
                while surnames and (school.pk, surnames[-1] + title) in taken:
                    surnames.pop()
                if surnames:
                    members.append(Staff(school=school, name=surnames.pop() + title, post=post, is_demo=True))
            self.staff[school.pk] = members
            new += members
        staff_save_many(staff=new, actor=SYSTEM, reason="演示数据")
        return len(new)

    def people(self, school_id: int, *posts: str) -> list[Staff]:
        return [s for s in self.staff[school_id] if s.post in posts]

    def plan(self, pairing: Pairing, profile: str, short: str | None) -> Iterator[tuple[str, list[Staff]]]:
        """Yield (kind, participants) for one pairing's semester."""
        helper, recipient = pairing.helper_id, pairing.recipient_id
        pools = {
            Kind.SECONDMENT: self.people(recipient, Post.LEADER, Post.KEY_STAFF),
            Kind.ONSITE_GUIDANCE: self.people(helper, Post.LEADER, Post.KEY_STAFF),
            Kind.TEACHING_DELIVERY: self.people(helper, Post.KEY_STAFF, Post.TEACHER),
        }
        for kind in NORMS:
            wanted = 1 if kind == short else 2
            if kind in pools:  # norms of distinct people: one activity with both, or one each
                chosen = self.rng.sample(pools[kind], wanted)
                if wanted == 2 and self.rng.random() < 0.8:
                    yield kind, chosen
                else:
                    yield from ((kind, [person]) for person in chosen)
            else:  # norms of times
                for _n in range(wanted):
                    if kind == Kind.OBSERVATION_VISIT:
                        yield kind, self.rng.sample(self.people(recipient, Post.KEY_STAFF, Post.TEACHER), 2)
                    else:
                        yield kind, [self.rng.choice(self.staff[helper]), self.rng.choice(self.staff[recipient])]
        for kind, odds in EXTRAS:
            if self.rng.random() < odds:
                yield kind, [self.rng.choice(self.staff[helper])]

    def activity(self, pairing: Pairing, kind: str, people: list[Staff], date: datetime.date) -> Activity:
        forms, measure, text = KINDS[kind]
        focuses = FOCUS_BY_STAGE.get(pairing.stage, ())
        activity = Activity(
            pairing=pairing, date=date, kind=kind, form=self.rng.choice(forms), measure=measure,
            focus=self.rng.choice(focuses) if focuses and self.rng.random() < 0.7 else "",
            teachers_reached=self.rng.randint(3, 30), students_reached=self.rng.randint(0, 200),
            description=f"演示数据：{text}。", is_demo=True,
        )  # fmt: skip
        if kind == Kind.DONATION:
            items, quantity, value = self.rng.choice(DONATIONS)
            activity.donation_items, activity.donation_quantity, activity.donation_value = items, quantity, value
        return activity

    def helped(self) -> list[DifficultyHelp]:
        kinds = self.rng.sample(list(ChildKind.values), self.rng.randint(1, 2))
        return [
            DifficultyHelp(child_kind=k, children=self.rng.randint(1, 12), help_kind=self.rng.choice(HelpKind.values))
            for k in kinds
        ]

    def record(self, pairing: Pairing, semester: Semester, days: list[datetime.date], profile: str, latest: bool):
        short = self.rng.choice(NORMS) if profile == "short" or self.rng.random() < 0.05 else None
        work = list(self.plan(pairing, profile, short))
        for (kind, people), date in zip(work, sorted(self.rng.sample(days, len(work))), strict=True):
            entered_by = self.rng.choice((EnteredBy.HELPER, EnteredBy.HELPER, EnteredBy.RECIPIENT, EnteredBy.COUNTY))
            status, reason = Confirmation.CONFIRMED, ""
            # The latest semester's work is still being confirmed: some of it awaits the partner or was rejected.
            if latest and entered_by != EnteredBy.COUNTY:
                odds = self.rng.random()
                if profile == "awaiting" and kind in NORMS:
                    status = Confirmation.PENDING if odds < 0.5 else Confirmation.REJECTED if odds < 0.7 else status
                elif kind not in NORMS and odds < 0.4:
                    status = Confirmation.PENDING
                if status == Confirmation.REJECTED:
                    reason = self.rng.choice(REJECTIONS)
            helped = self.helped() if kind == Kind.STUDENTS_IN_DIFFICULTY else ()
            self.batch.add(
                self.activity(pairing, kind, people, date), people, helped=helped,
                entered_by=entered_by, status=status, rejection_reason=reason,
            )  # fmt: skip

    def run(self, cycle: Cycle) -> tuple[int, str]:
        pairings = list(
            Pairing.objects.filter(cycle=cycle, status=PairingStatus.ACTIVE)
            .select_related("helper", "recipient")
            .order_by("helper__name", "recipient__name", "stage")
        )
        pairings = pairings[:: SAMPLE.get(self.scale, 1)]
        semesters = list(cycle.semester_rows.filter(starts_on__lte=self.today).order_by("starts_on"))
        kept = SEMESTERS.get(self.scale, 1)
        semesters = semesters[-kept:] if kept else semesters
        if not pairings or not semesters:
            return 0, ""
        note = _open_window(semesters[-1], self.today)
        schools = {p.helper_id: p.helper for p in pairings} | {p.recipient_id: p.recipient for p in pairings}
        count = self.make_staff([schools[pk] for pk in sorted(schools)])
        days = {s.pk: _weekdays(s, self.today) for s in semesters}
        latest: list[int] = []  # the latest semester's activities not rejected, in the order written
        for start in range(0, len(pairings), CHUNK):
            for pairing in pairings[start : start + CHUNK]:
                odds = self.rng.random()
                profile = (
                    "silent" if odds < SILENT else "short" if odds < SILENT + SHORT
                    else "awaiting" if odds < SILENT + SHORT + AWAITING else "compliant"
                )  # fmt: skip
                if profile == "silent":
                    continue
                for semester in semesters:
                    if pairing.starts_on <= semester.ends_on:
                        self.record(pairing, semester, days[semester.pk], profile, semester == semesters[-1])
            saved = self.batch.save()
            count += len(saved)
            latest += [a.pk for a in saved if a.semester_id == semesters[-1].pk and a.status != Confirmation.REJECTED]
            del saved
        picked = set(self.rng.sample(latest, min(EVIDENCE_ACTIVITIES.get(self.scale, 0), len(latest))))
        chosen = Activity.objects.filter(pk__in=picked).order_by("date", "pk")
        count += demo_evidence(list(chosen), self.rng)
        return count, note


@transaction.atomic
def demo_activities_generate(*, seed: int, scale: str = "liuzhou") -> tuple[int, str]:
    """Make demo staff and activities for the Liuzhou cycle's active pairings; return how many records, and a note
    if the latest semester's entries were kept open."""
    demo_activities_clear()
    try:
        cycle = liuzhou_cycle()
    except Cycle.DoesNotExist:
        return 0, ""
    from .figures import figures_changed

    figures_changed()  # written in bulk (by COPY on PostgreSQL), which sends no signals
    return DemoActivities(seed, scale, timezone.localdate()).run(cycle)


# --- Evidence: a few photos and documents, so that the reuse and photo-date flags show ----------------------

# Activities of the latest semester that get files: few, so that the demo's media stays small at either scale.
EVIDENCE_ACTIVITIES = {"liuzhou": 40, "region": 200}


def _photo(rng: random.Random, taken: datetime.datetime | None) -> bytes:
    """Return a small JPEG of one colour, with `taken` as its EXIF capture time (none if None)."""
    image = Image.new("RGB", (64, 48), tuple(rng.randrange(256) for _n in range(3)))
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=70)
    return buffer.getvalue()


def demo_evidence(activities: list[Activity], rng: random.Random) -> int:
    """Attach evidence through the evidence service: photos taken near the activity's date, far from it (more than
    a week) and without a capture date, a PDF, and one photo attached to two activities (reused)."""
    count = 0
    shared = None
    for i, activity in enumerate(activities):
        near = datetime.datetime.combine(activity.date, datetime.time(9, 30)) + datetime.timedelta(
            days=rng.randint(-2, 2)
        )
        files = []
        match i % 5:
            case 0 | 1:
                files.append(("活动照片.jpg", _photo(rng, near)))
            case 2:
                files.append(("活动照片.jpg", _photo(rng, near + datetime.timedelta(days=rng.randint(20, 60)))))
            case 3:
                files.append(("微信图片.jpg", _photo(rng, None)))
            case 4:
                files.append(("活动记录.pdf", DEMO_PDF.replace(b"% demo", f"% demo {i}".encode())))  # each its own
        if i % 8 == 0:  # the same photo on this activity and the next one
            shared = ("现场照片.jpg", _photo(rng, near))
            files.append(shared)
        elif i % 8 == 1 and shared is not None:
            files.append(shared)
        for name, content in files:
            evidence_add(activity=activity, file=ContentFile(content, name=name), actor=SYSTEM, reason=REASON)
            count += 1
    return count
