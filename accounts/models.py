"""Roles: a profile ties each user to a role and, where the role needs one, to a county or a school."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.access import Versioned
from liuzhou_pairing.history import History
from liuzhou_pairing.scope import scope_of
from schools.models import County, School

from .choices import Role


class ProfileQuerySet(models.QuerySet):
    def editable_by(self, user) -> "ProfileQuerySet":
        """Return the profiles `user` may change: all for the city bureau, which manages accounts."""
        return self if scope_of(user).city else self.none()

    def in_area_of(self, user) -> "ProfileQuerySet":
        return self.editable_by(user)


class Profile(Versioned):
    """The role of a user and the unit it is tied to (one county-level unit, or one school)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    county = models.ForeignKey(
        County,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        help_text=_("For county bureau staff; for an inspector of one county (empty: the whole city)."),
    )
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        help_text=_("For school staff."),
    )
    # Set only by setup_demo: demo accounts have printed passwords and are refused at login when DEBUG is off.
    is_demo = models.BooleanField(
        _("demo account"),
        default=False,
        editable=False,
        help_text=_("A demo account for trying the system on a development machine; a live system refuses its login."),
    )

    objects = ProfileQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("role and unit")
        verbose_name_plural = _("roles and units")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.COUNTY) | Q(county__isnull=False, school__isnull=True),
                name="profile_county_role_has_county",
                violation_error_message=_("County bureau staff belong to exactly one county-level unit."),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.SCHOOL) | Q(school__isnull=False, county__isnull=True),
                name="profile_school_role_has_school",
                violation_error_message=_("School staff belong to exactly one school."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[Role.CITY, Role.REGION]) | Q(school__isnull=True, county__isnull=True),
                name="profile_city_region_have_no_unit",
                violation_error_message=_("City staff and region inspectors are not tied to a county or school."),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.INSPECTOR) | Q(school__isnull=True),
                name="profile_inspector_has_no_school",
                violation_error_message=_("An inspector covers a county or the whole city, not a school."),
            ),
        ]

    def __str__(self) -> str:
        unit = self.county or self.school
        return f"{self.get_role_display()} · {unit}" if unit else str(self.get_role_display())

    def clean(self) -> None:
        if self.role == Role.COUNTY and not self.county_id:
            raise ValidationError({"county": _("County bureau staff belong to exactly one county-level unit.")})
        if self.role == Role.SCHOOL and not self.school_id:
            raise ValidationError({"school": _("School staff belong to exactly one school.")})
