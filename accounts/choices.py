"""Roles of the users of the system."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY = "city", _("city bureau staff")
    COUNTY = "county", _("county bureau staff")
    SCHOOL = "school", _("school staff")
    INSPECTOR = "inspector", _("inspector")
    REGION = "region", _("region inspector")
