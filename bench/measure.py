"""The contract between `make bench` (bench/run.py) and the modules that define measures (bench/measure_*.py).

A module `bench/measure_NAME.py` defines `MEASURES: list[Measure]`. For each measure the harness runs, in a fresh
subprocess each (so that its peak resident size is that of the work alone), the project's callable and the floor's
callable `repeat` times, timing each call with `setup` run untimed before it, and counting the SQL statements of the
last call. It then checks the two results with `check` (by default: equal after `normalize`) — a fast wrong answer
fails the bench — and prints project time, floor time, their ratio, the query count and the peak memory.

Callables run inside a configured Django (DJANGO_SETTINGS_MODULE set, `django.setup()` done) against the database of
DATABASE_URL, which already holds the region-scale data `make bench` built. They must leave that database as they
found it (roll back or delete what they add).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _same(project: Any, floor: Any) -> None:
    assert project == floor, "the project's result differs from the floor's"


@dataclass(frozen=True)
class Measure:
    name: str  # shown in the table, e.g. "coverage (R1), whole region"
    project: Callable[[Any], Any]  # (prepared) -> result; what the product does
    floor: Callable[[Any], Any] | None  # (prepared) -> result; the simplest code giving the same result
    goal_ratio: float | None = None  # project time ≤ goal_ratio × floor time
    max_queries: int | None = None  # the project's SQL statements in one call
    setup: Callable[[], Any] = lambda: None  # run untimed before each call; its return value is passed to the call
    teardown: Callable[[Any], None] = lambda prepared: None  # run untimed after each call
    normalize: Callable[[Any], Any] = lambda result: result  # untimed; turns a result into comparable figures/cells
    check: Callable[[Any, Any], None] = _same  # (normalized project, normalized floor); raises AssertionError
    repeat: int = 3  # best of N
    extra: dict = field(default_factory=dict)  # anything else the table should show (e.g. rows)


@dataclass(frozen=True)
class Probe:
    """A measure that is not a project/floor pair (the concurrent-users run): `run()` returns the row's figures as
    a dict with at least "ok" (bool) and "summary" (str), plus any numbers to show."""

    name: str
    run: Callable[[], dict]
    goal: str = ""
