"""The derived rows of a visit record, computed at ingest by the same code the file reports
use (`report.facts.visit_facts`), so the SQL and the file paths cannot drift."""

from __future__ import annotations

import threading
from datetime import date, timezone
from typing import Any

import sqlalchemy as sa

from fieldkit.followups.items import followup_items
from fieldkit.records.models import VisitRecord
from fieldkit.report.facts import iso_week, visit_facts
from fieldkit.report.titles import StepTitles
from fieldkit.server.tables import attachments, followups, pings, repair_windows, steps, visits
from fieldkit.sla import Sla


class Derived:
    """The derived rows of one record, made by the file reports' own code."""

    def __init__(self, sla: Sla) -> None:
        self.sla = sla
        self.titles = {"en": StepTitles("en"), "zh": StepTitles("zh")}
        # The request threads share the parsed titles: without the lock, the first pushes of a
        # checklist would each parse its YAML again; the GIL runs one at a time in any case.
        self._lock = threading.Lock()

    def rows(self, record: VisitRecord, team: str | None) -> dict[sa.Table, list[dict[str, Any]]]:
        with self._lock:
            return self._rows(record, team)

    def _rows(self, record: VisitRecord, team: str | None) -> dict[sa.Table, list[dict[str, Any]]]:
        # Follow-ups are stored without `overdue`: that depends on the day a report is read for.
        facts = visit_facts(record, self.sla, self.titles["en"], date.min)
        repair = facts.repair
        started = record.started_at
        visit_row = {
            "visit_id": record.visit_id,
            "engineer": record.engineer,
            "engineer_key": record.engineer.strip().casefold(),
            "team": team,
            "customer": record.customer,
            "customer_key": record.customer.casefold(),
            "checklist_id": facts.checklist_id,
            "checklist_version": facts.checklist_version,
            "kind": facts.kind,
            "status": facts.status.value,
            "outcome": facts.outcome.value if facts.outcome else None,
            "grade": facts.grade,
            "order_type": facts.order_type,
            "started_at": started.astimezone(timezone.utc),
            "started_day": started.date().isoformat(),
            "started_week": iso_week(started),
            "started_month": f"{started:%Y-%m}",
            "onsite_minutes": facts.onsite_minutes,
            "first_time_pass": facts.first_time_pass,
            "satisfaction": facts.satisfaction,
            "visit_mode": facts.visit_mode,
            "repair_hours": repair.repair_hours if repair else None,
            "limit_row": repair.limit_row if repair else None,
            "limit_source": repair.limit_source if repair else None,
            "within_limit": repair.within_limit if repair else None,
            "repair_measured": repair is not None,
            "title_en": facts.checklist_title,
            "title_zh": record.checklist.title.get("zh"),
        }
        failed = {step_id for step_id, _ in facts.failed_steps}
        titles_en = self.titles["en"].for_snapshot(record.checklist)
        titles_zh = self.titles["zh"].for_snapshot(record.checklist)
        step_rows = [
            {
                "visit_id": record.visit_id,
                "step_id": answer.step_id,
                "step_type": answer.step_type,
                "passed": answer.passed,
                "skipped": answer.skipped,
                "failure": answer.step_id in failed,
                "title_en": titles_en.get(answer.step_id, answer.step_id),
                "title_zh": titles_zh.get(answer.step_id, answer.step_id),
            }
            for answer in record.answers
        ]
        ping_rows: list[dict[str, Any]] = []
        for answer in record.answers:
            for attempt in answer.ping_attempts:
                ping_rows.append(
                    {
                        "visit_id": record.visit_id,
                        "attempt": len(ping_rows) + 1,
                        "step_id": answer.step_id,
                        "verdict": str(attempt.get("verdict") or "unknown"),
                    }
                )
        window_rows = [
            {"visit_id": record.visit_id, "window_id": window_id, "within": within}
            for window_id, within in (repair.windows.items() if repair else ())
            if within is not None
        ]
        followup_rows = [
            {
                "item_id": item.item_id,
                "visit_id": item.visit_id,
                "step_id": item.step_id,
                "number": item.number,
                "position": position,
                "problem": item.problem,
                "owner": item.owner,
                "due": item.due,
            }
            for position, item in enumerate(followup_items(record, date.min), start=1)
        ]
        attachment_rows = [
            {"visit_id": record.visit_id, "stored_path": attachment.stored_path,
             "sha256": attachment.sha256}
            for answer in record.answers
            for attachment in answer.attachments
        ]  # fmt: skip
        return {
            visits: [visit_row],
            steps: step_rows,
            pings: ping_rows,
            repair_windows: window_rows,
            followups: followup_rows,
            attachments: attachment_rows,
        }
