"""Records with follow-ups of every kind, for the follow-up tests (no tests in here)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from test_report_helpers import at, make, visit_answers, write

from fieldkit.records.models import ChecklistSnapshot, StepAnswer, VisitRecord
from fieldkit.text import Text

INSPECTION_YAML = """\
schema: 1
id: mini-inspection
version: "1.0"
kind: inspection
title: {zh: 机房巡检, en: Room inspection}
description: {zh: 测试用, en: for tests}
steps:
  - {id: ups_battery, type: check, title: {zh: UPS 电池, en: UPS battery}}
  - {id: problems_found, type: followups, title: {zh: 问题, en: Problems}}
"""


def items_answer(step_id: str, at_: datetime, items: list[dict[str, str]]) -> StepAnswer:
    return StepAnswer(step_id=step_id, step_type="followups", value=items, answered_at=at_)


def inspection(started: datetime, items: list[dict[str, str]], **options: object) -> VisitRecord:
    """An inspection that found problems (its UPS check failed)."""
    answers = [
        StepAnswer(step_id="ups_battery", step_type="check", value=False, passed=False,
                   answered_at=started),
        items_answer("problems_found", started, items),
    ]
    record = make("visit", started=started, answers=answers, **options)  # type: ignore[arg-type]
    snapshot = ChecklistSnapshot.from_source(
        INSPECTION_YAML, id="mini-inspection", version="1.0", kind="inspection",
        title=Text(zh="机房巡检", en="Room inspection"),
    )
    changed = record.model_copy(update={"checklist": snapshot, "digest": None})
    return changed if record.digest is None else changed.sealed()


def repair(started: datetime, items: list[dict[str, str]], **options: object) -> VisitRecord:
    answers = [items_answer("actions_needed", started, items)]
    return make("repair", started=started, answers=answers, **options)  # type: ignore[arg-type]


def customer_visit(
    started: datetime, items: list[dict[str, str]], **options: object
) -> VisitRecord:
    return make(  # type: ignore[arg-type]
        "visit", started=started, answers=visit_answers(started, "陈经理", items), **options
    )


def item(problem: str, due: str, owner: str = "张三") -> dict[str, str]:
    return {"problem": problem, "owner": owner, "due": due}


def team(root: Path) -> dict[str, VisitRecord]:
    """One visit of each kind with follow-ups (report date: test_report_helpers.TODAY,
    2024-06-01), in `root` as an engineer's records folder."""
    records = {
        "inspection": inspection(at(6), [item("UPS 电池鼓包", "2024-05-10"),
                                         item("空调滤网脏", "2024-07-01", "李四")]),
        "repair": repair(at(7), [item("更换尾纤", "2024-06-20", "王工")]),
        "visit": customer_visit(at(8), [item("希望提升带宽", "2024-05-20", "李四")]),
        "aborted": inspection(at(9), [item("机柜门锁坏", "2024-05-15")], status="aborted"),
        "in_progress": inspection(at(10), [item("接地线松动", "2024-06-30")],
                                  status="in_progress"),
    }
    for record in records.values():
        write(root, record)
    return records
