"""Administrative areas (county → township → village) and the school registry (R1, R4)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.access import Versioned
from liuzhou_pairing.history import History
from liuzhou_pairing.querysets import ReferenceQuerySet
from liuzhou_pairing.scope import scope_of

from .choices import (
    CENTRAL_TYPES,
    STAGES_BY_TYPE,
    CountyKind,
    Location,
    Ownership,
    SchoolStatus,
    SchoolType,
    Stage,
    Standing,
    TownshipKind,
    types_serving,
)
from .validators import digits_validator, validate_phone, validate_school_code


class County(Versioned):
    """A county-level unit (区/县/自治县) of the city, with the former names it was known by."""

    code = models.CharField(_("division code"), max_length=6, unique=True, validators=[digits_validator(6)])
    name = models.CharField(_("name"), max_length=50, unique=True)
    short_name = models.CharField(
        _("short name"),
        max_length=20,
        blank=True,
        help_text=_("The name the plan uses, such as 融水县 for 融水苗族自治县."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CountyKind.choices)
    former_names = models.CharField(
        _("former names"),
        max_length=100,
        blank=True,
        help_text=_("Names used before a change of status, separated by 、 (柳江区 was 柳江县 until 2016)."),
    )

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("county-level unit")
        verbose_name_plural = _("county-level units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Return the name shown everywhere but on the unit's own page: the plan's short name (融水县 for
        融水苗族自治县) where it has one, else the official name."""
        return self.short_name or self.name

    @property
    def is_urban_district(self) -> bool:
        """Return whether this is a city district (市辖区), whose schools count as urban (市区)."""
        return self.kind == CountyKind.DISTRICT

    def all_names(self) -> list[str]:
        """Return every name this unit is known by: official, short and former."""
        names = [self.name, self.short_name, *self.former_names.split("、")]
        return [n for n in dict.fromkeys(names) if n]


class ManagementArea(Versioned):
    """A management area (管理区), such as 柳东新区, counted under a county-level unit for pairing (R4, R11)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    county = models.ForeignKey(
        County,
        verbose_name=_("counted under"),
        on_delete=models.PROTECT,
        related_name="management_areas",
    )

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("management area")
        verbose_name_plural = _("management areas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Township(Versioned):
    """A township-level unit (街道/镇/乡) of a county-level unit."""

    code = models.CharField(_("division code"), max_length=9, unique=True, validators=[digits_validator(9)])
    name = models.CharField(_("name"), max_length=50)
    county = models.ForeignKey(County, verbose_name=_("county"), on_delete=models.PROTECT, related_name="townships")
    kind = models.CharField(_("kind"), max_length=20, choices=TownshipKind.choices)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "name"],
                name="township_unique_name_in_county",
                violation_error_message=_("This county already has a township with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Village(Versioned):
    """A village-level unit (村委会/社区) of a township."""

    code = models.CharField(_("division code"), max_length=12, unique=True, validators=[digits_validator(12)])
    name = models.CharField(_("name"), max_length=50)
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT, related_name="villages"
    )

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"],
                name="village_unique_name_in_township",
                violation_error_message=_("This township already has a village with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class SchoolQuerySet(models.QuerySet):
    def active(self) -> "SchoolQuerySet":
        return self.filter(status=SchoolStatus.ACTIVE)

    def serving(self, stage: str) -> "SchoolQuerySet":
        return self.filter(school_type__in=types_serving(stage))

    def demo(self) -> "SchoolQuerySet":
        return self.filter(is_demo=True)

    def real(self) -> "SchoolQuerySet":
        return self.filter(is_demo=False)

    def for_user(self, user) -> "SchoolQuerySet":
        """Return the schools `user` may see: the city and region all, a county its own, a school itself."""
        scope = scope_of(user)
        if scope.everything:
            return self
        if scope.county_id:
            return self.filter(county_id=scope.county_id)
        if scope.school_id:
            return self.filter(pk=scope.school_id)
        return self.none()

    def editable_by(self, user) -> "SchoolQuerySet":
        """Return the schools `user` may change: the city all, a county bureau its own, school staff their own
        school (its contact details only, which `schools.services` enforces)."""
        scope = scope_of(user)
        if scope.city:
            return self
        if not scope.writes:
            return self.none()
        return self.for_user(user)

    def in_area_of(self, user) -> "SchoolQuerySet":
        """Return the schools that lie in `user`'s area after a write (what it may change)."""
        return self.editable_by(user)


