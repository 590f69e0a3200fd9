"""What every service that writes does around its own checks: refuse an actor who may not, refuse a stale
edit, and make sure the saved object still lies in the actor's area before the transaction commits.

Services raise `NotAllowed` (who may not) and `ValidationError` (what is wrong, including `StaleEdit`); the
admin, imports, pages and commands show their Chinese messages as they are.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .history import record_actor

# Rows a bulk INSERT or UPDATE sends in one statement.
BATCH_SIZE = 500

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


class _NotInPython(Exception):
    """A condition the Python check does not evaluate; the database is asked instead."""


def _value(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    return getattr(instance, field.attname)


def _holds(instance: models.Model, condition: Any) -> bool:
    """Evaluate a simple Q condition (exact, isnull, in, gt(e), lt(e) on the row's own fields, F of its own fields)
    against `instance` in Python; raise _NotInPython for anything else."""
    if isinstance(condition, models.Q):
        results = (_holds(instance, child) for child in condition.children)
        result = all(results) if condition.connector == models.Q.AND else any(results)
        return not result if condition.negated else result
    lookup, expected = condition
    name, _, kind = lookup.partition("__")
    if "__" in kind:
        raise _NotInPython
    actual = _value(instance, name)
    if isinstance(expected, models.F):
        expected = _value(instance, expected.name)
    elif isinstance(expected, models.Model):
        expected = expected.pk
    if kind == "isnull":
        return (actual is None) == bool(expected)
    if actual is None or expected is None:
        # SQL compares NULL to nothing (the database lets such a row pass); leave that case to the database.
        raise _NotInPython
    if kind in ("", "exact"):
        return actual == expected
    if kind == "in":
        return actual in expected
    comparisons = {"gt": actual.__gt__, "gte": actual.__ge__, "lt": actual.__lt__, "lte": actual.__le__}
    if kind not in comparisons:
        raise _NotInPython
    return comparisons[kind](expected)


def validate_constraints(instance: models.Model, *, unique: bool = True) -> None:
    """Check the model's constraints as full_clean would, evaluating simple check constraints in Python rather
    than with a query each; unique constraints and anything else are asked of the database. With `unique` False
    unique constraints are left to the caller, which checks a whole batch at once."""
    errors: dict[str, list] = {}
    for constraint in instance._meta.constraints:
        if not unique and isinstance(constraint, models.UniqueConstraint):
            continue
        if isinstance(constraint, models.CheckConstraint):
            try:
                if not _holds(instance, constraint.condition):
                    errors.setdefault("__all__", []).append(
                        ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
                    )
                continue
            except _NotInPython:
                pass
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is not None:
            try:
                if not _holds(instance, constraint.condition):
                    continue  # the row is outside the constraint (a school without a national code)
            except _NotInPython:
                pass
        try:
            constraint.validate(type(instance), instance)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def loaded_relations(instance: models.Model) -> list[str]:
    """Return the names of `instance`'s foreign keys whose saved objects are already loaded: validating them again
    would look each up in the database, whose foreign keys guard them anyway."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if field.is_relation and field.is_cached(instance) and getattr(instance, field.name) is not None
        and getattr(instance, field.name).pk is not None
    ]  # fmt: skip


def full_clean(instance: models.Model, *, unique: bool = True) -> None:
    """Validate `instance` as Model.full_clean does, with fewer queries: related objects already loaded are not
    looked up again (the database's foreign keys still guard them), and simple check constraints are evaluated in
    Python. With `unique` False uniqueness is left to the caller (a batch checks it for all its rows at once)."""
    loaded = loaded_relations(instance)
    errors: dict[str, list] = {}
    for step in (lambda: instance.clean_fields(exclude=loaded), instance.clean):
        try:
            step()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    # As Model.full_clean: uniqueness and constraints are checked for the fields that passed.
    if unique:
        try:
            instance.validate_unique(exclude=set(errors))
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if not errors:
        try:
            validate_constraints(instance, unique=unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


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
        full_clean(instance)
    if isinstance(instance, Versioned):
        instance.version = (stored.version if stored is not None else 0) + 1
    record_actor(instance, actor, reason)
    instance.save()
    if not type(instance)._default_manager.in_area_of(actor).filter(pk=instance.pk).exists():
        raise NotAllowed(_("This change would put the record outside your area of responsibility; nothing was saved."))
    return instance


# Sent by `save_checked_many` (which writes in bulk, sending no save signals) with the instances it saved, `new` and
# `changed`: what listens to post_save for a model listens to this too.
saved_many = Signal()


def save_checked_many(
    instances: list[models.Model], *, actor: Any, stored: dict[Any, models.Model] | None = None, reason: str = ""
) -> list[models.Model]:
    """Do what `save_checked` does for many instances of one model at once, each already validated by its service:
    versions, one INSERT for the new rows and one UPDATE for the changed ones (per database batch), their history
    rows in bulk, and one query that each still lies in the actor's area (else NotAllowed, which rolls the caller's
    transaction back). `stored` maps the pk of each changed instance to its locked stored row.

    Bulk writes send no save signals; the history rows are written here instead."""
    if not instances:
        return instances
    model = type(instances[0])
    stored = stored or {}
    new = [i for i in instances if i.pk is None]
    changed = [i for i in instances if i.pk is not None]
    for instance in instances:
        if isinstance(instance, Versioned):
            before = stored.get(instance.pk) if instance.pk is not None else None
            instance.version = (before.version if before is not None else 0) + 1
        record_actor(instance, actor, reason)
    manager = model._default_manager
    if new:
        manager.bulk_create(new, batch_size=BATCH_SIZE)
    if changed:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        for instance in changed:  # what save() does before an UPDATE: auto_now dates, files committed to storage
            for field in fields:
                setattr(instance, field.attname, field.pre_save(instance, False))
        manager.bulk_update(changed, [f.name for f in fields], batch_size=BATCH_SIZE)
    saved_many.send(sender=model, new=new, changed=changed)
    history = getattr(model, "history", None)
    if history is not None:
        for rows, update in ((new, False), (changed, True)):
            if rows:
                history.bulk_history_create(rows, update=update, default_change_reason=reason, batch_size=BATCH_SIZE)
    refuse_outside_area(instances, actor=actor)
    return instances


def refuse_outside_area(instances: list[models.Model], *, actor: Any) -> None:
    """Raise NotAllowed (rolling the caller's transaction back) naming the saved `instances` of one model that do
    not lie in `actor`'s area — one query however many."""
    if not instances:
        return
    manager = type(instances[0])._default_manager
    inside = set(manager.in_area_of(actor).filter(pk__in=[i.pk for i in instances]).values_list("pk", flat=True))
    outside = [str(i) for i in instances if i.pk not in inside]
    if outside:
        raise NotAllowed(
            _(
                "This change would put these records outside your area of responsibility; nothing was saved: "
                "%(records)s."
            )
            % {"records": "、".join(outside[:10])}
        )
