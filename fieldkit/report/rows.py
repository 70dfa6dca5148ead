"""The tables every exporter writes: visits, steps, pings and follow-ups, column by column.

Columns are defined once here, with their type, so that CSV, XLSX and HTML agree and the
column list in docs/reports.md is this list. Cells are Python values (str, int, float, bool,
datetime, date or None); each exporter formats them its own way (ISO text in CSV, real
dates and numbers in XLSX).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fieldkit.records.models import StepAnswer, VisitRecord
from fieldkit.report.facts import VisitFacts, ping_verdicts, visit_facts
from fieldkit.report.summary import Summary
from fieldkit.report.titles import StepTitles
from fieldkit.sla import Sla

Cell = str | int | float | bool | datetime | date | None


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, int, number, bool, datetime, date
    width: int  # characters, for XLSX
    help: str  # one line for docs/reports.md


VISIT_COLUMNS = [
    Column("visit_id", "text", 28, "the visit's id (UTC start time + random part)"),
    Column("checklist_id", "text", 16, "the checklist run"),
    Column("checklist_version", "text", 9, "its version as run"),
    Column("kind", "text", 10, "turnup, inspection, visit, repair or tools"),
    Column("checklist_title", "text", 28, "the checklist's title as run (--lang)"),
    Column("engineer", "text", 12, "who did the visit"),
    Column("customer", "text", 28, "the customer (masked with --redact)"),
    Column("site", "text", 30, "the site address (masked with --redact)"),
    Column("order", "text", 16, "the work-order number"),
    Column("order_type", "text", 10, "the order type's id in data/sla.yaml"),
    Column("grade", "text", 9, "the customer grade's id in data/sla.yaml"),
    Column("status", "text", 11, "completed, in_progress or aborted"),
    Column("outcome", "text", 8, "completed visits: passed/failed (turn-ups, packing), "
           "restored/not_restored (repairs), completed (inspections, customer visits)"),
    Column("started_at", "datetime", 20, "start, ISO 8601 with the engineer's offset"),
    Column("finished_at", "datetime", 20, "end, ISO 8601 with offset (empty while in progress)"),
    Column("onsite_minutes", "number", 9, "finished_at − started_at of a completed visit"),
    Column("steps_answered", "int", 8, "answers that are not skipped"),
    Column("steps_failed", "int", 8, "failed steps that are failures for the kind (not findings)"),
    Column("steps_skipped", "int", 8, "skipped steps"),
    Column("failed_steps", "text", 24, "ids of those failed steps, ';'-separated"),
    Column("findings", "text", 24, "ids of the failed steps that are findings, ';'-separated"),
    Column("ping_attempts", "int", 8, "ping attempts over all ping steps"),
    Column("ping_first_verdict", "text", 14, "verdict of the first ping attempt"),
    Column("ping_last_verdict", "text", 14, "verdict of the last ping attempt"),
    Column("first_time_pass", "bool", 9, "turn-ups only: the first-time-pass definition"),
    Column("repair_hours", "number", 9, "repairs: restored_at − fault_reported_at"),
    Column("business_category", "text", 14, "repairs: the business category recorded"),
    Column("fault_channel", "text", 14, "repairs: how the fault was reported"),
    Column("repair_limit", "text", 12, "repairs: the matching data/sla.yaml limit, e.g. 12 h"),
    Column("repair_limit_hours", "number", 9, "repairs: that limit in hours (empty in days)"),
    Column("repair_limit_source", "text", 8, "repairs: seed or assumed (the row's source)"),
    Column("repair_within_limit", "bool", 9,
           "repairs: restored by the limit's deadline; empty when no limit is known"),
    Column("satisfaction", "text", 12,
           "the customer's rating: satisfied, mostly_satisfied or dissatisfied"),
    Column("visit_mode", "text", 8, "customer visits: sms, phone or on_site"),
    Column("followups_open", "int", 8, "follow-up items not closed (overdue ones included)"),
    Column("followups_overdue", "int", 8, "open items due before the report's date"),
    Column("followups_closed", "int", 8, "items with a closure"),
    Column("abort_reason", "text", 24, "why an aborted visit was aborted"),
    Column("changed", "bool", 8, "kept by --include-changed although its digest disagrees"),
    Column("fieldkit_version", "text", 9, "the fieldkit that wrote the record"),
    Column("source", "text", 40, "the file (or bundle!entry) the record was read from"),
]

STEP_COLUMNS = [
    Column("visit_id", "text", 28, "the visit"),
    Column("checklist_id", "text", 16, "its checklist"),
    Column("engineer", "text", 12, "who did the visit"),
    Column("customer", "text", 28, "the customer (masked with --redact)"),
    Column("visit_started_at", "datetime", 20, "the visit's start"),
    Column("position", "int", 6, "the answer's place in the visit, from 1"),
    Column("step_id", "text", 22, "the step's stable id"),
    Column("step_type", "text", 11, "instruction, check, record, ping, ..."),
    Column("step_title", "text", 34, "the step's title in the checklist as run (--lang)"),
    Column("value", "text", 24, "the answer; lists and objects as JSON"),
    Column("unit", "text", 6, "the value's unit (dBm, °C, ...)"),
    Column("passed", "bool", 7, "true, false, or empty for steps without pass/fail"),
    Column("skipped", "bool", 7, "the step was skipped"),
    Column("skip_reason", "text", 20, "why"),
    Column("warning", "text", 20, "a warning given with a passing value"),
    Column("answered_at", "datetime", 20, "when the answer was confirmed"),
    Column("notes", "text", 30, "the engineer's notes, ' | '-separated"),
    Column("attachments", "text", 20, "attached file names, ';'-separated"),
    Column("ping_attempts", "int", 8, "ping attempts of this step"),
    Column("ping_verdict", "text", 14, "verdict of this step's last ping attempt"),
]

PING_COLUMNS = [
    Column("visit_id", "text", 28, "the visit"),
    Column("engineer", "text", 12, "who ran it"),
    Column("step_id", "text", 16, "the ping step"),
    Column("attempt", "int", 7, "1 for the first attempt"),
    Column("started", "datetime", 20, "when the attempt started"),
    Column("target", "text", 16, "the address pinged (masked with --redact)"),
    Column("verdict", "text", 18, "the ping engine's verdict"),
    Column("seed_outcome", "text", 10, "the seed's outcome (normal, failure_1..3)"),
    Column("sent", "int", 6, "echo requests sent"),
    Column("received", "int", 8, "echo replies received"),
    Column("loss_pct", "number", 7, "lost, in per cent"),
    Column("avg_ms", "number", 8, "mean round trip"),
    Column("max_ms", "number", 8, "longest round trip"),
]

SATISFACTION_COLUMNS = [
    Column("group_by", "text", 10, "all, engineer or month"),
    Column("group", "text", 16, "all, the engineer, or the month (2024-05)"),
    Column("rated", "int", 8, "visits the customer rated (not in progress)"),
    Column("satisfied", "int", 8, "满意"),
    Column("mostly_satisfied", "int", 8, "基本满意"),
    Column("dissatisfied", "int", 8, "不满意"),
    Column("satisfied_share", "number", 8, "(satisfied + mostly satisfied) ÷ rated"),
    Column("dissatisfied_share", "number", 8, "dissatisfied ÷ rated (不满意率)"),
]


def satisfaction_rows(summary: Summary) -> list[list[Cell]]:
    """The satisfaction figures of a report as rows: overall, per engineer, per month."""
    groups = [("all", [summary.satisfaction]),
              ("engineer", summary.satisfaction_by_engineer),
              ("month", summary.satisfaction_by_month)]  # fmt: skip
    return [
        [group_by, f.group, f.rated, f.satisfied, f.mostly_satisfied, f.dissatisfied,
         _share(f.satisfied_share), _share(f.dissatisfied_share)]
        for group_by, figures in groups
        for f in figures
    ]  # fmt: skip


FOLLOWUP_COLUMNS = [
    Column("item_id", "text", 44, "the item's id: visit#step-n (docs/followups.md)"),
    Column("visit_id", "text", 28, "the visit that raised it"),
    Column("kind", "text", 10, "the checklist's kind"),
    Column("customer", "text", 28, "the customer (masked with --redact)"),
    Column("engineer", "text", 12, "who raised it"),
    Column("problem", "text", 40, "the problem"),
    Column("owner", "text", 14, "who follows it up"),
    Column("due", "date", 11, "by when"),
    Column("status", "text", 8, "open, overdue or closed"),
    Column("overdue", "bool", 8, "open and due before the report's date"),
    Column("closed_at", "datetime", 20, "when it was closed, ISO 8601 with offset"),
    Column("closed_by", "text", 12, "who closed it"),
    Column("closing_note", "text", 40, "how it was closed"),
]


class RowMaker:
    """Turns visits into table rows; knows the step titles, the SLA and the report's date.

    The visit and follow-up rows come from a visit's `VisitFacts`; the step and ping rows from
    its record, where the record is read (see pipeline.py)."""

    def __init__(self, titles: StepTitles, sla: Sla, today: date) -> None:
        self.titles = titles
        self.sla = sla
        self.today = today

    def facts(self, record: VisitRecord) -> VisitFacts:
        return visit_facts(record, self.sla, self.titles, self.today)

    def visit_row(self, visit: VisitFacts, *, changed: bool, source: str) -> list[Cell]:
        verdicts = visit.ping_verdicts
        repair = visit.repair
        return [
            visit.visit_id,
            visit.checklist_id,
            visit.checklist_version,
            visit.kind,
            visit.checklist_title,
            visit.engineer,
            visit.customer,
            visit.site,
            visit.order,
            visit.order_type,
            visit.grade,
            visit.status.value,
            visit.outcome.value if visit.outcome else None,
            visit.started_at,
            visit.finished_at,
            _round(visit.onsite_minutes),
            visit.steps_answered,
            len(visit.failed_steps),
            visit.steps_skipped,
            ";".join(step_id for step_id, _ in visit.failed_steps),
            ";".join(visit.findings),
            len(verdicts),
            verdicts[0] if verdicts else None,
            verdicts[-1] if verdicts else None,
            visit.first_time_pass,
            _round(repair.repair_hours) if repair else None,
            repair.business_category if repair else None,
            repair.fault_channel if repair else None,
            repair.limit_text if repair else None,
            repair.limit_hours if repair else None,
            repair.limit_source if repair else None,
            repair.within_limit if repair else None,
            visit.satisfaction,
            visit.visit_mode,
            sum(1 for item in visit.followups if item.closed_at is None),
            sum(1 for item in visit.followups if item.overdue),
            sum(1 for item in visit.followups if item.closed_at is not None),
            visit.abort_reason,
            changed,
            visit.fieldkit_version,
            source,
        ]

    def step_rows(self, record: VisitRecord) -> list[list[Cell]]:
        titles = self.titles.for_snapshot(record.checklist)
        rows: list[list[Cell]] = []
        for position, answer in enumerate(record.answers, start=1):
            verdicts = ping_verdicts(answer)
            rows.append([
                record.visit_id,
                record.checklist.id,
                record.engineer,
                record.customer,
                record.started_at,
                position,
                answer.step_id,
                answer.step_type,
                titles.get(answer.step_id, answer.step_id),
                value_text(answer),
                answer.unit,
                answer.passed,
                answer.skipped,
                answer.skip_reason,
                answer.warning,
                answer.answered_at,
                " | ".join(note.text for note in answer.notes) or None,
                ";".join(attachment.name for attachment in answer.attachments) or None,
                len(verdicts),
                verdicts[-1] if verdicts else None,
            ])
        return rows

    def ping_rows(self, record: VisitRecord) -> list[list[Cell]]:
        rows: list[list[Cell]] = []
        for answer in record.answers:
            for number, attempt in enumerate(answer.ping_attempts, start=1):
                stats = attempt.get("statistics")
                stats = stats if isinstance(stats, dict) else {}
                rows.append([
                    record.visit_id,
                    record.engineer,
                    answer.step_id,
                    number,
                    _datetime(attempt.get("started")),
                    _text(attempt.get("target")),
                    _text(attempt.get("verdict")) or "unknown",
                    _text(attempt.get("seed_outcome")),
                    _number(stats.get("sent")),
                    _number(stats.get("received")),
                    _number(stats.get("loss_pct")),
                    _number(stats.get("avg_ms")),
                    _number(stats.get("max_ms")),
                ])
        return rows

    @staticmethod
    def followup_rows(visit: VisitFacts) -> list[list[Cell]]:
        return [
            [item.item_id, item.visit_id, item.kind, item.customer, item.engineer, item.problem,
             item.owner, item.due, item.status, item.overdue, item.closed_at, item.closed_by,
             item.closing_note]
            for item in visit.followups
        ]


def value_text(answer: StepAnswer) -> str | None:
    """An answer's value as one cell: scalars as they are, lists and objects as JSON with
    sorted keys (the form the record's digest covers), so that a record reads the same from
    its file and from the server's store, whose JSONB keeps no key order."""
    value = answer.value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _share(value: float | None) -> float | None:
    """A share as a fraction to four places, as the JSON summary gives it."""
    return None if value is None else round(value, 4)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None



