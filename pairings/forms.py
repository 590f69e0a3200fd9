"""Forms that run the plan's rules before anything is saved, so that users see refusals as form errors."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import PairingStatus, WorkPlanStatus
from .models import Pairing, WorkPlan
from .rules import Draft, evaluate
from .services import CONTACT_FIELDS, can_change_city_fixed, can_review_work_plans, work_plan_transition_check


class PairingAdminForm(forms.ModelForm):
    """The pairing form of the admin: rules, the R16 lock and a change reason."""

    reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Required when changing or ending a city-fixed arrangement (R16); kept in the history."),
    )

    class Meta:
        model = Pairing
        fields = [
            "cycle",
            "stage",
            "tier",
            "helper",
            "recipient",
            "lead_school",
            "arranged_by",
            "arranged_by_county",
            "is_city_fixed",
            "status",
            "ended_on",
            "end_reason",
            *sorted(CONTACT_FIELDS),
        ]

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.original = Pairing.objects.get(pk=self.instance.pk) if self.instance.pk else None

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        original = self.original
        locked = bool(original and original.is_city_fixed) or data.get("is_city_fixed")
        arrangement_changed = set(self.changed_data) - CONTACT_FIELDS - {"reason"}
        if locked and (arrangement_changed or original is None):
            if not can_change_city_fixed(self.actor):
                raise ValidationError(_("City-fixed arrangements are changed only by the city bureau (R16)."))
            if original is not None and not data.get("reason", "").strip():
                self.add_error("reason", _("Give the reason for changing a city-fixed arrangement (R16)."))
        if data.get("status") == PairingStatus.ENDED and (original is None or original.status != PairingStatus.ENDED):
            if original is None:
                self.add_error("status", _("A new pairing is proposed or active; end it afterwards."))
            if not data.get("ended_on"):
                self.add_error("ended_on", _("Give the date the pairing ended."))
        if original is not None and original.status == PairingStatus.ENDED and arrangement_changed:
            raise ValidationError(_("An ended pairing is kept as a record and is not changed."))
        try:
            self.warnings = evaluate(
                Draft(
                    helper=data["helper"],
                    recipient=data["recipient"],
                    stage=data["stage"],
                    tier=data["tier"],
                    cycle=data["cycle"],
                    is_city_fixed=bool(data.get("is_city_fixed")),
                    pk=self.instance.pk,
                )
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(None if field == "__all__" else field, messages)
        return data


class WorkPlanAdminForm(forms.ModelForm):
    """The work-plan form of the admin: status changes follow submit → accept / return (R25)."""

    class Meta:
        model = WorkPlan
        fields = ["cycle", "county", "school", "status", "submitted_on", "document", "has_arrangement_tables",
                  "return_reason"]  # fmt: skip

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk and "status" in data:
            stored_status = WorkPlan.objects.values_list("status", flat=True).get(pk=self.instance.pk)
            reviewing = data["status"] in (WorkPlanStatus.ACCEPTED, WorkPlanStatus.RETURNED)
            if reviewing and data["status"] != stored_status and not can_review_work_plans(self.actor):
                self.add_error("status", _("Only the city bureau accepts or returns work plans (R25)."))
                return data
            stored = WorkPlan.objects.get(pk=self.instance.pk)
            try:
                work_plan_transition_check(
                    plan=stored,
                    status=data["status"],
                    has_arrangement_tables=data.get("has_arrangement_tables", False),
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return data
