"""Staff of a school and the activities of a pairing, confirmed by both sides (R17–R24).

Children in difficulty are counted by kind, never named: no field here (or anywhere) holds a child's name or
identity."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.access import Versioned
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.history import History
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.uploads import random_upload_name
from pairings.choices import Measure, Side, Tier
from pairings.models import Cycle, Pairing, Semester
from schools.choices import Stage
from schools.models import County, School
from schools.validators import validate_phone

from .choices import (
    CaseStatus,
    ChildKind,
    Confirmation,
    EnteredBy,
    EvidenceKind,
    Focus,
    Form,
    HelpKind,
    Kind,
    NormCounts,
    PhotoDate,
    Post,
)

NO_NAMES_HELP = _("Do not write the names of children or anything that would identify them.")


def _schools_in_sight(user) -> models.QuerySet:
    """The schools of the pairings `user` sees (both sides), as a subquery of ids."""
    pairings = Pairing.objects.for_user(user)
    return School.objects.filter(
        Q(pk__in=pairings.values("helper_id")) | Q(pk__in=pairings.values("recipient_id"))
    ).values("pk")


class StaffQuerySet(models.QuerySet):
    def for_user(self, user) -> "StaffQuerySet":
        """Return the staff whose names `user` may see: the city and the region all; a county bureau (or county
        inspector) those of its schools and of their partner schools; a school its own and its partners'."""
        scope = scope_of(user)
        if scope.everything:
            return self
        if scope.county_id:
            return self.filter(Q(school__county_id=scope.county_id) | Q(school_id__in=_schools_in_sight(user)))
        if scope.school_id:
            return self.filter(Q(school_id=scope.school_id) | Q(school_id__in=_schools_in_sight(user)))
        return self.none()

    def in_area_of(self, user) -> "StaffQuerySet":
        """Return the staff `user` may record: the city all; a county bureau its schools' and those of the schools
        its schools are paired with; a school its own and its partner schools' (a secondment names the
        recipient's key staff, who may not be registered yet)."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and scope.county_id:
            return self.filter(Q(school__county_id=scope.county_id) | Q(school_id__in=_schools_in_sight(user)))
        if scope.writes and scope.school_id:
            return self.filter(Q(school_id=scope.school_id) | Q(school_id__in=_schools_in_sight(user)))
        return self.none()

    def editable_by(self, user) -> "StaffQuerySet":
        """Return the staff `user` may change: the city all; a county bureau its schools'; a school its own."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and scope.county_id:
            return self.filter(school__county_id=scope.county_id)
        if scope.writes and scope.school_id:
            return self.filter(school_id=scope.school_id)
        return self.none()


