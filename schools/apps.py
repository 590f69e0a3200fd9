from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("Areas and schools")

    def ready(self) -> None:
        from liuzhou_pairing.site import register_admin_order
        from liuzhou_pairing.steps import register_demo_step, register_load_step

        from .demo import demo_schools_generate
        from .services import areas_load, named_schools_load

        register_load_step(10, areas_load)
        register_load_step(20, named_schools_load)
        # Demo schools are replaced by the generator itself (it deletes the earlier ones first).
        register_demo_step(10, demo_schools_generate)
        register_admin_order("schools", 20, ["school", "county", "managementarea", "township", "village"])
