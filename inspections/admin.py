"""Admin pages of inspections."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from liuzhou_pairing.admin import ScopedAdminMixin, ServiceAdminMixin, adopt
from liuzhou_pairing.home import county_display_name
from pairings.selectors import current_semester

from .models import SpotCheck
from .sampling import recipient_county_code
from .services import may_record_spot_check, spot_check_draw, spot_check_seed

# --- Region spot check (自治区抽查) --------------------------------------------------------------------------------


# What each field of a draw means, on the add page (a recorded sample's page shows the values only).
HELP_TEXTS = {
    "size": _(
        "How many active pairings to draw. Every county with pairings gets one when the size allows; "
        "the rest is shared in proportion to the counties' pairings."
    ),
    "seed": _(
        "A random number chosen for you. The same seed on the same pairings draws the same sample, "
        "so anyone can check the draw."
    ),
    "reason": _("Why the sample is drawn; kept with it."),
}


class SpotCheckAddForm(forms.ModelForm):
    """What the region inspector chooses for a draw; the service draws and records the pairings."""

    class Meta:
        model = SpotCheck
        fields = ["semester", "size", "seed", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            return  # a recorded sample's page shows it read-only
        for name, text in HELP_TEXTS.items():
            self.fields[name].help_text = text
        if self.is_bound:
            return
        self.fields["seed"].initial = spot_check_seed()
        semester = current_semester()
        if semester is not None:
            self.fields["semester"].initial = semester.pk


@admin.register(SpotCheck)
class SpotCheckAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Spot-check samples (自治区抽查): drawn and recorded by the region inspector through `spot_check_draw`, read
    by the region, the city and city-wide inspectors; a recorded sample is never changed."""

    form = SpotCheckAddForm
    list_display = ["semester", "size", "seed", "drawn_count", "drawn_by_shown", "reason", "drawn_at"]
    list_filter = ["semester"]
    list_select_related = ["semester", "drawn_by"]
    readonly_fields = ["drawn_by_shown", "drawn_at", "sample_shown"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("pairings")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["semester", "size", "seed", "reason"]
        return ["semester", "size", "seed", "reason", "drawn_by_shown", "drawn_at", "sample_shown"]

    def add_view(self, request, form_url="", extra_context=None):
        # One button: saving draws and records the sample, whose page then lists the pairings drawn.
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False, "show_save_and_continue": False}
        return super().add_view(request, form_url, extra_context)

    def has_add_permission(self, request, *args):
        # The region inspector changes nothing else (its scope does not write), but it draws the samples.
        return admin.ModelAdmin.has_add_permission(self, request) and may_record_spot_check(request.user)

    @admin.display(description=_("pairings drawn"))
    def drawn_count(self, obj: SpotCheck) -> int:
        return len(obj.pairings.all())

    @admin.display(description=_("drawn by"), ordering="drawn_by__username")
    def drawn_by_shown(self, obj: SpotCheck) -> str:
        if obj.drawn_by is None:
            return gettext("the system (on the server)")
        return obj.drawn_by.get_full_name() or obj.drawn_by.username

    @admin.display(description=_("pairings drawn"))
    def sample_shown(self, obj: SpotCheck) -> str:
        pairings = sorted(
            obj.pairings.select_related("helper", "recipient__county"),
            key=lambda p: (recipient_county_code(p), p.pk),
        )
        if not pairings:
            return "—"
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td></tr>',
            (
                (county_display_name(p.recipient.county), reverse("admin:pairings_pairing_change", args=[p.pk]),
                 p.helper.name, p.recipient.name)
                for p in pairings
            ),
        )  # fmt: skip
        return format_html(
            '<table class="spot-check-sample"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            gettext("county"),
            gettext("helper"),
            gettext("recipient"),
            rows,
        )

    def save_model(self, request, obj, form, change):
        sample, saved = spot_check_draw(
            semester=obj.semester, size=obj.size, seed=obj.seed, actor=request.user, reason=obj.reason
        )
        adopt(obj, saved)
        request._spot_check_count = len(sample)

    def save_related(self, request, form, formsets, change):
        # The service set the pairings drawn; the form holds none.
        pass

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(
            request,
            gettext("%(count)s pairings were drawn with seed %(seed)s and recorded.")
            % {"count": getattr(request, "_spot_check_count", 0), "seed": obj.seed},
        )
        return HttpResponseRedirect(reverse("admin:inspections_spotcheck_change", args=[obj.pk]))