class Staff(Versioned):
    """An adult of a school who takes part in activities, entered once and chosen afterwards (R20, R21)."""

    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="staff")
    name = models.CharField(_("name"), max_length=50)
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    is_active = models.BooleanField(_("still at the school"), default=True)
    # Demo data (on a real school): removed by the next demo generation, real staff never.
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    objects = StaffQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["school__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"],
                name="staff_unique_name_in_school",
                violation_error_message=_("This school already has a staff member of this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.school}）"


class ActivityQuerySet(models.QuerySet):
    def for_user(self, user) -> "ActivityQuerySet":
        """Return the activities `user` may see: those of the pairings it sees."""
        if scope_of(user).everything:  # every pairing: no condition (a big list is then one table, counted cheaply)
            return self
        return self.filter(pairing__in=Pairing.objects.for_user(user))

    def in_area_of(self, user) -> "ActivityQuerySet":
        """Return the activities that lie in `user`'s area: the city all; a county bureau those of pairings with a
        school of its own; a school those of the pairings it helps or receives."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and scope.county_id:
            return self.filter(
                Q(pairing__helper__county_id=scope.county_id) | Q(pairing__recipient__county_id=scope.county_id)
            )
        if scope.writes and scope.school_id:
            return self.filter(Q(pairing__helper_id=scope.school_id) | Q(pairing__recipient_id=scope.school_id))
        return self.none()

    def editable_by(self, user, today=None) -> "ActivityQuerySet":
        """Return the activities `user` may change: the city and county bureaus all in their area; a school
        those its own side entered that are not confirmed, while the semester's entries are open."""
        scope = scope_of(user)
        area = self.in_area_of(user)
        if scope.city or scope.county_id:
            return area
        if not scope.school_id:
            return area.none()
        from django.utils import timezone

        today = today or timezone.localdate()
        own_side = Q(entered_by=EnteredBy.HELPER, pairing__helper_id=scope.school_id) | Q(
            entered_by=EnteredBy.RECIPIENT, pairing__recipient_id=scope.school_id
        )
        return area.filter(own_side, semester__entry_closes_on__gte=today).exclude(status=Confirmation.CONFIRMED)

    def awaiting(self, user, today=None) -> "ActivityQuerySet":
        """Return the pending activities `user` may confirm or reject: a school those the partner entered, while
        the semester's entries are open; a county bureau those of pairings with a school of its own that a school
        entered (after the close too, with a reason)."""
        scope = scope_of(user)
        pending = self.filter(status=Confirmation.PENDING)
        if scope.writes and scope.school_id:
            from django.utils import timezone

            pending = pending.filter(semester__entry_closes_on__gte=today or timezone.localdate())
            return pending.filter(
                Q(entered_by=EnteredBy.HELPER, pairing__recipient_id=scope.school_id)
                | Q(entered_by=EnteredBy.RECIPIENT, pairing__helper_id=scope.school_id)
            )
        if scope.writes and scope.county_id and not scope.city:
            return pending.filter(
                Q(pairing__helper__county_id=scope.county_id) | Q(pairing__recipient__county_id=scope.county_id)
            )
        return pending.none()

    def counted(self) -> "ActivityQuerySet":
        """Only confirmed activities count towards the norms."""
        return self.filter(status=Confirmation.CONFIRMED)


class Activity(Versioned):
    """One piece of assistance work of a pairing on a day (R17–R24), pending until the other side confirms it."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="activities"
    )
    date = models.DateField(_("date"), help_text=_("A day on which the pairing was active."))
    semester = models.ForeignKey(
        Semester, verbose_name=_("semester"), on_delete=models.PROTECT, related_name="activities", editable=False
    )
    form = models.CharField(_("form"), max_length=30, choices=Form.choices)
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    focus = models.CharField(
        _("focus"), max_length=20, choices=Focus.choices, blank=True, help_text=_("Only those of the pairing's stage.")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    participants = models.ManyToManyField(
        Staff,
        verbose_name=_("participating staff"),
        related_name="activities",
        blank=True,
        help_text=_("Staff of the two schools of the pairing."),
    )
    teachers_reached = models.PositiveIntegerField(_("teachers reached"), default=0)
    students_reached = models.PositiveIntegerField(_("students reached"), default=0)
    description = models.TextField(_("description"), blank=True, help_text=NO_NAMES_HELP)
    donation_items = models.CharField(_("donated items"), max_length=200, blank=True)
    donation_quantity = models.PositiveIntegerField(_("quantity donated"), null=True, blank=True)
    donation_value = models.DecimalField(
        _("value donated (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    entered_by = models.CharField(_("entered by"), max_length=10, choices=EnteredBy.choices, editable=False)
    status = models.CharField(
        _("confirmation"), max_length=10, choices=Confirmation.choices, default=Confirmation.PENDING, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed or rejected by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    decided_at = models.DateTimeField(_("confirmed or rejected at"), null=True, blank=True, editable=False)
    rejection_reason = models.CharField(_("reason for rejecting"), max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Demo data (on a real pairing): removed by the next demo generation, real activities never.
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    objects = ActivityQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Confirmation.REJECTED) | ~Q(rejection_reason=""),
                name="activity_rejection_has_reason",
                violation_error_message=_("A rejected activity gives the reason."),
            )
        ]
        indexes = [
            models.Index(fields=["pairing", "semester", "status"], name="activity_pairing_semester_idx"),
            # The lists' order (newest first): their first page is read from it, not sorted from the whole table.
            models.Index(fields=["date", "id"], name="activity_date_idx"),
            # A semester's confirmed (or pending) activities, and the pairings having them, without reading the
            # other semesters' (the compliance engine's and the semester report's counts).
            models.Index(fields=["semester", "status", "pairing"], name="activity_semester_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind == Kind.DONATION and not self.donation_items.strip():
            raise ValidationError({"donation_items": _("Say what was donated.")})


class DifficultyHelpQuerySet(models.QuerySet):
    def for_user(self, user) -> "DifficultyHelpQuerySet":
        return self.filter(activity__in=Activity.objects.for_user(user))

    def in_area_of(self, user) -> "DifficultyHelpQuerySet":
        return self.filter(activity__in=Activity.objects.in_area_of(user))

    def editable_by(self, user) -> "DifficultyHelpQuerySet":
        return self.filter(activity__in=Activity.objects.editable_by(user))


class DifficultyHelp(Versioned):
    """How many children of one kind an activity helped, and how (R24): counts only, never names."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="difficulty_help"
    )
    child_kind = models.CharField(_("kind of child"), max_length=20, choices=ChildKind.choices)
    children = models.PositiveIntegerField(_("number of children"), validators=[MinValueValidator(1)])
    help_kind = models.CharField(_("kind of help"), max_length=20, choices=HelpKind.choices)

    objects = DifficultyHelpQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("students in difficulty helped")
        verbose_name_plural = _("students in difficulty helped")
        ordering = ["activity", "id"]

    def __str__(self) -> str:
        return f"{self.get_child_kind_display()} {self.children}"


