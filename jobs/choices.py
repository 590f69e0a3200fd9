from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("running")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


class Kind(models.TextChoices):
    EXPORT = "export", _("export")
