"""Who made a change, and why, for django-simple-history."""

import functools
from typing import Any

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords


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
