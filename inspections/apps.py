from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections")

    def ready(self) -> None:
        _register_inspections()
        _register_home()
        _register_reports()


def _register_inspections() -> None:
    """The checklist loaded after the norms; reports and rectification evidence served only to those who see
    their record; the admin's order after the activities."""
    from liuzhou_pairing.site import register_admin_order
    from liuzhou_pairing.steps import register_load_step
    from liuzhou_pairing.uploads import register_protected_upload

    from .liuzhou import liuzhou_checklist_load
    from .models import Finding, Inspection

    register_load_step(50, liuzhou_checklist_load)
    _register_demo()
    register_protected_upload(Inspection, "report")
    register_protected_upload(Finding, "rectification_file")
    register_admin_order("inspections", 18, ["inspection", "finding", "spotcheck", "checklistitem"])


def _register_demo() -> None:
    """Demo inspections, findings and a spot-check sample after the demo activities (40); cleared before them."""
    from liuzhou_pairing.steps import register_demo_step

    from .demo import demo_inspections_clear, demo_inspections_generate

    register_demo_step(50, demo_inspections_generate, clear=demo_inspections_clear)


def _register_home() -> None:
    """The home page's items of the inspections: before the activities' long list of norms per pairing (20)."""
    from liuzhou_pairing.home import register_home_items

    from .home import inspection_home_items

    register_home_items(15, inspection_home_items)


def _register_reports() -> None:
    """The report pages (the special inspection, the assessment input, the rectification list) on the home page."""
    from liuzhou_pairing.reports import register_report

    from . import semester_views
    from .views import REPORTS

    for report in REPORTS:
        register_report(report)
    # The semester compliance report (its list page behind the figures is reached from it, not listed).
    for report in semester_views.REPORTS:
        register_report(report)
