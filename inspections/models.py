"""Inspections at three levels (R28–R31): county self-inspection, city re-inspection, region spot check."""

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.access import Versioned
from liuzhou_pairing.history import History
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.uploads import random_upload_name, validate_document
from pairings.models import Pairing, Semester
from schools.models import County, School

from .choices import OPEN_STATUSES, FindingStatus, InspectionStatus, ItemKind, ItemResult, Level, Rating, Review


class SpotCheckQuerySet(models.QuerySet):
    def for_user(self, user) -> "SpotCheckQuerySet":
        """Spot-check samples are the region's: seen by the region, the city and city-wide inspectors."""
        return self if scope_of(user).everything else self.none()

    def in_area_of(self, user) -> "SpotCheckQuerySet":
        return self.for_user(user)

    def editable_by(self, user) -> "SpotCheckQuerySet":
        return self.none()  # a drawn sample is kept as it was drawn


class SpotCheck(Versioned):
    """A region spot check's sample of active pairings (自治区抽查, R28): drawn reproducibly from a seed, stratified
    by county, and kept with who drew it and why."""

    semester = models.ForeignKey(
        Semester, verbose_name=_("semester"), on_delete=models.PROTECT, related_name="spot_checks"
    )
    size = models.PositiveIntegerField(_("sample size"), validators=[MinValueValidator(1)])
    seed = models.BigIntegerField(_("seed"))
    pairings = models.ManyToManyField(Pairing, verbose_name=_("pairings drawn"), related_name="spot_checks")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reason = models.CharField(_("reason"), max_length=200)
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    objects = SpotCheckQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("spot-check sample")
        verbose_name_plural = _("spot-check samples")
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.semester} · {self.size}"


# --- Checklists, inspections, their items and findings (R28–R31) ---------------------------------------------


def report_path(instance, filename: str) -> str:
    """Store a signed inspection report under a random name."""
    return random_upload_name("inspections", instance.report, filename)


def rectification_path(instance, filename: str) -> str:
    """Store a rectification's evidence under a random name."""
    return random_upload_name("rectifications", instance.rectification_file, filename)


def _in_county(county_id: int, prefix: str = "") -> Q:
    """Inspections (or, with `prefix`, rows of an inspection) of a county: of its bureau, of one of its schools or
    of a pairing with a school of the county."""
    return (
        Q(**{f"{prefix}county_id": county_id})
        | Q(**{f"{prefix}school__county_id": county_id})
        | Q(**{f"{prefix}pairing__recipient__county_id": county_id})
        | Q(**{f"{prefix}pairing__helper__county_id": county_id})
    )


def _inspected_in(county_id: int) -> Q:
    """Inspections whose inspected unit lies in a county (a pairing's: the recipient's, as
    `Inspection.inspected_county_id`): those the county records, not those of its schools' pairings elsewhere."""
    return Q(county_id=county_id) | Q(school__county_id=county_id) | Q(pairing__recipient__county_id=county_id)


def _of_school(school_id: int, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}school_id": school_id})
        | Q(**{f"{prefix}pairing__recipient_id": school_id})
        | Q(**{f"{prefix}pairing__helper_id": school_id})
    )


class ChecklistItemQuerySet(models.QuerySet):
    def for_user(self, user) -> "ChecklistItemQuerySet":
        """The checklist is the city's, read by every signed-in user."""
        return self if getattr(user, "is_authenticated", False) else self.none()

    def in_area_of(self, user) -> "ChecklistItemQuerySet":
        return self if scope_of(user).city else self.none()

    def editable_by(self, user) -> "ChecklistItemQuerySet":
        return self.in_area_of(user)


class ChecklistItem(Versioned):
    """One point inspectors judge at a level (R28 四有, R30): data the city edits. An inspection copies the active
    items of its level when it is made, so a later change leaves it as it was."""

    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    code = models.CharField(_("code"), max_length=20)
    text = models.CharField(_("item"), max_length=200)
    kind = models.CharField(_("judged by"), max_length=10, choices=ItemKind.choices, default=ItemKind.RATING)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    objects = ChecklistItemQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist")
        ordering = ["level", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"],
                name="checklist_unique_code_per_level",
                violation_error_message=_("This level already has an item of this code."),
            )
        ]

    def __str__(self) -> str:
        return self.text


