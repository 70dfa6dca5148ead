"""The report's KPIs computed in SQL over the derived tables, into the same `Summary` the file
path builds (report/kpi.py), so `report summary --server` prints the same JSON.

The figures come from GROUP BYs over the visits that pass the filters and the caller's scope
(see SqlSummary); nothing reads the whole records. The definitions are kpi.py's and
facts.py's: every rule that needs a record (outcome per kind, first-time pass, repair limits,
follow-up items) was applied at ingest by facts.py itself, and is a column here.
Ties the file path breaks by the order it reads files in are broken by visit id here, the
order of a laptop's records folder.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
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
    return sa.func.count().filter(condition)


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
_TURNUPS = [
    sa.func.count(V.first_time_pass).label("decided"),
    _count(V.first_time_pass.is_(True)).label("first_time"),
]
_REPAIRS = [
    _count(_MEASURED).label("measured"),
    _count(sa.and_(_MEASURED, V.within_limit.is_(True))).label("within"),
    _count(sa.and_(_MEASURED, V.limit_source == "assumed")).label("assumed"),
]


@dataclass(frozen=True)
class _Middle:
    """How many on-site times a group has, their median and 90th percentile (nearest rank)."""

    measured: int = 0
    median: float | None = None
    p90: float | None = None


def _middle(histogram: list[tuple[float, int]]) -> _Middle:
    """kpi.median and kpi.percentile(0.9) of the values a sorted (value, how many) list holds."""
    n = sum(count for _, count in histogram)
    middle = n // 2
    wanted = {middle, middle + 1, max(1, math.ceil(0.9 * n))}  # ranks, from 1
    at: dict[int, float] = {}
    seen = 0
    for value, count in histogram:
        at.update((rank, value) for rank in wanted if seen < rank <= seen + count)
        seen += count
    median = at[middle + 1] if n % 2 else (at[middle] + at[middle + 1]) / 2
    return _Middle(n, median, at[max(1, math.ceil(0.9 * n))])


class SqlSummary:
    """The summary in about a dozen statements. Where one GROUP BY can give several figures,
    it does (the counts by kind, week, order type and repair limit; satisfaction overall, by
    engineer and by month; the failing steps by step and by engineer), summed up here. Medians
    come from how many visits had each on-site time, so no query sorts the visits. Over the
    whole store (an admin, no filters) the ping, window and follow-up counts read their own
    tables alone."""

    def __init__(
        self, conn: Connection, filters: Filters, scope: VisitScope, sla: Sla, lang: Lang,
        today: date,
    ) -> None:  # fmt: skip
        self.conn = conn
        self.where = filtered(filters, scope)
        self.everything = scope == VisitScope() and len(self.where) == 1
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

    def _of_visits(self, table: sa.Table) -> sa.FromClause:
        """`table`, joined to the visits its rows belong to when the filters need them."""
        if self.everything:
            return table
        return table.join(visits, visits.c.visit_id == table.c.visit_id)

    def _middles(self, key: Any) -> dict[Any, _Middle]:
        histograms: dict[Any, list[tuple[float, int]]] = defaultdict(list)
        rows = self._rows(key.label("key"), V.onsite_minutes.label("value"),
                          sa.func.count().label("n"), group=[key, V.onsite_minutes],
                          extra=V.onsite_minutes.is_not(None))  # fmt: skip
        for row in rows:
            histograms[row.key].append((float(row.value), int(row.n)))
        return {group: _middle(sorted(histogram)) for group, histogram in histograms.items()}

    def build(self) -> Summary:
        whole = self._rows(*_COUNTS, *_TURNUPS, *_REPAIRS,
                           _count(V.repair_measured.is_(True)).label("completed_repairs"),
                           _count(sa.and_(V.repair_measured.is_(True), V.limit_row.is_(None)))
                           .label("no_limit"),
                           sa.func.sum(V.repair_hours).label("hours"),
                           sa.func.count(V.repair_hours).label("timed")).one()  # fmt: skip
        totals = _status_counts(whole) if whole.visits else StatusCounts()
        by_kind: Counter[str] = Counter()
        weeks: Counter[str] = Counter()
        orders: Counter[str] = Counter()
        limits: dict[int, Counter[bool]] = defaultdict(Counter)  # measured repairs: within?
        shape = [V.kind, V.started_week, V.order_type, V.limit_row, V.within_limit]
        for row in self._rows(*shape, sa.func.count().label("n"), group=shape):
            n = int(row.n)
            by_kind[row.kind] += n
            weeks[row.started_week] += n
            if row.order_type is not None:
                orders[row.order_type] += n
            if row.limit_row is not None and row.within_limit is not None:
                limits[row.limit_row][bool(row.within_limit)] += n
        decided, first_time = int(whole.decided or 0), int(whole.first_time or 0)
        verdicts = self._verdicts()
        attempts = sum(verdicts.values())
        failing = self._failing_steps()
        satisfaction = self._satisfaction()
        found = self._followups()
        return Summary(
            generated_on=self.today,
            sla_version=self.sla.version,
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
            top_failing_steps=failing.top,
            repairs=self._repairs(whole, limits),
            order_mix=self._order_mix(orders),
            satisfaction=satisfaction.overall,
            satisfaction_by_engineer=sorted(
                satisfaction.by_engineer.values(), key=lambda f: f.group.casefold()
            ),
            satisfaction_by_month=sorted(satisfaction.by_month.values(), key=lambda f: f.group),
            followups_open=found.open,
            followups_overdue=found.overdue,
            followups_most_urgent=found.urgent,
            followups_closed=found.closed,
            followups_recently_closed=found.recent,
            engineers=sorted(
                self._engineers(failing.by_engineer), key=lambda e: e.engineer.casefold()
            ),
            visits_per_week=dict(sorted(weeks.items())),
        )

    def _checklists(self) -> list[ChecklistFigures]:
        onsite = self._middles(V.checklist_id)
        found = []
        rows = self._rows(V.checklist_id, sa.func.min(V.kind).label("kind"),
                          sa.func.min(self.title).label("title"), *_COUNTS,
                          group=[V.checklist_id])  # fmt: skip
        for row in rows:
            figures = ChecklistFigures(row.checklist_id, row.kind, row.title,
                                           _status_counts(row))  # fmt: skip
            middle = onsite.get(row.checklist_id, _Middle())
            figures.onsite_measured = middle.measured
            figures.onsite_median_min, figures.onsite_p90_min = middle.median, middle.p90
            found.append(figures)
        return found

    def _engineers(self, failed: Counter[str]) -> list[EngineerFigures]:
        onsite = self._middles(V.engineer)
        found = []
        rows = self._rows(V.engineer, *_COUNTS, *_TURNUPS, *_REPAIRS, group=[V.engineer])
        for row in rows:
            decided, first_time = int(row.decided or 0), int(row.first_time or 0)
            found.append(EngineerFigures(
                engineer=row.engineer, counts=_status_counts(row), turnups_decided=decided,
                first_time_pass=first_time, first_time_pass_rate=rate(first_time, decided),
                failed_steps=failed[row.engineer],
                onsite_median_min=onsite.get(row.engineer, _Middle()).median,
                repairs_measured=int(row.measured or 0), repairs_within_limit=int(row.within or 0),
                repairs_measured_assumed=int(row.assumed or 0),
            ))  # fmt: skip
        return found

    def _verdicts(self) -> dict[str, int]:
        query = (
            sa.select(pings.c.verdict, sa.func.count().label("n"))
            .select_from(self._of_visits(pings))
            .where(*self.where)
            .group_by(pings.c.verdict)
        )
        return {row.verdict: int(row.n) for row in self.conn.execute(query)}

    def _failing_steps(self) -> _Failing:
        """The failed steps counted once by checklist, step and engineer: the top steps and
        each engineer's count are sums of those. A step's title is the least of its titles."""
        title = steps.c.title_zh if self.lang == "zh" else steps.c.title_en
        query = (
            sa.select(V.checklist_id, steps.c.step_id, V.engineer,
                      sa.func.min(title).label("title"), sa.func.count().label("n"))
            .select_from(steps.join(visits, visits.c.visit_id == steps.c.visit_id))
            .where(*self.where, steps.c.failure)  # as ix_steps_failed says it, to be used
            .group_by(V.checklist_id, steps.c.step_id, V.engineer)
        )  # fmt: skip
        by_step: Counter[tuple[str, str]] = Counter()
        titles: dict[tuple[str, str], str] = {}
        by_engineer: Counter[str] = Counter()
        for row in self.conn.execute(query):
            key = (row.checklist_id, row.step_id)
            by_step[key] += int(row.n)
            titles[key] = min(titles.get(key, row.title), row.title)
            by_engineer[row.engineer] += int(row.n)
        top = sorted(by_step.items(), key=lambda kv: (-kv[1], kv[0]))[: kpi.TOP_FAILING_STEPS]
        return _Failing(
            [FailingStep(checklist_id, step_id, titles[(checklist_id, step_id)], n)
             for (checklist_id, step_id), n in top],
            by_engineer,
        )  # fmt: skip

    def _repairs(self, whole: Any, limits: dict[int, Counter[bool]]) -> RepairFigures:
        lang, sla = self.lang, self.sla
        figures = RepairFigures(
            completed_repairs=int(whole.completed_repairs or 0), measured=int(whole.measured or 0),
            within_limit=int(whole.within or 0), measured_assumed=int(whole.assumed or 0),
            no_limit_known=int(whole.no_limit or 0),
        )  # fmt: skip
        figures.within_limit_rate = rate(figures.within_limit, figures.measured)
        if whole.timed:
            figures.mean_repair_hours = float(whole.hours) / int(whole.timed)
        windows = {
            window_row.window_id: (int(window_row.measured), int(window_row.within or 0))
            for window_row in self.conn.execute(
                sa.select(repair_windows.c.window_id, sa.func.count().label("measured"),
                          _count(repair_windows.c.within.is_(True)).label("within"))
                .select_from(self._of_visits(repair_windows))
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
        for limit_row, judged in sorted(limits.items()):
            limit = sla.repair_limits[limit_row]
            repairs, within = judged.total(), judged[True]
            figures.by_limit.append(LimitFigures(
                limit_row, sla.applies_to(limit, lang), limit.describe(lang),
                limit.source, repairs, within, rate(within, repairs),
            ))  # fmt: skip
        if figures.no_limit_known:
            figures.by_limit.append(LimitFigures(
                None, label("no_limit_known", lang), None, None, figures.no_limit_known, None,
            ))  # fmt: skip
        return figures

    def _order_mix(self, counts: Counter[str]) -> list[OrderMixShare]:
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

    def _satisfaction(self) -> _Satisfaction:
        """Overall, by engineer and by month, from one count per engineer, month and rating."""
        found = _Satisfaction(SatisfactionFigures("all"), {}, {})
        rows = self._rows(V.engineer, V.started_month, V.satisfaction, sa.func.count().label("n"),
                          group=[V.engineer, V.started_month, V.satisfaction],
                          extra=V.satisfaction.is_not(None))  # fmt: skip
        for row in rows:
            count = int(row.n)
            found.overall.add(row.satisfaction, count)
            found.by_engineer.setdefault(row.engineer, SatisfactionFigures(row.engineer)).add(
                row.satisfaction, count)  # fmt: skip
            found.by_month.setdefault(row.started_month, SatisfactionFigures(
                row.started_month)).add(row.satisfaction, count)  # fmt: skip
        for figures in (found.overall, *found.by_engineer.values(), *found.by_month.values()):
            figures.finish()
        return found

    def _followups(self) -> _FollowUps:
        overdue = sa.and_(followups.c.due.is_not(None), followups.c.due < self.today)
        joined = FOLLOWUPS_JOINED
        is_open = closures.c.item_id.is_(None)
        counted = self._of_visits(followups).outerjoin(
            closures, closures.c.item_id == followups.c.item_id)  # fmt: skip
        counts = self.conn.execute(
            sa.select(_count(is_open).label("open"), _count(sa.and_(is_open, overdue))
                      .label("overdue"), _count(sa.not_(is_open)).label("closed"))
            .select_from(counted).where(*self.where)
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
class _Failing:
    top: list[FailingStep]
    by_engineer: Counter[str]


@dataclass
class _Satisfaction:
    overall: SatisfactionFigures
    by_engineer: dict[str, SatisfactionFigures]
    by_month: dict[str, SatisfactionFigures]


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
