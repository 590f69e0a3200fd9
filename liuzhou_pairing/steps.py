"""What the kernel's commands run, registered by each app in its AppConfig.ready().

`load_liuzhou` and `generate_demo` belong to the project, but the work belongs to the apps; the kernel
imports no app, so each app registers its steps here with an order (lower first; an app's steps come after
those of the apps it depends on).
"""

from collections.abc import Callable
from dataclasses import dataclass

DEMO_SCALES = ("liuzhou", "region")


@dataclass(frozen=True)
class DemoStep:
    order: int
    generate: Callable[..., int | tuple[int, str]]  # (*, seed, scale) -> how many records were made [, a note]
    clear: Callable[[], int] | None = None  # removes what `generate` made, before any app generates anew


LOAD_STEPS: dict[str, tuple[int, Callable]] = {}
DEMO_STEPS: dict[str, DemoStep] = {}


def register_load_step(order: int, step: Callable) -> None:
    """Register `step(report=...)` to run in `load_liuzhou` (idempotent reference data)."""
    LOAD_STEPS[f"{step.__module__}.{step.__qualname__}"] = (order, step)


def register_demo_step(order: int, generate: Callable, clear: Callable | None = None) -> None:
    """Register `generate(seed=, scale=)` (and `clear()`) to run in `generate_demo`."""
    DEMO_STEPS[f"{generate.__module__}.{generate.__qualname__}"] = DemoStep(order, generate, clear)


def load_steps() -> list[Callable]:
    return [step for _order, step in sorted(LOAD_STEPS.values(), key=lambda item: item[0])]


def demo_steps() -> list[DemoStep]:
    return sorted(DEMO_STEPS.values(), key=lambda step: step.order)