class InspectionQuerySet(models.QuerySet):
    def for_user(self, user) -> "InspectionQuerySet":
        """Return the inspections `user` may see: the city, the region and city-wide inspectors all; a county
        bureau or county inspector those of its county (its self-inspections as they are made, the others once
        signed); a school the signed ones of itself and its pairings."""
        scope = scope_of(user)
        if scope.everything:
            return self
        if scope.county_id:
            # Its own self-inspections as they are made; the city's and the region's once signed (the result).
            own = Q(level=Level.COUNTY_SELF) | Q(status=InspectionStatus.SIGNED)
            return self.filter(_in_county(scope.county_id), own)
        if scope.school_id:
            return self.filter(_of_school(scope.school_id), status=InspectionStatus.SIGNED)
        return self.none()

    def in_area_of(self, user) -> "InspectionQuerySet":
        """Return the inspections `user` may record: the city all; a county inspector or bureau its county's
        self-inspections; a city-wide inspector re-inspections; a region inspector spot checks."""
        scope = scope_of(user)
        if scope.city:
            return self
        if scope.inspects == "county" and scope.county_id:
            return self.filter(_inspected_in(scope.county_id), level=Level.COUNTY_SELF)
        if scope.inspects == "city":
            return self.filter(level=Level.CITY_REVIEW)
        if scope.inspects == "region":
            return self.filter(level=Level.REGION_SPOT_CHECK)
        return self.none()

    def editable_by(self, user) -> "InspectionQuerySet":
        """A signed inspection never changes."""
        return self.in_area_of(user).filter(status=InspectionStatus.DRAFT)


