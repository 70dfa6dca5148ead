"""What the server lists and exports, as opposed to the KPIs it counts (server/reports.py):
the report filters as WHERE clauses, the records and closures that pass them, and follow-ups
as followups/items.py makes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.followups.items import FollowUp
from fieldkit.report.filters import Filters
from fieldkit.server.db import VisitScope
from fieldkit.server.tables import closures, followups, records, visits

V = visits.c


def filtered(filters: Filters, scope: VisitScope) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of report/filters.py's `Filters.matches`, on the visits table."""
    where: list[sa.ColumnElement[bool]] = [scope.where()]
    if filters.since is not None:
        bound = filters.since
        where.append(V.started_day >= bound.day.isoformat() if bound.day
                     else V.started_at >= bound.instant)  # fmt: skip
    if filters.until is not None:
        bound = filters.until
        where.append(V.started_day <= bound.day.isoformat() if bound.day
                     else V.started_at <= bound.instant)  # fmt: skip
    for column, values in (
        (V.engineer_key, filters.engineers), (V.checklist_id, filters.checklists),
        (V.kind, filters.kinds), (V.status, filters.statuses), (V.outcome, filters.outcomes),
        (V.grade, filters.grades),
    ):  # fmt: skip
        if values:
            where.append(column.in_(sorted(values)))
    if filters.customer:
        where.append(V.customer_key.contains(filters.customer, autoescape=True))
    return where


def newest_records(
    conn: Connection, where: list[sa.ColumnElement[bool]], limit: int
) -> Iterator[dict[str, Any]]:
    """The content of the `limit` newest visits (by start) that pass `where`, oldest first."""
    query = (
        sa.select(records.c.content)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(*where)
        .order_by(visits.c.started_at.desc(), visits.c.visit_id.desc())
        .limit(limit)
    )
    rows = [dict(row.content) for row in conn.execute(query)]
    yield from reversed(rows)


def filtered_records(
    conn: Connection, where: list[sa.ColumnElement[bool]]
) -> Iterator[dict[str, Any]]:
    """The content of every visit that passes `where`, in visit id order (a records folder's
    order), streamed from the database rather than loaded at once."""
    query = (
        sa.select(records.c.content)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(*where)
        .order_by(records.c.visit_id)
    )
    for row in conn.execution_options(stream_results=True, yield_per=500).execute(query):
        yield dict(row.content)


def filtered_closures(
    conn: Connection, where: list[sa.ColumnElement[bool]]
) -> Iterator[dict[str, Any]]:
    """The closures of the follow-ups of the visits that pass `where`."""
    query = (
        sa.select(closures.c.content)
        .join(followups, followups.c.item_id == closures.c.item_id)
        .join(visits, visits.c.visit_id == followups.c.visit_id)
        .where(*where)
    )
    for row in conn.execute(query):
        yield dict(row.content)


FOLLOWUP_COLUMNS = [
    followups.c.item_id, followups.c.visit_id, followups.c.step_id, followups.c.number,
    V.kind, V.checklist_id, V.status, V.customer, V.engineer, followups.c.problem,
    followups.c.owner, followups.c.due, closures.c.content,
]  # fmt: skip
FOLLOWUPS_JOINED = followups.join(visits, visits.c.visit_id == followups.c.visit_id).outerjoin(
    closures, closures.c.item_id == followups.c.item_id
)


def followup_from_row(row: Any, today: date) -> FollowUp:
    """A follow-up as followups/items.py makes it, with its closure, from FOLLOWUP_COLUMNS."""
    due = row.due if isinstance(row.due, date) or row.due is None else date.fromisoformat(
        str(row.due))  # fmt: skip
    closure = row.content
    return FollowUp(
        item_id=row.item_id, visit_id=row.visit_id, step_id=row.step_id, number=row.number,
        kind=row.kind, checklist_id=row.checklist_id, visit_status=row.status,
        customer=row.customer, engineer=row.engineer, problem=row.problem, owner=row.owner,
        due=due, overdue=closure is None and due is not None and due < today,
        closed_at=None if closure is None else datetime.fromisoformat(
            closure["closed_at"].replace("Z", "+00:00")),
        closed_by=None if closure is None else closure.get("closed_by"),
        closing_note=None if closure is None else closure.get("note"),
    )  # fmt: skip


def list_followups(
    conn: Connection, scope: VisitScope, today: date, item: str | None = None
) -> list[FollowUp]:
    """Every follow-up of the visits this scope may read (or the one named `item`)."""
    query = sa.select(*FOLLOWUP_COLUMNS).select_from(FOLLOWUPS_JOINED).where(scope.where())
    if item is not None:
        query = query.where(followups.c.item_id == item)
    return [followup_from_row(row, today) for row in conn.execute(query)]
