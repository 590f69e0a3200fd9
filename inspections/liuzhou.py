"""The checklist of Liuzhou's 2016 plan (R28 四有, R30), loaded by `load_liuzhou` for every level.

The checklist is data the city may change afterwards: loading makes only the items that are missing and never
overwrites one the city has edited."""

from typing import Any

from django.db import transaction

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.loading import LoadReport

from .choices import ItemKind, Level
from .models import ChecklistItem
from .services import checklist_item_save

# (code, text): 1.x R28 the four in place (四有), then 2.x R30 what the inspection judges of the work. The codes are
# what users see: no requirement IDs.
LIUZHOU_CHECKLIST: tuple[tuple[str, str], ...] = (
    ("1.1", "有组织：成立结对帮扶工作领导小组，明确责任人"),
    ("1.2", "有计划：制定结对帮扶工作计划"),
    ("1.3", "有方案：一对帮扶一精准方案"),
    ("1.4", "有督查：建立督查机制并开展督查"),
    ("2.1", "计划制定情况"),
    ("2.2", "计划落实情况"),
    ("2.3", "工作进展情况"),
    ("2.4", "帮扶成效"),
)


@transaction.atomic
def checklist_ensure(*, actor: Any = SYSTEM, report: LoadReport | None = None) -> int:
    """Give every level the plan's checklist items it does not have yet (by code). Return how many were made."""
    have = set(ChecklistItem.objects.values_list("level", "code"))
    created = 0
    for level in Level.values:
        for order, (code, text) in enumerate(LIUZHOU_CHECKLIST, start=1):
            if (level, code) in have:
                continue
            item = ChecklistItem(level=level, code=code, text=text, kind=ItemKind.RATING, order=order * 10)
            checklist_item_save(item=item, actor=actor)
            created += 1
    if report is not None:
        report.add("checklist items", created=created)
    return created


def liuzhou_checklist_load(report: LoadReport | None = None) -> LoadReport:
    report = report or LoadReport()
    checklist_ensure(actor=SYSTEM, report=report)
    return report
