"""The report's KPIs computed in SQL over the derived tables, into the same `Summary` the file
path builds (report/kpi.py), so `report summary --server` prints the same JSON.

Each figure is one GROUP BY (or a window query for medians and percentiles) over the visits
that pass the filters and the caller's scope; nothing reads the whole records. The
definitions are kpi.py's and facts.py's: every rule that needs a record (outcome per kind,
first-time pass, repair limits, follow-up items) was applied at ingest by facts.py itself, and
is a column here.
Ties the file path breaks by the order it reads files in are broken by visit id here, the
order of a laptop's records folder.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.followups.items import FollowUp
from fieldkit.lang import Lang
from fieldkit.records.models import Outcome, VisitStatus
from fieldkit.records.sources import SourceReport
from fieldkit.report import kpi
from fieldkit.report.filters import Filters
from fieldkit.report.labels import label
from fieldkit.report.summary import (
    ChecklistFigures,
    EngineerFigures,
    FailingStep,
    LimitFigures,
    OrderMixShare,
    RepairFigures,
    SatisfactionFigures,
    StatusCounts,
    Summary,
    VerdictShare,
    WindowFigures,
    rate,
)
from fieldkit.server.db import VisitScope
from fieldkit.server.listings import (
    FOLLOWUP_COLUMNS,
    FOLLOWUPS_JOINED,
    filtered,
    followup_from_row,
)
from fieldkit.server.tables import closures, followups, pings, repair_windows, steps, visits
from fieldkit.sla import Sla

V = visits.c


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _status_counts(row: Any) -> StatusCounts:
    return StatusCounts(
        visits=int(row.visits), completed=int(row.completed or 0),
        in_progress=int(row.in_progress or 0), aborted=int(row.aborted or 0),
        passed=int(row.passed or 0), failed=int(row.failed or 0),
        restored=int(row.restored or 0), not_restored=int(row.not_restored or 0),
    )  # fmt: skip


_COUNTS = [
    sa.func.count().label("visits"),
    _count(V.status == VisitStatus.COMPLETED.value).label("completed"),
    _count(V.status == VisitStatus.IN_PROGRESS.value).label("in_progress"),
    _count(V.status == VisitStatus.ABORTED.value).label("aborted"),
    _count(V.outcome == Outcome.PASSED.value).label("passed"),
    _count(V.outcome == Outcome.FAILED.value).label("failed"),
    _count(V.outcome == Outcome.RESTORED.value).label("restored"),
    _count(V.outcome == Outcome.NOT_RESTORED.value).label("not_restored"),
]
_MEASURED = sa.and_(V.within_limit.is_not(None), V.limit_row.is_not(None))


class SqlSummary:
    def __init__(
        self, conn: Connection, filters: Filters, scope: VisitScope, sla: Sla, lang: Lang,
        today: date,
    ) -> None:  # fmt: skip
        self.conn = conn
        self.where = filtered(filters, scope)
        self.sla = sla
        self.lang = lang
        self.today = today
        self.title = V.title_zh if lang == "zh" else V.title_en

    def _rows(self, *columns: Any, group: list[Any] | None = None, extra: Any = None) -> Any:
        query = sa.select(*columns).select_from(visits).where(*self.where)
        if extra is not None:
            query = query.where(extra)
        if group:
            query = query.group_by(*group)
        return self.conn.execute(query)

    def _middle_values(self, key: Any) -> dict[Any, tuple[int, float | None, float | None]]:
        """Per `key`: how many on-site times, their median and their 90th percentile (nearest
        rank), from the rows at the middle and at the rank, as kpi.median and kpi.percentile."""
        if self.conn.dialect.name == "postgresql":
            return self._middle_values_postgresql(key)
        ranked = (
            sa.select(
                key.label("key"),
                V.onsite_minutes.label("value"),
                sa.func.row_number().over(partition_by=key, order_by=V.onsite_minutes).label("rn"),
                sa.func.count().over(partition_by=key).label("n"),
            )
            .where(*self.where, V.onsite_minutes.is_not(None))
            .subquery()
        )
        low, high, p90 = (ranked.c.n + 1) // 2, ranked.c.n // 2 + 1, (9 * ranked.c.n + 9) // 10
        query = sa.select(ranked.c.key, ranked.c.n, ranked.c.rn, ranked.c.value).where(
            sa.or_(ranked.c.rn == low, ranked.c.rn == high, ranked.c.rn == p90)
        )
        picked: dict[Any, dict[int, float]] = defaultdict(dict)
        sizes: dict[Any, int] = {}
        for row in self.conn.execute(query):
            picked[row.key][int(row.rn)] = float(row.value)
            sizes[row.key] = int(row.n)
        found: dict[Any, tuple[int, float | None, float | None]] = {}
        for group, n in sizes.items():
            values = picked[group]
            median = (values[(n + 1) // 2] + values[n // 2 + 1]) / 2
            found[group] = (n, median, values[(9 * n + 9) // 10])
        return found

    def _middle_values_postgresql(
        self, key: Any
    ) -> dict[Any, tuple[int, float | None, float | None]]:
        """`_middle_values` with PostgreSQL's ordered-set aggregate: percentile_disc(f) is the
        value at rank ceil(f × n) (the same double arithmetic as kpi.percentile), so 0.5 gives
        the lower middle, 0.5 + 1e-12 the upper one (for n below 10^12), 0.9 the nearest rank."""
        minutes = V.onsite_minutes
        query = (
            sa.select(
                key.label("key"),
                sa.func.count().label("n"),
                sa.func.percentile_disc(0.5).within_group(minutes).label("low"),
                sa.func.percentile_disc(0.5 + 1e-12).within_group(minutes).label("high"),
                sa.func.percentile_disc(0.9).within_group(minutes).label("p90"),
            )
            .where(*self.where, minutes.is_not(None))
            .group_by(key)
        )
        return {
            row.key: (int(row.n), (float(row.low) + float(row.high)) / 2, float(row.p90))
            for row in self.conn.execute(query)
        }

    def build(self) -> Summary:
        totals_row = self._rows(*_COUNTS).one()
        totals = _status_counts(totals_row) if totals_row.visits else StatusCounts()
        by_kind = {row.kind: int(row.n) for row in self._rows(
            V.kind, sa.func.count().label("n"), group=[V.kind])}  # fmt: skip
        weeks = {row.started_week: int(row.n) for row in self._rows(
            V.started_week, sa.func.count().label("n"), group=[V.started_week])}  # fmt: skip
        turnups = self._rows(
            sa.func.count(V.first_time_pass).label("decided"),
            _count(V.first_time_pass.is_(True)).label("passed"),
        ).one()
        decided, first_time = int(turnups.decided or 0), int(turnups.passed or 0)
        verdicts = self._verdicts()
        attempts = sum(verdicts.values())
        found = self._followups()
        return Summary(
            generated_on=self.today,
            totals=totals,
            by_kind=dict(sorted(by_kind.items())),
            checklists=sorted(self._checklists(), key=lambda f: (f.kind, f.checklist_id)),
            turnups_decided=decided,
            first_time_pass=first_time,
            first_time_pass_rate=rate(first_time, decided),
            ping_attempts=attempts,
            ping_verdicts=[
                VerdictShare(verdict, count, count / attempts)
                for verdict, count in sorted(verdicts.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            top_failing_steps=self._failing_steps(),
            repairs=self._repairs(),
            order_mix=self._order_mix(),
            satisfaction=(self._satisfaction(None) or [SatisfactionFigures("all").finish()])[0],
            satisfaction_by_engineer=sorted(
                self._satisfaction(V.engineer), key=lambda f: f.group.casefold()
            ),
            satisfaction_by_month=sorted(
                self._satisfaction(V.started_month), key=lambda f: f.group
            ),
            followups_open=found.open,
            followups_overdue=found.overdue,
            followups_most_urgent=found.urgent,
            followups_closed=found.closed,
            followups_recently_closed=found.recent,
            engineers=sorted(self._engineers(), key=lambda e: e.engineer.casefold()),
            visits_per_week=dict(sorted(weeks.items())),
        )

    def _checklists(self) -> list[ChecklistFigures]:
        onsite = self._middle_values(V.checklist_id)
        found = []
        rows = self._rows(V.checklist_id, sa.func.min(V.kind).label("kind"),
                          sa.func.min(self.title).label("title"), *_COUNTS,
                          group=[V.checklist_id])  # fmt: skip
        for row in rows:
            figures = ChecklistFigures(row.checklist_id, row.kind, row.title,
                                           _status_counts(row))  # fmt: skip
            figures.onsite_measured, figures.onsite_median_min, figures.onsite_p90_min = onsite.get(
                row.checklist_id, (0, None, None)
            )
            found.append(figures)
        return found

    def _engineers(self) -> list[EngineerFigures]:
        onsite = self._middle_values(V.engineer)
        failed = {
            row.engineer: int(row.n)
            for row in self.conn.execute(
                sa.select(V.engineer, sa.func.count().label("n"))
                .select_from(steps.join(visits, visits.c.visit_id == steps.c.visit_id))
                .where(*self.where, steps.c.failure.is_(True))
                .group_by(V.engineer)
            )
        }
        found = []
        rows = self._rows(
            V.engineer, *_COUNTS,
            sa.func.count(V.first_time_pass).label("decided"),
            _count(V.first_time_pass.is_(True)).label("first_time"),
            _count(_MEASURED).label("measured"),
            _count(sa.and_(_MEASURED, V.within_limit.is_(True))).label("within"),
            _count(sa.and_(_MEASURED, V.limit_source == "assumed")).label("assumed"),
            group=[V.engineer],
        )  # fmt: skip
        for row in rows:
            decided, first_time = int(row.decided or 0), int(row.first_time or 0)
            found.append(EngineerFigures(
                engineer=row.engineer, counts=_status_counts(row), turnups_decided=decided,
                first_time_pass=first_time, first_time_pass_rate=rate(first_time, decided),
                failed_steps=failed.get(row.engineer, 0),
                onsite_median_min=onsite.get(row.engineer, (0, None, None))[1],
                repairs_measured=int(row.measured or 0), repairs_within_limit=int(row.within or 0),
                repairs_measured_assumed=int(row.assumed or 0),
            ))  # fmt: skip
        return found

    def _verdicts(self) -> dict[str, int]:
        query = (
            sa.select(pings.c.verdict, sa.func.count().label("n"))
            .select_from(pings.join(visits, visits.c.visit_id == pings.c.visit_id))
            .where(*self.where)
            .group_by(pings.c.verdict)
        )
        return {row.verdict: int(row.n) for row in self.conn.execute(query)}

    def _failing_steps(self) -> list[FailingStep]:
        title = steps.c.title_zh if self.lang == "zh" else steps.c.title_en
        count = sa.func.count().label("n")
        query = (
            sa.select(V.checklist_id, steps.c.step_id, sa.func.min(title).label("title"), count)
            .select_from(steps.join(visits, visits.c.visit_id == steps.c.visit_id))
            .where(*self.where, steps.c.failure.is_(True))
            .group_by(V.checklist_id, steps.c.step_id)
            .order_by(count.desc(), V.checklist_id, steps.c.step_id)
            .limit(kpi.TOP_FAILING_STEPS)
        )
        return [
            FailingStep(row.checklist_id, row.step_id, row.title, int(row.n))
            for row in self.conn.execute(query)
        ]

    def _repairs(self) -> RepairFigures:
        lang, sla = self.lang, self.sla
        row = self._rows(
            _count(V.repair_measured.is_(True)).label("completed"),
            _count(_MEASURED).label("measured"),
            _count(sa.and_(_MEASURED, V.within_limit.is_(True))).label("within"),
            _count(sa.and_(_MEASURED, V.limit_source == "assumed")).label("assumed"),
            _count(sa.and_(V.repair_measured.is_(True), V.limit_row.is_(None))).label("no_limit"),
            sa.func.sum(V.repair_hours).label("hours"),
            sa.func.count(V.repair_hours).label("timed"),
        ).one()  # fmt: skip
        figures = RepairFigures(
            completed_repairs=int(row.completed or 0), measured=int(row.measured or 0),
            within_limit=int(row.within or 0), measured_assumed=int(row.assumed or 0),
            no_limit_known=int(row.no_limit or 0),
        )  # fmt: skip
        figures.within_limit_rate = rate(figures.within_limit, figures.measured)
        if row.timed:
            figures.mean_repair_hours = float(row.hours) / int(row.timed)
        windows = {
            window_row.window_id: (int(window_row.measured), int(window_row.within or 0))
            for window_row in self.conn.execute(
                sa.select(repair_windows.c.window_id, sa.func.count().label("measured"),
                          _count(repair_windows.c.within.is_(True)).label("within"))
                .select_from(repair_windows.join(
                    visits, visits.c.visit_id == repair_windows.c.visit_id))
                .where(*self.where)
                .group_by(repair_windows.c.window_id)
            )
        }  # fmt: skip
        for window in sla.fault_process.windows:
            measured, within = windows.get(window.id, (0, 0))
            figures.windows.append(WindowFigures(
                window.id, window.label.get(lang), window.minutes, measured, within,
                rate(within, measured),
            ))  # fmt: skip
        limits = self._rows(
            V.limit_row, sa.func.count().label("n"),
            _count(V.within_limit.is_(True)).label("within"),
            group=[V.limit_row], extra=_MEASURED,
        )  # fmt: skip
        for limit_row in sorted(limits, key=lambda r: r.limit_row):
            limit = sla.repair_limits[limit_row.limit_row]
            repairs, within = int(limit_row.n), int(limit_row.within or 0)
            figures.by_limit.append(LimitFigures(
                limit_row.limit_row, sla.applies_to(limit, lang), limit.describe(lang),
                limit.source, repairs, within, rate(within, repairs),
            ))  # fmt: skip
        if figures.no_limit_known:
            figures.by_limit.append(LimitFigures(
                None, label("no_limit_known", lang), None, None, figures.no_limit_known, None,
            ))  # fmt: skip
        return figures

    def _order_mix(self) -> list[OrderMixShare]:
        counts = {row.order_type: int(row.n) for row in self._rows(
            V.order_type, sa.func.count().label("n"), group=[V.order_type],
            extra=V.order_type.is_not(None))}  # fmt: skip
        named = sum(counts.values())
        return [
            OrderMixShare(
                order.id, order.label.get(self.lang), counts.get(order.id, 0),
                rate(counts.get(order.id, 0), named),
                None if order.reference_share_percent is None
                else order.reference_share_percent / 100,
            )
            for order in self.sla.order_types
        ]  # fmt: skip

    def _satisfaction(self, column: Any) -> list[SatisfactionFigures]:
        keys = [] if column is None else [column.label("key")]
        groups: dict[str, SatisfactionFigures] = {}
        rows = self._rows(*keys, V.satisfaction, sa.func.count().label("n"),
                          group=[*keys, V.satisfaction],
                          extra=V.satisfaction.is_not(None))  # fmt: skip
        for row in rows:
            key = "all" if column is None else row.key
            figures = groups.setdefault(key, SatisfactionFigures(key))
            for _ in range(int(row.n)):
                figures.add(row.satisfaction)
        return [figures.finish() for figures in groups.values()]

    def _followups(self) -> _FollowUps:
        overdue = sa.and_(followups.c.due.is_not(None), followups.c.due < self.today)
        joined = FOLLOWUPS_JOINED
        is_open = closures.c.item_id.is_(None)
        counts = self.conn.execute(
            sa.select(_count(is_open).label("open"), _count(sa.and_(is_open, overdue))
                      .label("overdue"), _count(sa.not_(is_open)).label("closed"))
            .select_from(joined).where(*self.where)
        ).one()  # fmt: skip
        columns = FOLLOWUP_COLUMNS
        urgent = self.conn.execute(
            sa.select(*columns).select_from(joined).where(*self.where, is_open)
            .order_by(sa.case((overdue, 0), else_=1), sa.nulls_last(followups.c.due.asc()),
                      followups.c.visit_id, followups.c.position)
            .limit(kpi.OPEN_FOLLOWUPS_KEPT)
        )  # fmt: skip
        recent = self.conn.execute(
            sa.select(*columns).select_from(joined).where(*self.where, sa.not_(is_open))
            .order_by(closures.c.closed_at.desc(), followups.c.visit_id.desc(),
                      followups.c.position.desc())
            .limit(kpi.CLOSED_FOLLOWUPS_KEPT)
        )  # fmt: skip
        return _FollowUps(
            open=int(counts.open or 0), overdue=int(counts.overdue or 0),
            closed=int(counts.closed or 0),
            urgent=[followup_from_row(row, self.today) for row in urgent],
            recent=[followup_from_row(row, self.today) for row in recent],
        )  # fmt: skip


@dataclass
class _FollowUps:
    open: int
    overdue: int
    closed: int
    urgent: list[FollowUp]
    recent: list[FollowUp]


def summary(
    conn: Connection, filters: Filters, scope: VisitScope, sla: Sla, lang: Lang, today: date
) -> Summary:
    return SqlSummary(conn, filters, scope, sla, lang, today).build()


def source_report(conn: Connection, scope: VisitScope, found: Summary) -> SourceReport:
    """What a report over files says it read: here, the visits this scope may read (the
    store's "files"), how many the filters kept and how many they left out."""
    readable = int(conn.execute(
        sa.select(sa.func.count()).select_from(visits).where(scope.where())
    ).scalar_one())  # fmt: skip
    kept = found.totals.visits
    return SourceReport(files_read=readable, visits_kept=kept, filtered_out=readable - kept)
