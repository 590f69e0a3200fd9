from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from liuzhou_pairing.steps import register_demo_step

        from .demo import demo_accounts_park, demo_accounts_return

        # Groups need the permissions that post_migrate creates, so they are kept in step right after it.
        post_migrate.connect(_sync_roles, sender=self)
        # Demo school accounts step aside while generate_demo replaces the demo schools (its clears run last first).
        register_demo_step(90, demo_accounts_return, clear=demo_accounts_park)


def _sync_roles(sender, using="default", apps=None, **kwargs) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    from .services import roles_sync

    # Apps after this one in INSTALLED_APPS get their permissions later in the same post_migrate round;
    # create them now (idempotent) so that every group gets all of its permissions.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    roles_sync(using=using)
