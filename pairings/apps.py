from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.uploads import register_protected_upload


class PairingsConfig(AppConfig):
    name = "pairings"
    verbose_name = _("Pairings")

    def ready(self) -> None:
        from liuzhou_pairing.admin import register_autocomplete_choices
        from liuzhou_pairing.home import register_home_items
        from liuzhou_pairing.reports import register_report
        from liuzhou_pairing.site import register_admin_order
        from liuzhou_pairing.steps import register_demo_step, register_load_step
        from schools.services import register_school_change_check

        from .arrangement_views import ARRANGEMENT_TABLES
        from .demo import demo_pairings_clear, demo_pairings_generate, demo_records_clear, demo_records_generate
        from .home import pairing_home_items
        from .liuzhou import liuzhou_arrangements_load
        from .selectors import pairing_school_choices
        from .services import pairings_follow_school
        from .views import REPORTS

        register_load_step(30, liuzhou_arrangements_load)
        register_demo_step(20, demo_pairings_generate, clear=demo_pairings_clear)
        register_demo_step(30, demo_records_generate, clear=demo_records_clear)
        register_school_change_check(pairings_follow_school)
        register_home_items(10, pairing_home_items)
        for report in [*REPORTS, *ARRANGEMENT_TABLES]:
            register_report(report)
        # The admin's model list puts the work first: pairings, then schools (see schools/apps.py), then areas.
        register_admin_order("pairings", 10, ["pairing", "agreement", "workplan", "cycle", "semester",
                                              "districtpairing"])  # fmt: skip

        # Choosing the two schools of a pairing, a county bureau may name schools of the county it is paired
        # with (R8, R11, R12), which it does not otherwise see; the choices follow the stage chosen on the form.
        for field in ("helper", "recipient", "lead_school"):
            register_autocomplete_choices(
                "pairings",
                "pairing",
                field,
                lambda user, params: pairing_school_choices(user=user, stage=params.get("stage")),
            )

        from .models import Agreement, WorkPlan, WorkPlanAttachment

        # Signed agreements and stamped work plans are served only to users who may see their record.
        register_protected_upload(Agreement, "scan")
        register_protected_upload(WorkPlan, "document")
        register_protected_upload(WorkPlanAttachment, "file")
