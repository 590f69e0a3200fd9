"""Admin forms of the pairings app: the model's fields as the services list them, and a reason for the
history. The services decide everything else and their refusals come back onto these forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Cycle, DistrictPairing, Pairing
from .services import CYCLE_FIELDS, DISTRICT_PAIRING_FIELDS, PAIRING_FIELDS


class ReasonForm(forms.ModelForm):
    """A form with a reason for the change, kept in the record's history."""

    reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Kept in the history. Required when changing a city-fixed arrangement or a cycle."),
    )


class PairingAdminForm(ReasonForm):
    class Meta:
        model = Pairing
        fields = list(PAIRING_FIELDS)


class CycleAdminForm(ReasonForm):
    class Meta:
        model = Cycle
        fields = list(CYCLE_FIELDS)


class DistrictPairingAdminForm(ReasonForm):
    class Meta:
        model = DistrictPairing
        fields = list(DISTRICT_PAIRING_FIELDS)