class School(Versioned):
    """A school or kindergarten of the registry, public or private, with where it sits and how it stands."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    school_code = models.CharField(
        _("national school code"),
        max_length=10,
        blank=True,
        validators=[validate_school_code],
        help_text=_("学校标识码: 10 digits, unique when given."),
    )
    school_type = models.CharField(_("school type"), max_length=20, choices=SchoolType.choices)
    ownership = models.CharField(_("ownership"), max_length=10, choices=Ownership.choices, default=Ownership.PUBLIC)
    location = models.CharField(_("location"), max_length=20, choices=Location.choices, blank=True)
    is_central = models.BooleanField(
        _("central school or kindergarten"),
        default=False,
        help_text=_("The township's central school (乡镇中心校) or central kindergarten (乡镇中心幼儿园)."),
    )
    is_city_administered = models.BooleanField(
        _("city-administered"), default=False, help_text=_("Run directly by the city bureau (局属学校).")
    )
    standing = models.CharField(_("standing"), max_length=20, choices=Standing.choices, default=Standing.ORDINARY)
    county = models.ForeignKey(
        County,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="schools",
        null=True,
        blank=True,
    )
    management_area = models.ForeignKey(
        ManagementArea,
        verbose_name=_("management area"),
        on_delete=models.PROTECT,
        related_name="schools",
        null=True,
        blank=True,
    )
    township = models.ForeignKey(
        Township,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        related_name="schools",
        null=True,
        blank=True,
    )
    village = models.ForeignKey(
        Village,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="schools",
        null=True,
        blank=True,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, validators=[validate_phone])
    status = models.CharField(_("status"), max_length=10, choices=SchoolStatus.choices, default=SchoolStatus.ACTIVE)
    status_date = models.DateField(_("status changed on"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        related_name="merged_schools",
        null=True,
        blank=True,
    )
    is_demo = models.BooleanField(
        _("demo data"),
        default=False,
        help_text=_("A demo school for trying the system, not a real school; replaced when demo data is made again."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = SchoolQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_code"],
                condition=~Q(school_code=""),
                name="school_unique_code_when_present",
                violation_error_message=_("Another school already has this national school code."),
            ),
            models.CheckConstraint(
                condition=Q(village__isnull=True) | Q(township__isnull=False),
                name="school_village_needs_township",
                violation_error_message=_("A school in a village must also name the village's township."),
            ),
            models.CheckConstraint(
                condition=Q(township__isnull=True) | Q(county__isnull=False),
                name="school_township_needs_county",
                violation_error_message=_("A school in a township must also name the township's county."),
            ),
            models.CheckConstraint(
                condition=Q(status=SchoolStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=SchoolStatus.MERGED) & Q(merged_into__isnull=True)),
                name="school_merged_into_iff_merged",
                violation_error_message=_("A merged school names the school it merged into; no other school does."),
            ),
            models.CheckConstraint(
                condition=Q(is_central=False) | Q(school_type__in=CENTRAL_TYPES),
                name="school_central_type",
                violation_error_message=_("Only a kindergarten, primary or nine-year school can be a central school."),
            ),
        ]
        indexes = [
            models.Index(fields=["county", "school_type"], name="school_county_type_idx"),
            models.Index(fields=["status", "ownership"], name="school_status_ownership_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.village_id and self.township_id and self.village.township_id != self.township_id:
            errors["village"] = _("Village %(village)s is not in township %(township)s.") % {
                "village": self.village.name,
                "township": self.township.name,
            }
        if self.township_id and self.county_id and self.township.county_id != self.county_id:
            errors["township"] = _("Township %(township)s is not in %(county)s.") % {
                "township": self.township.name,
                "county": self.county,
            }
        if self.management_area_id and self.county_id and self.management_area.county_id != self.county_id:
            errors["management_area"] = _("%(area)s is counted under %(counted)s, not %(county)s.") % {
                "area": self.management_area.name,
                "counted": self.management_area.county,
                "county": self.county,
            }
        if self.management_area_id and not self.county_id:
            errors["county"] = _("A school in a management area must name the county it is counted under.")
        if self.is_central and not self.township_id:
            errors["township"] = _("A central school or kindergarten must name its township.")
        if self.location == Location.VILLAGE and not self.village_id and not errors.get("village"):
            errors["village"] = _("A village school must name its village.")
        if self.merged_into_id and self.merged_into_id == self.pk:
            errors["merged_into"] = _("A school cannot merge into itself.")
        if self.status != SchoolStatus.ACTIVE and not self.status_date:
            errors["status_date"] = _("Give the date the school closed or merged.")
        if errors:
            raise ValidationError(errors)

    @property
    def stages(self) -> tuple[str, ...]:
        """Return the stages (学段) this school serves, derived from its type."""
        return STAGES_BY_TYPE.get(self.school_type, ())

    def serves(self, stage: str) -> bool:
        return stage in self.stages

    def get_stages_display(self) -> str:
        return "、".join(str(Stage(s).label) for s in self.stages)

    get_stages_display.short_description = _("stages")

    @property
    def is_active(self) -> bool:
        return self.status == SchoolStatus.ACTIVE
