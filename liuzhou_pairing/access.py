"""What every service that writes does around its own checks: refuse an actor who may not, refuse a stale
edit, and make sure the saved object still lies in the actor's area before the transaction commits.

Services raise `NotAllowed` (who may not) and `ValidationError` (what is wrong, including `StaleEdit`); the
admin, imports, pages and commands show their Chinese messages as they are.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .history import record_actor

STALE_MESSAGE = gettext_lazy("This record has been changed by someone else; reload the page and try again.")


class NotAllowed(PermissionDenied):
    """The actor may not do this to this object now. The message is written for the user."""

    def __init__(self, message: Any) -> None:
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class StaleEdit(ValidationError):
    """The edit started from a version of the record that is no longer the stored one."""

    def __init__(self) -> None:
        super().__init__(str(STALE_MESSAGE), code="stale")


class Versioned(models.Model):
    """A record edited by people: every save through a service increments `version`, and an edit that
    started from an older version is refused (optimistic locking), so nothing is silently overwritten."""

    version = models.PositiveIntegerField(gettext_lazy("version"), default=1, editable=False)

    class Meta:
        abstract = True


def may_change(instance: models.Model, actor: Any) -> bool:
    """Return whether `actor` may change the stored `instance` (its model's `editable_by`)."""
    return type(instance)._default_manager.editable_by(actor).filter(pk=instance.pk).exists()


def require_may_change(instance: models.Model, actor: Any) -> None:
    if not may_change(instance, actor):
        raise NotAllowed(_("You may not change this record: it is outside your area of responsibility."))


def require(condition: bool, message: Any) -> None:
    """Raise NotAllowed with `message` unless `condition` holds."""
    if not condition:
        raise NotAllowed(message)


def stored_for_update(instance: models.Model, expected_version: int | None = None) -> models.Model:
    """Return the stored row of `instance`, locked for the transaction; refuse if it is no longer the version
    the edit started from."""
    stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and stored.version != expected_version:
        raise StaleEdit()
    return stored


def changed_fields(stored: models.Model | None, instance: models.Model, names: list[str] | set[str]) -> set[str]:
    """Return the names among `names` whose value in `instance` differs from `stored` (all, for a new row)."""
    if stored is None:
        return set(names)
    changed = set()
    for name in names:
        field = instance._meta.get_field(name)
        attname = field.attname
        before, after = getattr(stored, attname), getattr(instance, attname)
        if isinstance(field, models.FileField):
            before, after = (before.name or "") if before else "", (after.name or "") if after else ""
        if before != after:
            changed.add(name)
    return changed


def save_checked(
    instance: models.Model,
    *,
    actor: Any,
    stored: models.Model | None = None,
    reason: str = "",
    clean: bool = True,
) -> models.Model:
    """Validate and save `instance` for `actor` inside the caller's transaction, then refuse (rolling the
    transaction back) if it no longer lies in the actor's area — the NetBox re-check of restricted querysets.
    `stored` is the locked row the change started from (None for a new row)."""
    if clean:
        instance.full_clean()
    if isinstance(instance, Versioned):
        instance.version = (stored.version if stored is not None else 0) + 1
    record_actor(instance, actor, reason)
    instance.save()
    if not type(instance)._default_manager.in_area_of(actor).filter(pk=instance.pk).exists():
        raise NotAllowed(_("This change would put the record outside your area of responsibility; nothing was saved."))
    return instance
