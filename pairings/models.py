"""Cycles, district pairings, pairings, agreements with their problems, and work plans (R2–R16, R25–R26)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.access import Versioned
from liuzhou_pairing.history import History
from liuzhou_pairing.querysets import ReferenceQuerySet
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.uploads import (
    agreement_scan_path,
    validate_attachment,
    validate_document,
    work_plan_attachment_path,
    work_plan_path,
)
from schools.choices import Stage
from schools.models import County, School
from schools.validators import validate_phone

from .choices import (
    ArrangedBy,
    AttachmentKind,
    Measure,
    PairingStatus,
    ProblemStatus,
    Side,
    Term,
    Tier,
    WorkPlanStatus,
)

TERM_NAMES = {Term.FIRST: "第一学期", Term.SECOND: "第二学期"}


def semester_label(academic_year: int, term: int) -> str:
    """Return the official label of a semester: 2016—2017学年第一学期."""
    return f"{academic_year}—{academic_year + 1}学年{TERM_NAMES[term]}"


def semester_default_dates(academic_year: int, term: int) -> tuple[datetime.date, datetime.date]:
    """Return the default first and last day of a semester: 1 September to the end of February, or 1 March to
    31 August."""
    if term == Term.FIRST:
        return datetime.date(academic_year, 9, 1), datetime.date(academic_year + 1, 3, 1) - datetime.timedelta(days=1)
    return datetime.date(academic_year + 1, 3, 1), datetime.date(academic_year + 1, 8, 31)


class Cycle(Versioned):
    """A pairing programme (帮扶周期) as data: its semesters and deadlines (R3, R25, R26)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    first_academic_year = models.PositiveSmallIntegerField(
        _("first academic year"), help_text=_("2016 means the 2016—2017 academic year.")
    )
    first_term = models.PositiveSmallIntegerField(_("first term"), choices=Term.choices, default=Term.FIRST)
    last_academic_year = models.PositiveSmallIntegerField(_("last academic year"))
    last_term = models.PositiveSmallIntegerField(_("last term"), choices=Term.choices, default=Term.FIRST)
    work_plan_deadline = models.DateField(_("work plan deadline"))
    agreement_deadline = models.DateField(_("agreement signing deadline"))

    objects = ReferenceQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-first_academic_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_academic_year__gte=models.F("first_academic_year")),
                name="cycle_last_year_not_before_first",
                violation_error_message=_("The last academic year cannot come before the first."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.first_academic_year
            and self.last_academic_year
            and (self.last_academic_year, self.last_term) < (self.first_academic_year, self.first_term)
        ):
            raise ValidationError({"last_term": _("The last semester cannot come before the first.")})

    @property
    def first_semester_label(self) -> str:
        return semester_label(self.first_academic_year, self.first_term)

    @property
    def last_semester_label(self) -> str:
        return semester_label(self.last_academic_year, self.last_term)

    @cached_property
    def first_day(self) -> datetime.date:
        """Return the day the cycle starts: the start of its first semester row, or the default date of it."""
        first = self.semester_rows.order_by("starts_on").first() if self.pk else None
        return first.starts_on if first else semester_default_dates(self.first_academic_year, self.first_term)[0]

    @cached_property
    def last_day(self) -> datetime.date:
        """Return the day the cycle ends: the end of its last semester row, or the default date of it."""
        last = self.semester_rows.order_by("-ends_on").first() if self.pk else None
        return last.ends_on if last else semester_default_dates(self.last_academic_year, self.last_term)[1]

    def semesters(self) -> list[tuple[int, int]]:
        """Return every (academic year, term) of the cycle, in order."""
        result, year, term = [], self.first_academic_year, self.first_term
        while (year, term) <= (self.last_academic_year, self.last_term):
            result.append((year, term))
            year, term = (year, Term.SECOND) if term == Term.FIRST else (year + 1, Term.FIRST)
        return result


class SemesterQuerySet(ReferenceQuerySet):
    def started(self, today: datetime.date) -> "SemesterQuerySet":
        return self.filter(starts_on__lte=today)


