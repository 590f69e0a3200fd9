from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.uploads import register_protected_upload


class PairingsConfig(AppConfig):
    name = "pairings"
    verbose_name = _("Pairings")

    def ready(self) -> None:
        from .models import Agreement, WorkPlan

        # Signed agreements and stamped work plans are served only to users who may see their record.
        register_protected_upload(Agreement, "scan")
        register_protected_upload(WorkPlan, "document")
