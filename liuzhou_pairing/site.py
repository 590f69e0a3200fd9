"""The admin site: its index is each role's home page, and its model list is ordered by the work.

Installed through `SiteConfig` (in place of django.contrib.admin), so `admin.site` and `@admin.register` are this
site. The kernel imports no app: apps register the order of their models (`register_admin_order`) and their home
items (`liuzhou_pairing.home.register_home_items`) in AppConfig.ready().
"""

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .home import home_items, role_and_unit

# app label → (order, model names in the order shown); apps not registered come after, as Django orders them.
ADMIN_ORDER: dict[str, tuple[int, Sequence[str]]] = {}


def register_admin_order(app_label: str, order: int, models: Sequence[str] = ()) -> None:
    """Place `app_label` at `order` in the admin's model list (lower first), its models in the order given."""
    ADMIN_ORDER[app_label] = (order, tuple(models))


class PairingAdminSite(admin.AdminSite):
    site_header = _("Liuzhou school pairing assistance")
    site_title = _("School pairing assistance")
    index_title = _("Home")
    index_template = "admin/home.html"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        last = 1000  # after every registered app
        for app in apps:
            _order, models = ADMIN_ORDER.get(app["app_label"], (last, ()))
            rank = {name: i for i, name in enumerate(models)}
            app["models"].sort(key=lambda m: (rank.get(m["object_name"].lower(), len(rank)), m["name"]))
        return sorted(apps, key=lambda app: ADMIN_ORDER.get(app["app_label"], (last, ()))[0])

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        from .reports import reports_for  # views need the app registry, which this module's import precedes

        unit, role = role_and_unit(request.user)
        context = {
            "home_unit": unit,
            "home_role": role,
            "home_items": home_items(user=request.user, today=timezone.localdate()),
            "home_reports": reports_for(request.user),
            **(extra_context or {}),
        }
        return super().index(request, context)


class SiteConfig(AdminConfig):
    default_site = "liuzhou_pairing.site.PairingAdminSite"