class Semester(Versioned):
    """One semester of a cycle (学期), with its dates: activities, norms and inspections are counted by it.

    Created by the cycle's service for every semester of the cycle; the city bureau may change the dates."""

    cycle = models.ForeignKey(Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="semester_rows")
    academic_year = models.PositiveSmallIntegerField(
        _("academic year"), help_text=_("2016 means the 2016—2017 academic year.")
    )
    term = models.PositiveSmallIntegerField(_("term"), choices=Term.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    entry_closes_on = models.DateField(
        _("entries close on"),
        help_text=_("The last day to record the semester's work; by default 30 days after it ends."),
    )

    objects = SemesterQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("semester")
        verbose_name_plural = _("semesters")
        ordering = ["starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "academic_year", "term"],
                name="semester_unique_in_cycle",
                violation_error_message=_("This cycle already has this semester."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="semester_ends_after_start",
                violation_error_message=_("A semester cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(entry_closes_on__gte=models.F("ends_on")),
                name="semester_entries_close_after_end",
                violation_error_message=_("Entries cannot close before the semester ends."),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Return the official label: 2016—2017学年第一学期."""
        return semester_label(self.academic_year, self.term)

    @property
    def token(self) -> str:
        """Return the short form used in files and addresses: 2016-1."""
        return f"{self.academic_year}-{self.term}"


class DistrictPairing(Versioned):
    """A city-fixed helper district → recipient county pair (对口帮扶县区, R11)."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="district_pairings"
    )
    helper_county = models.ForeignKey(
        County, verbose_name=_("helper district"), on_delete=models.PROTECT, related_name="district_pairings_given"
    )
    recipient_county = models.ForeignKey(
        County,
        verbose_name=_("recipient county"),
        on_delete=models.PROTECT,
        related_name="district_pairings_received",
    )

    objects = ReferenceQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("district pairing")
        verbose_name_plural = _("district pairings")
        ordering = ["cycle", "helper_county__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "helper_county"],
                name="district_pairing_one_per_helper",
                violation_error_message=_("This district already helps a county in this cycle."),
            ),
            models.UniqueConstraint(
                fields=["cycle", "recipient_county"],
                name="district_pairing_one_per_recipient",
                violation_error_message=_("This county already has a helper district in this cycle."),
            ),
            models.CheckConstraint(
                condition=~Q(helper_county=models.F("recipient_county")),
                name="district_pairing_two_units",
                violation_error_message=_("A district cannot be paired with itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_county} → {self.recipient_county}"


class PairingQuerySet(models.QuerySet):
    def live(self) -> "PairingQuerySet":
        """Pairings that hold the two schools: proposed or active."""
        return self.exclude(status=PairingStatus.ENDED)

    def active(self) -> "PairingQuerySet":
        return self.filter(status=PairingStatus.ACTIVE)

    def active_in(self, semester: "Semester") -> "PairingQuerySet":
        """Pairings that were active on any day of `semester`."""
        return (
            self.exclude(status=PairingStatus.PROPOSED)
            .filter(cycle_id=semester.cycle_id, starts_on__lte=semester.ends_on)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=semester.starts_on))
        )

    def with_warnings(self) -> "PairingQuerySet":
        return self.exclude(warnings=[])

    def for_user(self, user) -> "PairingQuerySet":
        """Return the pairings `user` may see. A county sees every pairing with a school of its own on either
        side (so a cross-county pairing is visible to both counties); a school sees those it helps, receives
        or leads; the city and the region see all."""
        scope = scope_of(user)
        if scope.everything:
            return self
        if scope.county_id:
            # By subqueries on the county's schools, not joins: PostgreSQL plans the OR over two joined school
            # tables badly (a county's list counted its pairings in 0.3 s on region data, by subqueries in 0.04 s).
            schools = School.objects.filter(county_id=scope.county_id).values("pk")
            return self.filter(Q(helper_id__in=schools) | Q(recipient_id__in=schools))
        if scope.school_id:
            school = scope.school_id
            return self.filter(Q(helper_id=school) | Q(recipient_id=school) | Q(lead_school_id=school))
        return self.none()

    def in_area_of(self, user) -> "PairingQuerySet":
        """Return the pairings that lie in `user`'s area: the city all; a county bureau those it arranged that
        involve a school of its own (R12: the side that arranged a cross-county pairing edits it)."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and scope.county_id:
            own = Q(helper__county_id=scope.county_id) | Q(recipient__county_id=scope.county_id)
            return self.filter(own, arranged_by_county_id=scope.county_id)
        return self.none()

    def editable_by(self, user) -> "PairingQuerySet":
        """Return the pairings `user` may change: those in its area; city-fixed ones stay the city's (R16)."""
        if scope_of(user).city:
            return self
        return self.in_area_of(user).filter(is_city_fixed=False)


class Pairing(Versioned):
    """A helper school assisting a recipient school at a tier and stage for a cycle (结对帮扶)."""

    cycle = models.ForeignKey(Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="pairings")
    helper = models.ForeignKey(
        School, verbose_name=_("helper"), on_delete=models.PROTECT, related_name="pairings_given"
    )
    recipient = models.ForeignKey(
        School, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="pairings_received"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    arranged_by = models.CharField(_("arranged by"), max_length=10, choices=ArrangedBy.choices)
    arranged_by_county = models.ForeignKey(
        County,
        verbose_name=_("arranging county bureau"),
        on_delete=models.PROTECT,
        related_name="arranged_pairings",
        null=True,
        blank=True,
    )
    is_city_fixed = models.BooleanField(
        _("fixed by the city"), default=False, help_text=_("Changed only by the city bureau, with a reason.")
    )
    lead_school = models.ForeignKey(
        School,
        verbose_name=_("lead school"),
        on_delete=models.PROTECT,
        related_name="led_pairings",
        null=True,
        blank=True,
    )
    status = models.CharField(_("status"), max_length=10, choices=PairingStatus.choices, default=PairingStatus.ACTIVE)
    starts_on = models.DateField(
        _("started on"),
        blank=True,
        help_text=_("Left empty: the first day of the cycle. A pairing arranged later gives its date."),
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    helper_contact = models.CharField(_("helper contact person"), max_length=50, blank=True)
    helper_phone = models.CharField(_("helper phone"), max_length=20, blank=True, validators=[validate_phone])
    recipient_contact = models.CharField(_("recipient contact person"), max_length=50, blank=True)
    recipient_phone = models.CharField(_("recipient phone"), max_length=20, blank=True, validators=[validate_phone])
    warnings = models.JSONField(
        _("warnings"), default=list, blank=True, help_text=_("Codes of the rules this pairing departs from.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PairingQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["cycle", "tier", "helper__name", "recipient__name"]
        permissions = [("change_city_fixed_pairing", _("Can change or end city-fixed pairings"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(helper=models.F("recipient")),
                name="pairing_two_schools",
                violation_error_message=_("A school cannot help itself."),
            ),
            models.UniqueConstraint(
                fields=["cycle", "helper", "recipient"],
                condition=~Q(status=PairingStatus.ENDED),
                name="pairing_unique_live_pair",
                violation_error_message=_("These two schools are already paired in this cycle."),
            ),
            models.CheckConstraint(
                condition=Q(status=PairingStatus.ENDED, ended_on__isnull=False)
                | (~Q(status=PairingStatus.ENDED) & Q(ended_on__isnull=True)),
                name="pairing_ended_on_iff_ended",
                violation_error_message=_("An ended pairing has an end date; no other pairing does."),
            ),
            models.CheckConstraint(
                condition=Q(arranged_by=ArrangedBy.CITY) | Q(arranged_by_county__isnull=False),
                name="pairing_county_arrangement_names_county",
                violation_error_message=_("A pairing arranged by a county bureau names that county."),
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "status"], name="pairing_cycle_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.helper} → {self.recipient}"

    def clean(self) -> None:
        if self.status == PairingStatus.ENDED and not self.end_reason.strip():
            raise ValidationError({"end_reason": _("Give the reason the pairing ended.")})
        if self.ended_on and self.starts_on and self.ended_on < self.starts_on:
            raise ValidationError({"ended_on": _("A pairing cannot end before it started.")})


class AgreementQuerySet(models.QuerySet):
    def for_user(self, user) -> "AgreementQuerySet":
        """Return the agreements of the pairings `user` may see."""
        if scope_of(user).everything:  # every pairing: no condition (a big list is then one table, counted cheaply)
            return self
        return self.filter(pairing__in=Pairing.objects.for_user(user))

    def in_area_of(self, user) -> "AgreementQuerySet":
        """Return the agreements that lie in `user`'s area: the city all; a county bureau those of pairings with a
        school of its own; school staff their own."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and (scope.county_id or scope.school_id):
            return self.for_user(user)
        return self.none()

    def editable_by(self, user) -> "AgreementQuerySet":
        """Return the agreements `user` may change: those in its area whose pairing has not ended (school staff
        change the signed scan only, which `pairings.services` enforces)."""
        if scope_of(user).city:
            return self
        return self.in_area_of(user).exclude(pairing__status=PairingStatus.ENDED)


class Agreement(Versioned):
    """The five-year agreement a pair signs (结对帮扶协议, R26): one pair, one precise plan."""

    pairing = models.OneToOneField(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="agreement"
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    helper_signatory = models.CharField(_("helper signatory"), max_length=50, blank=True)
    recipient_signatory = models.CharField(_("recipient signatory"), max_length=50, blank=True)
    plan = models.TextField(
        _("the pair's plan"), blank=True, help_text=_("One pair, one precise plan (一对帮扶一精准方案).")
    )
    scan = models.FileField(
        _("signed scan"),
        upload_to=agreement_scan_path,
        blank=True,
        validators=[validate_document],
        help_text=_("PDF or image, at most 10 MB."),
    )
    # Demo data on a real pairing (a city-fixed pair): removed by the next demo generation, real ones never.
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    objects = AgreementQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["pairing"]

    def __str__(self) -> str:
        return str(self.pairing)

    def clean(self) -> None:
        if self.signed_on and not (self.helper_signatory.strip() and self.recipient_signatory.strip()):
            raise ValidationError(_("A signed agreement names the signatory of each side."))

    @property
    def is_late(self) -> bool:
        """Return whether the agreement was signed after the cycle's deadline (allowed, reported)."""
        if not self.signed_on:
            return False
        return self.signed_on > self.pairing.cycle.agreement_deadline


class ProblemQuerySet(models.QuerySet):
    def for_user(self, user) -> "ProblemQuerySet":
        return self.filter(agreement__in=Agreement.objects.for_user(user))

    def in_area_of(self, user) -> "ProblemQuerySet":
        return self.filter(agreement__in=Agreement.objects.in_area_of(user))

    def editable_by(self, user) -> "ProblemQuerySet":
        return self.filter(agreement__in=Agreement.objects.editable_by(user))


class Problem(Versioned):
    """One diagnosed problem and its countermeasure (一问题一对策, R26) inside an agreement."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="problems"
    )
    problem = models.TextField(_("problem"))
    countermeasure = models.TextField(_("countermeasure"))
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    responsible_side = models.CharField(_("responsible side"), max_length=10, choices=Side.choices)
    target_semester = models.ForeignKey(
        Semester,
        verbose_name=_("target semester"),
        on_delete=models.PROTECT,
        related_name="problems",
        null=True,
        blank=True,
    )
    status = models.CharField(_("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)

    objects = ProblemQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("problem and countermeasure")
        verbose_name_plural = _("problems and countermeasures")
        ordering = ["agreement", "id"]

    def __str__(self) -> str:
        return self.problem[:40]

    def clean(self) -> None:
        if self.target_semester_id and self.agreement_id:
            cycle = self.agreement.pairing.cycle
            if self.target_semester.cycle_id != cycle.pk:
                raise ValidationError(
                    {
                        "target_semester": _("The target semester lies outside the cycle (%(first)s to %(last)s).")
                        % {"first": cycle.first_semester_label, "last": cycle.last_semester_label}
                    }
                )

    @property
    def target_semester_label(self) -> str:
        return self.target_semester.label if self.target_semester_id else ""


class WorkPlanQuerySet(models.QuerySet):
    def for_user(self, user) -> "WorkPlanQuerySet":
        """Return the work plans `user` may see: a county its own and those of its schools; a school its own."""
        scope = scope_of(user)
        if scope.everything:
            return self
        # R14: the recipient side of a city–county high-school pair drafts its plan, so it sees the helper's.
        high_school_pairs = Pairing.objects.exclude(status=PairingStatus.ENDED).filter(
            stage=Stage.HIGH_SCHOOL, tier=Tier.CITY_COUNTY
        )
        if scope.county_id:
            helpers = high_school_pairs.filter(recipient__county_id=scope.county_id).values("helper_id")
            return self.filter(
                Q(county_id=scope.county_id) | Q(school__county_id=scope.county_id) | Q(school_id__in=helpers)
            )
        if scope.school_id:
            helpers = high_school_pairs.filter(recipient_id=scope.school_id).values("helper_id")
            return self.filter(Q(school_id=scope.school_id) | Q(school_id__in=helpers))
        return self.none()

    def in_area_of(self, user) -> "WorkPlanQuerySet":
        """Return the work plans that lie in `user`'s area: the city all, each unit its own."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and scope.county_id:
            return self.filter(county_id=scope.county_id)
        if scope.writes and scope.school_id:
            return self.filter(school_id=scope.school_id)
        return self.none()

    def editable_by(self, user) -> "WorkPlanQuerySet":
        """Return the work plans `user` may change: the city all; each unit its own until it is accepted (R25)."""
        if scope_of(user).city:
            return self
        return self.in_area_of(user).exclude(status=WorkPlanStatus.ACCEPTED)

    def with_tables_attached(self) -> "WorkPlanQuerySet":
        """Annotate `tables_attached`: whether the arrangement tables are among the plan's attachments."""
        tables = WorkPlanAttachment.objects.filter(work_plan=OuterRef("pk"), kind=AttachmentKind.ARRANGEMENT_TABLES)
        return self.annotate(tables_attached=Exists(tables))


class WorkPlan(Versioned):
    """A unit's stamped work plan sent to the city bureau by the deadline (工作方案报送, R25).

    The unit is a county-level bureau, or a school (a city high school in a fixed pair, the city special school).
    """

    cycle = models.ForeignKey(Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="work_plans")
    county = models.ForeignKey(
        County,
        verbose_name=_("county bureau"),
        on_delete=models.PROTECT,
        related_name="work_plans",
        null=True,
        blank=True,
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="work_plans", null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=WorkPlanStatus.choices, default=WorkPlanStatus.MISSING
    )
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    document = models.FileField(
        _("stamped plan"),
        upload_to=work_plan_path,
        blank=True,
        validators=[validate_document],
        help_text=_("The plan with the official stamp (加盖公章): PDF or image, at most 10 MB."),
    )
    return_reason = models.CharField(_("reason for returning"), max_length=200, blank=True)
    # A real unit's plan filled in as demo data: reset to "not submitted" by the next demo generation.
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    objects = WorkPlanQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        permissions = [("review_workplan", _("Can accept or return work plans"))]
        ordering = ["cycle", "county__code", "school__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(county__isnull=False, school__isnull=True) | Q(county__isnull=True, school__isnull=False),
                name="work_plan_one_unit",
                violation_error_message=_("A work plan belongs to either a county bureau or a school."),
            ),
            models.UniqueConstraint(
                fields=["cycle", "county"],
                name="work_plan_one_per_county",
                violation_error_message=_("This county bureau already has a work plan in this cycle."),
            ),
            models.UniqueConstraint(
                fields=["cycle", "school"],
                name="work_plan_one_per_school",
                violation_error_message=_("This school already has a work plan in this cycle."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.cycle}"

    def clean(self) -> None:
        errors = {}
        if self.status != WorkPlanStatus.MISSING:
            if not self.submitted_on:
                errors["submitted_on"] = _("Give the date the plan was submitted.")
            if not self.document:
                errors["document"] = _("Attach the stamped plan.")
        if self.status == WorkPlanStatus.RETURNED and not self.return_reason.strip():
            errors["return_reason"] = _("Give the reason the plan was returned.")
        if errors:
            raise ValidationError(errors)

    @property
    def unit(self) -> County | School | None:
        return self.county or self.school

    @property
    def due_on(self) -> datetime.date:
        return self.cycle.work_plan_deadline

    def is_late(self, today: datetime.date | None = None) -> bool:
        """Return whether the plan came after the deadline, or has not come and the deadline has passed."""
        if self.submitted_on:
            return self.submitted_on > self.due_on
        return today is not None and today > self.due_on

    @property
    def has_arrangement_tables(self) -> bool:
        """Return whether the arrangement tables are attached (from `with_tables_attached` when annotated)."""
        if "tables_attached" in self.__dict__:
            return self.tables_attached
        if self.pk is None:
            return False
        return self.attachments.filter(kind=AttachmentKind.ARRANGEMENT_TABLES).exists()


class WorkPlanAttachmentQuerySet(models.QuerySet):
    def for_user(self, user) -> "WorkPlanAttachmentQuerySet":
        """Return the attachments of the work plans `user` may see."""
        return self.filter(work_plan__in=WorkPlan.objects.for_user(user))

    def in_area_of(self, user) -> "WorkPlanAttachmentQuerySet":
        return self.filter(work_plan__in=WorkPlan.objects.in_area_of(user))

    def editable_by(self, user) -> "WorkPlanAttachmentQuerySet":
        """Return the attachments `user` may remove: those of its own plans (the city: of all), until accepted."""
        return self.in_area_of(user).exclude(work_plan__status=WorkPlanStatus.ACCEPTED)


class WorkPlanAttachment(Versioned):
    """A file filed with a work plan beside the stamped plan (R25): the arrangement tables of a county (R27), or
    another paper. Added and removed while the plan is not yet accepted, never edited; both are kept in its
    history."""

    work_plan = models.ForeignKey(
        WorkPlan, verbose_name=_("work plan"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.OTHER)
    file = models.FileField(
        _("file"),
        upload_to=work_plan_attachment_path,
        validators=[validate_attachment],
        help_text=_("PDF, image or Excel workbook (.xlsx), at most 10 MB."),
    )
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_on = models.DateTimeField(_("attached on"), default=timezone.now, editable=False)

    objects = WorkPlanAttachmentQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["work_plan", "uploaded_on", "pk"]

    def __str__(self) -> str:
        return self.original_name or self.file.name
