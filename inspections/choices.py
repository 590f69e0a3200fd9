"""Choices of inspections (R28–R31)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    COUNTY_SELF = "county_self", _("county self-inspection")
    CITY_REVIEW = "city_review", _("city re-inspection")
    REGION_SPOT_CHECK = "region_spot_check", _("region spot check")


class ItemKind(models.TextChoices):
    RATING = "rating", _("pass, partly or fail")
    SCORE = "score", _("score")


class ItemResult(models.TextChoices):
    PASS = "pass", pgettext_lazy("checklist result", "pass")
    PARTLY = "partly", pgettext_lazy("checklist result", "partly")
    FAIL = "fail", pgettext_lazy("checklist result", "fail")


class Review(models.TextChoices):
    CONFIRMS = "confirms", _("confirms")
    OVERTURNS = "overturns", _("overturns")


class Rating(models.TextChoices):
    EXCELLENT = "excellent", pgettext_lazy("inspection rating", "excellent")
    GOOD = "good", pgettext_lazy("inspection rating", "good")
    PASS = "pass", pgettext_lazy("inspection rating", "pass")
    FAIL = "fail", pgettext_lazy("inspection rating", "fail")


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("inspection status", "draft")
    SIGNED = "signed", pgettext_lazy("inspection status", "signed")


class FindingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding status", "open")
    RECTIFIED = "rectified", pgettext_lazy("finding status", "rectified")
    VERIFIED = "verified", pgettext_lazy("finding status", "verified")
    REOPENED = "reopened", pgettext_lazy("finding status", "reopened")


# A finding still to be fixed by its school or bureau.
OPEN_STATUSES = (FindingStatus.OPEN, FindingStatus.REOPENED)
