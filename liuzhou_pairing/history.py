"""Who made a change, and why, for django-simple-history; and how a change reads on a history page."""

import datetime
import functools
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.translation import gettext
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.template_utils import HistoricalRecordContextHelper


def record_actor(instance: Any, actor: Any, reason: str = "") -> None:
    """Make the next save of `instance` record `actor` (a logged-in user) and `reason` in its history."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    if reason:
        instance._change_reason = reason


class CachedHistoryManager(HistoryManager):
    """The history manager, built once per queryset class. django-simple-history's descriptor calls
    `from_queryset` on every access to `instance.history` — once per saved row — and building a manager class
    inspects every queryset method (about a millisecond, most of a history row's cost in a large import)."""

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


def History(**kwargs: Any) -> HistoricalRecords:  # noqa: N802 - used where a field would be, like HistoricalRecords
    """Return the project's HistoricalRecords: every model with a history uses this."""
    return HistoricalRecords(history_manager=CachedHistoryManager, **kwargs)


class ReadableChanges(HistoricalRecordContextHelper):
    """Show each change on a history page as a user reads the record: a choice by its label, yes / no, a related
    record by its name, a date as a date, and an empty value as a dash (django-simple-history shows the stored
    values: "weak → ordinary", "False → True", ids)."""

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if field.many_to_many:
            return super().prepare_delta_change_value(change, value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.BooleanField):
            return gettext("Yes") if value else gettext("No")
        if field.many_to_one:
            if isinstance(value, models.Model):
                return str(value)
            related = field.related_model._base_manager.filter(pk=value).first()
            return str(related) if related is not None else "—"
        if isinstance(value, datetime.date | datetime.datetime):
            return formats.date_format(value, "DATETIME_FORMAT" if isinstance(value, datetime.datetime) else None)
        return value
