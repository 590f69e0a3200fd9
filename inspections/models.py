"""Inspections at three levels (R28–R31): county self-inspection, city re-inspection, region spot check."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.access import Versioned
from liuzhou_pairing.history import History
from liuzhou_pairing.scope import scope_of
from pairings.models import Pairing, Semester


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