def evidence_path(instance, filename: str) -> str:
    """Store an evidence file under a random name (outside any public path: MEDIA_ROOT is served only through the
    protected view)."""
    return random_upload_name("evidence", instance.file, filename)


class EvidenceQuerySet(models.QuerySet):
    def for_user(self, user) -> "EvidenceQuerySet":
        """Return the evidence `user` may see: that of the activities it sees."""
        return self.filter(activity__in=Activity.objects.for_user(user))

    def in_area_of(self, user) -> "EvidenceQuerySet":
        return self.filter(activity__in=Activity.objects.in_area_of(user))

    def editable_by(self, user) -> "EvidenceQuerySet":
        return self.filter(activity__in=Activity.objects.editable_by(user))


class Evidence(Versioned):
    """A photo, PDF or Office document showing that an activity took place. Its type is judged by its content; its
    SHA-256 shows the same file attached to another activity (复用材料); a photo's capture date is compared with
    the activity's date. The flags are for inspectors: nothing is refused for them."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    kind = models.CharField(_("kind of file"), max_length=10, choices=EvidenceKind.choices, editable=False)
    original_name = models.CharField(_("file name as uploaded"), max_length=200, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False, db_index=True)
    taken_at = models.DateTimeField(_("capture time (EXIF)"), null=True, blank=True, editable=False)
    photo_date = models.CharField(
        _("photo date"), max_length=10, choices=PhotoDate.choices, blank=True, default="", editable=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["activity", "id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class NormQuerySet(models.QuerySet):
    def for_user(self, user) -> "NormQuerySet":
        """Norms are the city's rules, public to every signed-in user."""
        return self if getattr(user, "is_authenticated", False) else self.none()

    def in_area_of(self, user) -> "NormQuerySet":
        return self if scope_of(user).city else self.none()

    def editable_by(self, user) -> "NormQuerySet":
        return self.in_area_of(user)


