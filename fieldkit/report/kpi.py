"""Every figure a report shows, each defined once, here.

`SummaryBuilder.add_facts(visit_facts(record, ...))` folds one visit (its facts, read by
facts.py) into running totals; `build()` returns the `Summary` (summary.py). Memory grows with
the number of checklists, steps, engineers and weeks, not with the number of visits, except for
one float per completed visit (on-site minutes, for exact medians), the `OPEN_FOLLOWUPS_KEPT`
most urgent open follow-ups and the `CLOSED_FOLLOWUPS_KEPT` latest closed ones.

docs/reports.md ("What each figure counts") states each definition; keep the two in step.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from datetime import date

from fieldkit.followups.items import FollowUp
from fieldkit.lang import Lang
from fieldkit.report.facts import RepairFacts, VisitFacts, iso_week
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
from fieldkit.sla import Sla

TOP_FAILING_STEPS = 10
OPEN_FOLLOWUPS_KEPT = 50
CLOSED_FOLLOWUPS_KEPT = 50


def median(values: list[float]) -> float | None:
    """The middle value (mean of the two middle values for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


class SummaryBuilder:
    """Folds visits one at a time into the figures of a `Summary`."""

    def __init__(self, sla: Sla, lang: Lang, today: date) -> None:
        self.sla = sla
        self.lang = lang
        self.today = today
        self.totals = StatusCounts()
        self.by_kind: Counter[str] = Counter()
        self.checklists: dict[str, ChecklistFigures] = {}
        self.onsite_by_checklist: dict[str, list[float]] = defaultdict(list)
        self.turnups_decided = 0
        self.first_time_pass = 0
        self.verdicts: Counter[str] = Counter()
        self.failing: Counter[tuple[str, str]] = Counter()
        self.failing_titles: dict[tuple[str, str], str] = {}
        self.repairs = RepairFigures(
            windows=[
                WindowFigures(window.id, window.label.get(lang), window.minutes)
                for window in sla.fault_process.windows
            ]
        )
        self.repair_hours: list[float] = []
        self.by_limit: dict[int, LimitFigures] = {}
        self.order_types: Counter[str] = Counter()
        self.satisfaction = SatisfactionFigures("all")
        self.satisfaction_by_engineer: dict[str, SatisfactionFigures] = {}
        self.satisfaction_by_month: dict[str, SatisfactionFigures] = {}
        self.followups_open = 0
        self.followups_overdue = 0
        # The OPEN_FOLLOWUPS_KEPT most urgent items, as a max-heap on urgency (negated keys):
        # overdue first, then the earliest due date, then the order seen.
        self._urgent: list[tuple[tuple[int, int, int], FollowUp]] = []
        self._seen_followups = 0
        self.followups_closed = 0
        # The CLOSED_FOLLOWUPS_KEPT latest closed items, as a min-heap on closing time.
        self._closed: list[tuple[float, int, FollowUp]] = []
        self.engineers: dict[str, EngineerFigures] = {}
        self.onsite_by_engineer: dict[str, list[float]] = defaultdict(list)
        self.weeks: Counter[str] = Counter()

    def add_facts(self, visit: VisitFacts) -> None:
        self.totals.add(visit)
        self.by_kind[visit.kind] += 1
        figures = self.checklists.get(visit.checklist_id)
        if figures is None:
            figures = ChecklistFigures(visit.checklist_id, visit.kind, visit.checklist_title)
            self.checklists[visit.checklist_id] = figures
        figures.counts.add(visit)
        engineer = self.engineers.get(visit.engineer)
        if engineer is None:
            engineer = self.engineers[visit.engineer] = EngineerFigures(visit.engineer)
        engineer.counts.add(visit)
        self.weeks[iso_week(visit.started_at)] += 1

        minutes = visit.onsite_minutes
        if minutes is not None:
            self.onsite_by_checklist[visit.checklist_id].append(minutes)
            self.onsite_by_engineer[visit.engineer].append(minutes)

        first_time = visit.first_time_pass
        if first_time is not None:
            self.turnups_decided += 1
            engineer.turnups_decided += 1
            if first_time:
                self.first_time_pass += 1
                engineer.first_time_pass += 1

        self.verdicts.update(visit.ping_verdicts)
        for step_id, title in visit.failed_steps:
            key = (visit.checklist_id, step_id)
            self.failing[key] += 1
            engineer.failed_steps += 1
            # The title of the first visit that failed the step: one line per step in the table.
            self.failing_titles.setdefault(key, title)

        if visit.repair is not None:
            self._add_repair(visit.repair, engineer)
        if visit.order_type is not None:
            self.order_types[visit.order_type] += 1
        if visit.satisfaction is not None:
            self._add_satisfaction(visit)

        for item in visit.followups:
            self._add_followup(item)

    def _add_repair(self, repair: RepairFacts, engineer: EngineerFigures) -> None:
        figures = self.repairs
        figures.completed_repairs += 1
        if repair.repair_hours is not None:
            self.repair_hours.append(repair.repair_hours)
        if repair.limit_row is None:
            figures.no_limit_known += 1
        if repair.within_limit is not None and repair.limit_row is not None:
            figures.measured += 1
            figures.measured_assumed += repair.limit_source == "assumed"
            engineer.repairs_measured += 1
            engineer.repairs_measured_assumed += repair.limit_source == "assumed"
            row = self._limit_figures(repair.limit_row)
            row.repairs += 1
            if repair.within_limit:
                figures.within_limit += 1
                engineer.repairs_within_limit += 1
                row.within = (row.within or 0) + 1
        for window in figures.windows:
            ok = repair.windows.get(window.window_id)
            if ok is not None:
                window.measured += 1
                window.within += ok

    def _add_satisfaction(self, visit: VisitFacts) -> None:
        assert visit.satisfaction is not None
        month = f"{visit.started_at:%Y-%m}"  # in the engineer's own time zone, like the weeks
        for group, groups in ((visit.engineer, self.satisfaction_by_engineer),
                              (month, self.satisfaction_by_month)):  # fmt: skip
            groups.setdefault(group, SatisfactionFigures(group)).add(visit.satisfaction)
        self.satisfaction.add(visit.satisfaction)

    def _limit_figures(self, index: int) -> LimitFigures:
        figures = self.by_limit.get(index)
        if figures is None:
            limit = self.sla.repair_limits[index]
            figures = LimitFigures(
                index, self.sla.applies_to(limit, self.lang), limit.describe(self.lang),
                limit.source,
            )  # fmt: skip
            self.by_limit[index] = figures
        return figures

    def _order_mix(self) -> list[OrderMixShare]:
        named = sum(self.order_types.values())
        return [
            OrderMixShare(
                order.id,
                order.label.get(self.lang),
                self.order_types[order.id],
                rate(self.order_types[order.id], named),
                None
                if order.reference_share_percent is None
                else order.reference_share_percent / 100,
            )
            for order in self.sla.order_types
        ]

    def _add_followup(self, item: FollowUp) -> None:
        self._seen_followups += 1
        if item.closed_at is not None:
            self.followups_closed += 1
            closed = (item.closed_at.timestamp(), self._seen_followups, item)
            if len(self._closed) < CLOSED_FOLLOWUPS_KEPT:
                heapq.heappush(self._closed, closed)
            elif closed[:2] > self._closed[0][:2]:
                heapq.heapreplace(self._closed, closed)
            return
        self.followups_open += 1
        if item.overdue:
            self.followups_overdue += 1
        due = (item.due or date.max).toordinal()
        entry = ((-int(not item.overdue), -due, -self._seen_followups), item)
        if len(self._urgent) < OPEN_FOLLOWUPS_KEPT:
            heapq.heappush(self._urgent, entry)
        elif entry[0] > self._urgent[0][0]:
            heapq.heapreplace(self._urgent, entry)

    def build(self) -> Summary:
        for checklist_id, figures in self.checklists.items():
            minutes = self.onsite_by_checklist.get(checklist_id, [])
            figures.onsite_measured = len(minutes)
            figures.onsite_median_min = median(minutes)
            figures.onsite_p90_min = percentile(minutes, 0.9)
        for name, engineer in self.engineers.items():
            engineer.first_time_pass_rate = rate(engineer.first_time_pass, engineer.turnups_decided)
            engineer.onsite_median_min = median(self.onsite_by_engineer.get(name, []))
        repairs = self.repairs
        repairs.within_limit_rate = rate(repairs.within_limit, repairs.measured)
        for window in repairs.windows:
            window.within_rate = rate(window.within, window.measured)
        repairs.by_limit = [self.by_limit[index] for index in sorted(self.by_limit)]
        for limit in repairs.by_limit:
            limit.within_rate = rate(limit.within or 0, limit.repairs)
        if repairs.no_limit_known:
            repairs.by_limit.append(
                LimitFigures(None, label("no_limit_known", self.lang), None, None,
                             repairs.no_limit_known, None)
            )  # fmt: skip
        if self.repair_hours:
            repairs.mean_repair_hours = sum(self.repair_hours) / len(self.repair_hours)
        attempts = sum(self.verdicts.values())
        urgent = sorted(self._urgent, key=lambda entry: entry[0], reverse=True)
        return Summary(
            generated_on=self.today,
            sla_version=self.sla.version,
            totals=self.totals,
            by_kind=dict(sorted(self.by_kind.items())),
            checklists=sorted(self.checklists.values(), key=lambda f: (f.kind, f.checklist_id)),
            turnups_decided=self.turnups_decided,
            first_time_pass=self.first_time_pass,
            first_time_pass_rate=rate(self.first_time_pass, self.turnups_decided),
            ping_attempts=attempts,
            ping_verdicts=[
                VerdictShare(verdict, count, count / attempts)
                for verdict, count in sorted(self.verdicts.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            top_failing_steps=[
                FailingStep(checklist_id, step_id, self.failing_titles[(checklist_id, step_id)], n)
                for (checklist_id, step_id), n in sorted(
                    self.failing.items(), key=lambda kv: (-kv[1], kv[0])
                )[:TOP_FAILING_STEPS]
            ],
            repairs=repairs,
            order_mix=self._order_mix(),
            satisfaction=self.satisfaction.finish(),
            satisfaction_by_engineer=[
                figures.finish()
                for _, figures in sorted(
                    self.satisfaction_by_engineer.items(), key=lambda kv: kv[0].casefold()
                )
            ],
            satisfaction_by_month=[
                figures.finish() for _, figures in sorted(self.satisfaction_by_month.items())
            ],
            followups_open=self.followups_open,
            followups_overdue=self.followups_overdue,
            followups_most_urgent=[item for _, item in urgent],
            followups_closed=self.followups_closed,
            followups_recently_closed=[
                item for *_, item in sorted(self._closed, key=lambda e: e[:2], reverse=True)
            ],
            engineers=sorted(self.engineers.values(), key=lambda e: e.engineer.casefold()),
            visits_per_week=dict(sorted(self.weeks.items())),
        )
