from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingsConfig(AppConfig):
    name = "pairings"
    verbose_name = _("Pairings")

    def ready(self) -> None:
        from liuzhou_pairing.admin import register_autocomplete_choices

        from .selectors import pairable_schools

        # Choosing the two schools of a pairing, a county bureau may name schools of the county it is paired
        # with (R8, R11, R12), which it does not otherwise see.
        for field in ("helper", "recipient"):
            register_autocomplete_choices(
                "pairings", "pairing", field, lambda user: pairable_schools(user=user).active()
            )
