"""The norms of Liuzhou's 2016 plan (R20, R21, R23), loaded by `load_liuzhou` for its first cycle.

A norm is data the city may change afterwards: loading makes only the norms that are missing and never overwrites
one the city has edited."""

from typing import Any

from django.db import transaction

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.loading import LoadReport
from pairings.choices import Side
from pairings.liuzhou import liuzhou_cycle
from pairings.models import Cycle

from .choices import Kind, NormCounts
from .models import Norm
from .services import norm_save

# Each semester, per pairing, at every stage and tier (柳教基〔2016〕68号).
LIUZHOU_NORMS: tuple[dict[str, Any], ...] = (
    # R20: the recipient seconds at least 2 key staff to the helper (挂职锻炼) …
    {"kind": Kind.SECONDMENT, "counts": NormCounts.PEOPLE, "side": Side.RECIPIENT, "key_staff_only": True,
     "required": 2},
    # … and the helper sends at least 2 key staff to the recipient (派驻指导).
    {"kind": Kind.ONSITE_GUIDANCE, "counts": NormCounts.PEOPLE, "side": Side.HELPER, "key_staff_only": True,
     "required": 2},
    # R21: at least 2 of the helper's teachers teach at the recipient (送教), whatever their post …
    {"kind": Kind.TEACHING_DELIVERY, "counts": NormCounts.PEOPLE, "side": Side.HELPER, "key_staff_only": False,
     "required": 2},
    # … and the recipient's teachers visit the helper at least 2 times.
    {"kind": Kind.OBSERVATION_VISIT, "counts": NormCounts.TIMES, "side": Side.BOTH, "key_staff_only": False,
     "required": 2},
    # R23: at least 2 joint teaching-research activities.
    {"kind": Kind.JOINT_RESEARCH, "counts": NormCounts.TIMES, "side": Side.BOTH, "key_staff_only": False,
     "required": 2},
)  # fmt: skip


@transaction.atomic
def norms_ensure(*, cycle: Cycle, actor: Any = SYSTEM, report: LoadReport | None = None) -> int:
    """Give `cycle` the plan's norms (for every stage and tier) that it does not have yet; an existing norm of the
    same kind, stage and tier is left as it is. Return how many were made."""
    have = set(Norm.objects.filter(cycle=cycle, stage="", tier="").values_list("kind", flat=True))
    created = 0
    for values in LIUZHOU_NORMS:
        if values["kind"] in have:
            continue
        norm_save(norm=Norm(cycle=cycle, stage="", tier="", **values), actor=actor)
        created += 1
    if report is not None:
        report.add("norms", created=created)
    return created


def liuzhou_norms_load(report: LoadReport | None = None) -> LoadReport:
    """Load the plan's norms for Liuzhou's first cycle (made by the pairings' load step before this one)."""
    report = report or LoadReport()
    norms_ensure(cycle=liuzhou_cycle(), actor=SYSTEM, report=report)
    return report
