from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from liuzhou_pairing.site import register_admin_order

        # After the pairings, before the schools: the work schools record every week.
        register_admin_order("activities", 15, ["activity", "evidence", "staff", "norm"])

        from liuzhou_pairing.steps import register_demo_step

        from .demo import demo_activities_clear, demo_activities_generate

        # Demo staff and activities on the demo pairings (after pairings' 20 and 30; cleared before them).
        register_demo_step(40, demo_activities_generate, clear=demo_activities_clear)

        # Norms and compliance: the plan's norms loaded after the pairings' cycle (30); home items after theirs.
        from liuzhou_pairing.home import register_home_items
        from liuzhou_pairing.steps import register_load_step

        from .home import compliance_home_items
        from .liuzhou import liuzhou_norms_load

        register_load_step(40, liuzhou_norms_load)
        register_home_items(20, compliance_home_items)
        _register_evidence()
        _register_cases()

        # The kept compliance figures learn of every write that changes them.
        from .figures import connect

        connect()

        # The participants of an activity are searched among the staff of the pairing chosen on the form.
        from liuzhou_pairing.admin import register_autocomplete_choices

        from .selectors import participant_choices

        register_autocomplete_choices(
            "activities",
            "activity",
            "participants",
            lambda user, params: participant_choices(user=user, pairing=params.get("pairing")),
        )


def _register_evidence() -> None:
    """Evidence files are served only to users who see their activity (liuzhou_pairing.views.protected_media)."""
    from liuzhou_pairing.uploads import register_protected_upload

    from .models import Evidence

    register_protected_upload(Evidence, "file")


def _register_cases() -> None:
    """Exemplary cases: their photos served in scope, their page on everyone's home page, what awaits the city
    (cases to accept) and a county (cases returned to it), the activity searched among the chosen pairing's, and
    demo cases after the demo activities."""
    from liuzhou_pairing.admin import register_autocomplete_choices
    from liuzhou_pairing.home import register_home_items
    from liuzhou_pairing.reports import register_report
    from liuzhou_pairing.steps import register_demo_step
    from liuzhou_pairing.uploads import register_protected_upload

    from .case_demo import demo_cases_clear, demo_cases_generate
    from .case_home import case_home_items
    from .case_selectors import case_activity_choices
    from .case_views import CasesView
    from .models import CasePhoto

    register_protected_upload(CasePhoto, "image")
    register_report(CasesView)
    register_home_items(25, case_home_items)
    register_autocomplete_choices(
        "activities",
        "exemplarycase",
        "activity",
        lambda user, params: case_activity_choices(user=user, pairing=params.get("pairing")),
    )
    register_demo_step(45, demo_cases_generate, clear=demo_cases_clear)
