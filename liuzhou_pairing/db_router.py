"""Reports and exports read from a read replica when one is configured (`DATABASE_REPLICA_URL`).

Only code that reads much and writes nothing runs inside `reading_replica()` (a context manager and decorator: the
report pages, the export views and the export task); there, reads go to the "replica" alias. Writes, and every read
outside it, go to "default", so a page never reads its own write from a replica that lags behind. Settings install
`ReplicaRouter` only when the replica is set; without it every query goes to "default" as before.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

REPLICA = "replica"

_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_replica", default=False)


@contextmanager
def reading_replica() -> Iterator[None]:
    """`with reading_replica():` or `@reading_replica()`: reads inside go to the replica, when there is one."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


@contextmanager
def reading_primary() -> Iterator[None]:
    """`with reading_primary():` reads inside go to "default" even within `reading_replica()` (what is counted there
    is kept as true of the primary's data)."""
    token = _reading_replica.set(False)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def replica_active() -> bool:
    """Whether reads now go to the replica (inside `reading_replica()` with a replica configured)."""
    return _reading_replica.get() and REPLICA in connections.settings


class ReplicaRouter:
    """Send reads inside `reading_replica()` to the replica; everything else to "default"."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if replica_active() else "default"

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same rows: an object read from the replica may be related to one from default.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # The replica follows the primary by replication; migrations run on the primary only.
        return db == "default"
