from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Work a user started that runs in the background (a large export): its progress and its result file."""

    name = "jobs"
    verbose_name = _("Background work")

    def ready(self) -> None:
        # The task engine's own list of queued tasks is for operators (its pages are English): not on the site.
        from django.contrib import admin
        from django_tasks.backends.database.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)

        # What each kind of job runs (the admin exports).
        from . import exports  # noqa: F401