class Norm(Versioned):
    """A minimum a pairing must reach each semester (规定次数, R20, R21, R23): of one kind of activity, either so many
    distinct people taking part or so many times. Kept per cycle, so that a later cycle may change it without
    touching history; a blank stage or tier means every stage or tier, and the most specific norm applies."""

    cycle = models.ForeignKey(Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="norms")
    kind = models.CharField(_("kind of activity"), max_length=30, choices=Kind.choices)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, blank=True, help_text=_("Leave blank for every stage.")
    )
    tier = models.CharField(
        _("tier"), max_length=20, choices=Tier.choices, blank=True, help_text=_("Leave blank for every tier.")
    )
    counts = models.CharField(_("counts"), max_length=10, choices=NormCounts.choices)
    side = models.CharField(
        _("whose staff count"),
        max_length=10,
        choices=Side.choices,
        default=Side.BOTH,
        help_text=_("For a norm of people: the staff of which school count."),
    )
    key_staff_only = models.BooleanField(
        _("only leaders and key staff count"),
        default=False,
        help_text=_("For a norm of people: teachers without a key post do not count."),
    )
    required = models.PositiveSmallIntegerField(_("required each semester"), validators=[MinValueValidator(1)])

    objects = NormQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("norm")
        verbose_name_plural = _("norms")
        ordering = ["cycle", "kind", "stage", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind", "stage", "tier"],
                name="norm_unique_per_cycle_kind_stage_tier",
                violation_error_message=_("This cycle already has a norm for this kind, stage and tier."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.required}"


# --- Exemplary cases (典型案例): a write-up and photos chosen for publicity -------------------------------------

NO_CHILD_PHOTO_HELP = _(
    "No student's face or name may be identifiable in a photo: photograph from behind or from afar, or the work "
    "itself. The nominating county bureau confirms this for each photo."
)


def _signed_in(user) -> bool:
    return user is SYSTEM or (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


class ExemplaryCaseQuerySet(models.QuerySet):
    def accepted(self) -> "ExemplaryCaseQuerySet":
        return self.filter(status=CaseStatus.ACCEPTED)

    def for_user(self, user) -> "ExemplaryCaseQuerySet":
        """Return the case records `user` may see, with their history, drafts and return reasons: the city
        bureau's all, a county bureau the cases it writes. What everyone reads is `published`."""
        return self.in_area_of(user)

    def published(self, user) -> "ExemplaryCaseQuerySet":
        """Return the cases `user` may read as published: the accepted ones, for every signed-in user (they are
        there to be publicised) — their write-up and photos as accepted, never their drafts or history."""
        if not _signed_in(user):
            return self.none()
        return self.accepted()

    def in_area_of(self, user) -> "ExemplaryCaseQuerySet":
        """Return the cases in `user`'s area: the city all; a county bureau those it writes."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.writes and scope.county_id:
            return self.filter(county_id=scope.county_id)
        return self.none()

    def editable_by(self, user) -> "ExemplaryCaseQuerySet":
        """Return the cases `user` may change: those of its area still a draft or returned."""
        return self.in_area_of(user).filter(status__in=[CaseStatus.DRAFT, CaseStatus.RETURNED])


class ExemplaryCase(Versioned):
    """A pairing's (or one of its activities') work written up by a county bureau as an example for others (典型案例,
    R32): nominated to the city, which accepts it for publicity or returns it with a reason. Only the write-up and
    the photos chosen for it are ever published, never the activity's evidence or staff."""

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="cases")
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="cases",
        null=True,
        blank=True,
        help_text=_("Optional: the activity of this pairing the case is about."),
    )
    title = models.CharField(_("title"), max_length=100)
    write_up = models.TextField(_("write-up"), blank=True, help_text=NO_NAMES_HELP)
    county = models.ForeignKey(
        County,
        verbose_name=_("nominating county"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.DRAFT, editable=False
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("nominated by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True, editable=False,
    )  # fmt: skip
    nominated_on = models.DateField(_("nominated on"), null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True, editable=False,
    )  # fmt: skip
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True, editable=False)
    return_reason = models.CharField(_("reason for returning"), max_length=200, blank=True, editable=False)
    # Demo data: removed by the next demo generation, real cases never.
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    objects = ExemplaryCaseQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("exemplary case")
        verbose_name_plural = _("exemplary cases")
        ordering = ["-accepted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.RETURNED) | ~Q(return_reason=""),
                name="case_return_has_reason",
                violation_error_message=_("A returned case gives the reason."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        """The write-up's paragraphs, one a line, as the page prints them (each indented)."""
        return [line.strip() for line in self.write_up.splitlines() if line.strip()]

    @property
    def county_name(self) -> str:
        """The nominating county as pages name it (融水县)."""
        return county_display_name(self.county) if self.county_id else ""

    def clean(self) -> None:
        if self.activity_id and self.pairing_id and self.activity.pairing_id != self.pairing_id:
            raise ValidationError({"activity": _("Choose an activity of this case's pairing.")})


def case_photo_path(instance, filename: str) -> str:
    """Store a case photo under a random name, served only through the protected view."""
    return random_upload_name("cases", instance.image, filename)


class CasePhotoQuerySet(models.QuerySet):
    def for_user(self, user) -> "CasePhotoQuerySet":
        """Return the photos `user` may see: those of the cases it writes (the city: all), and an accepted case's to
        every signed-in user."""
        cases = ExemplaryCase.objects
        return self.filter(Q(case__in=cases.for_user(user)) | Q(case__in=cases.published(user)))

    def in_area_of(self, user) -> "CasePhotoQuerySet":
        return self.filter(case__in=ExemplaryCase.objects.in_area_of(user))

    def editable_by(self, user) -> "CasePhotoQuerySet":
        return self.filter(case__in=ExemplaryCase.objects.editable_by(user))


class CasePhoto(Versioned):
    """A photo chosen for an exemplary case, uploaded for it (never one of the activity's evidence files), stored
    re-encoded without its metadata (no GPS position), with the county's confirmation that no child can be
    identified in it (R24)."""

    case = models.ForeignKey(
        ExemplaryCase, verbose_name=_("exemplary case"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("photo"), upload_to=case_photo_path, max_length=200)
    caption = models.CharField(_("caption"), max_length=200, blank=True, help_text=NO_NAMES_HELP)
    no_child_identifiable = models.BooleanField(
        _("no child can be identified in this photo"), default=False, help_text=NO_CHILD_PHOTO_HELP
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True, editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = CasePhotoQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["case", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(no_child_identifiable=True),
                name="case_photo_confirmed",
                violation_error_message=_(
                    "Confirm for this photo that no student's face or name can be identified in it."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.caption or _("photo %(number)s") % {"number": self.pk}


class ComplianceFigures(models.Model):
    """The compliance figures of one semester for the whole region, kept so that report and home pages need not
    count millions of activities on every view (activities.figures). Not a record anyone edits: `changes` is raised
    after each committed write that could change the figures, and the figures are counted again when they were
    counted at an older `changes` (or long ago)."""

    semester = models.OneToOneField(
        Semester, verbose_name=_("semester"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    changes = models.PositiveBigIntegerField(default=0, editable=False)
    counted_changes = models.BigIntegerField(null=True, editable=False)
    counted_at = models.DateTimeField(null=True, editable=False)
    figures = models.JSONField(default=list, editable=False)

    class Meta:
        verbose_name = _("compliance figures")
        verbose_name_plural = _("compliance figures")
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.semester_id)
