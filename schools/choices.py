"""Choices for areas and schools; names follow GLOSSARY.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CountyKind(models.TextChoices):
    DISTRICT = "district", pgettext_lazy("county kind", "district")
    COUNTY = "county", pgettext_lazy("county kind", "county")
    AUTONOMOUS_COUNTY = "autonomous_county", pgettext_lazy("county kind", "autonomous county")


class TownshipKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", pgettext_lazy("township kind", "subdistrict")
    TOWN = "town", pgettext_lazy("township kind", "town")
    TOWNSHIP = "township", pgettext_lazy("township kind", "township")


class Stage(models.TextChoices):
    PRESCHOOL = "preschool", _("preschool education")
    COMPULSORY = "compulsory", _("compulsory education")
    HIGH_SCHOOL = "high_school", _("general high school")
    SPECIAL = "special", _("special education")


class SchoolType(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("kindergarten")
    PRIMARY = "primary", _("primary school")
    JUNIOR_MIDDLE = "junior_middle", _("junior middle school")
    NINE_YEAR = "nine_year", _("nine-year school")
    COMPLETE_MIDDLE = "complete_middle", _("complete middle school")
    SENIOR_HIGH = "senior_high", _("senior high school")
    SPECIAL = "special", _("special education school")
    TEACHING_POINT = "teaching_point", _("teaching point")


# The stages a school serves follow from its type (a complete middle school has junior and senior sections).
STAGES_BY_TYPE: dict[str, tuple[str, ...]] = {
    SchoolType.KINDERGARTEN: (Stage.PRESCHOOL,),
    SchoolType.PRIMARY: (Stage.COMPULSORY,),
    SchoolType.JUNIOR_MIDDLE: (Stage.COMPULSORY,),
    SchoolType.NINE_YEAR: (Stage.COMPULSORY,),
    SchoolType.COMPLETE_MIDDLE: (Stage.COMPULSORY, Stage.HIGH_SCHOOL),
    SchoolType.SENIOR_HIGH: (Stage.HIGH_SCHOOL,),
    SchoolType.SPECIAL: (Stage.SPECIAL,),
    SchoolType.TEACHING_POINT: (Stage.COMPULSORY,),
}

# Only these types can be a township's central school (乡镇中心校) or central kindergarten (乡镇中心幼儿园).
CENTRAL_TYPES = (SchoolType.KINDERGARTEN, SchoolType.PRIMARY, SchoolType.NINE_YEAR)


def types_serving(stage: str) -> list[str]:
    """Return the school types that serve `stage`."""
    return [school_type for school_type, stages in STAGES_BY_TYPE.items() if stage in stages]


class Ownership(models.TextChoices):
    PUBLIC = "public", _("public")
    PRIVATE = "private", _("private")


class Location(models.TextChoices):
    URBAN = "urban", pgettext_lazy("location", "urban district")
    COUNTY_TOWN = "county_town", pgettext_lazy("location", "county town")
    TOWNSHIP = "township", pgettext_lazy("location", "township")
    VILLAGE = "village", pgettext_lazy("location", "village")


class Standing(models.TextChoices):
    HIGH_QUALITY = "high_quality", _("high-quality")
    ORDINARY = "ordinary", _("ordinary")
    WEAK = "weak", _("weak")


class SchoolStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("school status", "active")
    CLOSED = "closed", pgettext_lazy("school status", "closed")
    MERGED = "merged", pgettext_lazy("school status", "merged")
