"""Who made a change, and why, for django-simple-history."""

from typing import Any


def record_actor(instance: Any, actor: Any, reason: str = "") -> None:
    """Make the next save of `instance` record `actor` (a logged-in user) and `reason` in its history."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    if reason:
        instance._change_reason = reason