class Inspection(Versioned):
    """An inspection at one of three levels (R28): of a county bureau, a school or a pairing, in a semester, its
    checklist judged item by item, an overall rating and the signed report. The facts the system knew are shown
    live while it is a draft and frozen, with their date, when it is signed; a signed inspection never changes."""

    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    semester = models.ForeignKey(
        Semester, verbose_name=_("semester"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspecting_unit = models.CharField(_("inspecting unit"), max_length=100, blank=True)
    inspecting_county = models.ForeignKey(
        County,
        verbose_name=_("inspecting county bureau"),
        on_delete=models.PROTECT,
        related_name="inspections_made",
        null=True,
        blank=True,
    )
    county = models.ForeignKey(
        County,
        verbose_name=_("inspected county bureau"),
        on_delete=models.PROTECT,
        related_name="inspections",
        null=True,
        blank=True,
    )
    school = models.ForeignKey(
        School,
        verbose_name=_("inspected school"),
        on_delete=models.PROTECT,
        related_name="inspections",
        null=True,
        blank=True,
    )
    pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("inspected pairing"),
        on_delete=models.PROTECT,
        related_name="inspections",
        null=True,
        blank=True,
    )
    date = models.DateField(_("date of the inspection"))
    inspectors = models.CharField(_("inspectors"), max_length=200, blank=True)
    rating = models.CharField(_("overall rating"), max_length=10, choices=Rating.choices, blank=True)
    report = models.FileField(
        _("signed report"),
        upload_to=report_path,
        blank=True,
        validators=[validate_document],
        help_text=_("PDF or image, at most 10 MB."),
    )
    is_special = models.BooleanField(
        _("special inspection"),
        default=False,
        help_text=_("The special inspection of the county this semester (专项督导)."),
    )
    reviews = models.ForeignKey(
        "self",
        verbose_name=_("reviews the self-inspection"),
        on_delete=models.PROTECT,
        related_name="reviewed_by",
        null=True,
        blank=True,
    )
    spot_check = models.ForeignKey(
        SpotCheck,
        verbose_name=_("spot-check sample"),
        on_delete=models.PROTECT,
        related_name="inspections",
        null=True,
        blank=True,
        help_text=_("The region's sample the inspected pairing was drawn in."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT, editable=False
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    facts = models.JSONField(_("facts at signing"), default=dict, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    objects = InspectionQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(county__isnull=False, school__isnull=True, pairing__isnull=True)
                    | Q(county__isnull=True, school__isnull=False, pairing__isnull=True)
                    | Q(county__isnull=True, school__isnull=True, pairing__isnull=False)
                ),
                name="inspection_one_inspected_unit",
                violation_error_message=_("Name exactly one inspected unit: a county bureau, a school or a pairing."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.inspected} · {self.date}"

    @property
    def inspected(self):
        return self.county or self.school or self.pairing

    @property
    def inspected_county_id(self) -> int | None:
        """The county the inspected unit lies in (a pairing's: the recipient's)."""
        if self.county_id:
            return self.county_id
        if self.school_id:
            return self.school.county_id
        if self.pairing_id:
            return self.pairing.recipient.county_id
        return None


class InspectionItemQuerySet(models.QuerySet):
    def for_user(self, user) -> "InspectionItemQuerySet":
        return self.filter(inspection__in=Inspection.objects.for_user(user))

    def in_area_of(self, user) -> "InspectionItemQuerySet":
        return self.filter(inspection__in=Inspection.objects.in_area_of(user))

    def editable_by(self, user) -> "InspectionItemQuerySet":
        return self.filter(inspection__in=Inspection.objects.editable_by(user))


class InspectionItem(Versioned):
    """One checklist item of an inspection, its text as it was when the inspection was made, judged pass, partly
    or fail (or scored) with a note; in a re-inspection, confirming or overturning the self-inspection's result."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("code"), max_length=20, editable=False)
    text = models.CharField(_("item"), max_length=200, editable=False)
    kind = models.CharField(_("judged by"), max_length=10, choices=ItemKind.choices, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0, editable=False)
    result = models.CharField(_("result"), max_length=10, choices=ItemResult.choices, blank=True)
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    review = models.CharField(_("the self-inspection's result"), max_length=10, choices=Review.choices, blank=True)
    review_note = models.CharField(_("note on the self-inspection"), max_length=500, blank=True)

    objects = InspectionItemQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("checklist item judged")
        verbose_name_plural = _("checklist items judged")
        ordering = ["inspection", "order", "code", "id"]

    def __str__(self) -> str:
        return self.text


class FindingQuerySet(models.QuerySet):
    def for_user(self, user) -> "FindingQuerySet":
        """Return the findings `user` may see: the city, the region and city-wide inspectors all; a county those
        about its bureau and its schools (of the city's and the region's inspections once signed); a school those
        about itself, once their inspection is signed."""
        scope = scope_of(user)
        if scope.everything:
            return self
        if scope.county_id:
            about = Q(county_id=scope.county_id) | Q(school__county_id=scope.county_id)
            shown = Q(inspection__level=Level.COUNTY_SELF) | Q(inspection__status=InspectionStatus.SIGNED)
            return self.filter(about, shown)
        if scope.school_id:
            return self.filter(school_id=scope.school_id, inspection__status=InspectionStatus.SIGNED)
        return self.none()

    def in_area_of(self, user) -> "FindingQuerySet":
        """Return the findings `user` may record or act on: the city all; an inspector those of the inspections
        it records; a county bureau those about itself and its schools; a school those about itself."""
        scope = scope_of(user)
        if scope.city:
            return self
        area = Q(inspection__in=Inspection.objects.in_area_of(user))
        if scope.writes and scope.county_id:
            area |= Q(county_id=scope.county_id) | Q(school__county_id=scope.county_id)
        if scope.writes and scope.school_id:
            area = Q(school_id=scope.school_id)
        return self.filter(area)

    def editable_by(self, user) -> "FindingQuerySet":
        """Return the findings `user` may change: the city all (it verifies); others those in their area still to
        be fixed — a rectified finding waits for the city."""
        if scope_of(user).city:
            return self
        return self.in_area_of(user).filter(status__in=OPEN_STATUSES)

    def overdue(self, today: datetime.date | None = None) -> "FindingQuerySet":
        """Findings still to be fixed whose deadline has passed."""
        return self.filter(status__in=OPEN_STATUSES, deadline__lt=today or timezone.localdate())


class Finding(Versioned):
    """What an inspection found to be fixed (整改), by a school or a county bureau before a deadline: open, then
    rectified with evidence, then verified by the city, or reopened. Overdue follows from the deadline."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, related_name="findings"
    )
    school = models.ForeignKey(
        School,
        verbose_name=_("responsible school"),
        on_delete=models.PROTECT,
        related_name="findings",
        null=True,
        blank=True,
    )
    county = models.ForeignKey(
        County,
        verbose_name=_("responsible county bureau"),
        on_delete=models.PROTECT,
        related_name="findings",
        null=True,
        blank=True,
    )
    text = models.TextField(_("finding"))
    deadline = models.DateField(_("rectify by"))
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN, editable=False
    )
    rectification = models.TextField(_("rectification"), blank=True)
    rectification_file = models.FileField(
        _("rectification evidence"),
        upload_to=rectification_path,
        blank=True,
        validators=[validate_document],
        help_text=_("PDF or image, at most 10 MB."),
    )
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    verification_note = models.CharField(_("note of the verification"), max_length=500, blank=True, editable=False)

    objects = FindingQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings and rectification")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(school__isnull=False, county__isnull=True) | Q(school__isnull=True, county__isnull=False),
                name="finding_one_responsible_unit",
                violation_error_message=_("Name exactly one responsible unit: a school or a county bureau."),
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def responsible(self):
        return self.school or self.county

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.status in OPEN_STATUSES and self.deadline < (today or timezone.localdate())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()
