"""Choices for pairings, agreements and work plans; names follow GLOSSARY.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from schools.choices import Stage


class Tier(models.TextChoices):
    CITY_COUNTY = "city_county", _("city–county")
    COUNTY_TOWNSHIP = "county_township", _("county–township")
    TOWNSHIP_VILLAGE = "township_village", _("township–village")


# R2, R5, R6, R9, R10, R13, R15: the tiers each stage may be paired at.
TIERS_BY_STAGE: dict[str, tuple[str, ...]] = {
    Stage.PRESCHOOL: (Tier.COUNTY_TOWNSHIP, Tier.TOWNSHIP_VILLAGE),
    Stage.COMPULSORY: (Tier.CITY_COUNTY, Tier.COUNTY_TOWNSHIP, Tier.TOWNSHIP_VILLAGE),
    Stage.HIGH_SCHOOL: (Tier.CITY_COUNTY,),
    Stage.SPECIAL: (Tier.CITY_COUNTY,),
}


class ArrangedBy(models.TextChoices):
    CITY = "city", _("city bureau")
    COUNTY = "county", _("county bureau")


class PairingStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("pairing status", "proposed")
    ACTIVE = "active", pgettext_lazy("pairing status", "active")
    ENDED = "ended", pgettext_lazy("pairing status", "ended")


class Measure(models.TextChoices):
    """The five kinds of assistance measure (帮扶措施, R20–R24)."""

    MANAGEMENT = "management", _("management assistance")
    TEACHER_DEVELOPMENT = "teacher_development", _("teacher development")
    SCHOOL_CONDITIONS = "school_conditions", _("school conditions")
    TEACHING = "teaching", _("teaching assistance")
    STUDENTS_IN_DIFFICULTY = "students_in_difficulty", _("students in difficulty")


class Side(models.TextChoices):
    HELPER = "helper", _("helper")
    RECIPIENT = "recipient", _("recipient")
    BOTH = "both", _("both sides")


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem status", "open")
    IN_PROGRESS = "in_progress", pgettext_lazy("problem status", "in progress")
    RESOLVED = "resolved", pgettext_lazy("problem status", "resolved")
    # Problems are never deleted: one entered by mistake, or no longer pursued, is withdrawn.
    WITHDRAWN = "withdrawn", pgettext_lazy("problem status", "withdrawn")


class Term(models.IntegerChoices):
    FIRST = 1, _("first semester (autumn)")
    SECOND = 2, _("second semester (spring)")


class WorkPlanStatus(models.TextChoices):
    MISSING = "missing", pgettext_lazy("work plan status", "not submitted")
    SUBMITTED = "submitted", pgettext_lazy("work plan status", "submitted")
    ACCEPTED = "accepted", pgettext_lazy("work plan status", "accepted")
    RETURNED = "returned", pgettext_lazy("work plan status", "returned")


class AttachmentKind(models.TextChoices):
    ARRANGEMENT_TABLES = "tables", pgettext_lazy("work plan attachment", "arrangement tables")
    OTHER = "other", pgettext_lazy("work plan attachment", "other")
