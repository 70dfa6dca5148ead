"""The Summary a report shows and its figures: the data every exporter and renderer reads.

kpi.py's SummaryBuilder (or the server's SQL, server/reports.py) fills them in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from fieldkit.followups.items import FollowUp
from fieldkit.records.models import Outcome, VisitStatus
from fieldkit.report.facts import VisitFacts


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class StatusCounts:
    visits: int = 0
    completed: int = 0
    in_progress: int = 0
    aborted: int = 0
    passed: int = 0  # turn-ups and packing checks
    failed: int = 0
    restored: int = 0  # repairs
    not_restored: int = 0

    def add(self, record: VisitFacts) -> None:
        self.visits += 1
        if record.status is VisitStatus.COMPLETED:
            self.completed += 1
        elif record.status is VisitStatus.ABORTED:
            self.aborted += 1
        else:
            self.in_progress += 1
        if record.outcome is Outcome.PASSED:
            self.passed += 1
        elif record.outcome is Outcome.FAILED:
            self.failed += 1
        elif record.outcome is Outcome.RESTORED:
            self.restored += 1
        elif record.outcome is Outcome.NOT_RESTORED:
            self.not_restored += 1


@dataclass
class ChecklistFigures:
    checklist_id: str
    kind: str
    title: str
    counts: StatusCounts = field(default_factory=StatusCounts)
    onsite_median_min: float | None = None
    onsite_p90_min: float | None = None
    onsite_measured: int = 0


@dataclass
class FailingStep:
    checklist_id: str
    step_id: str
    title: str
    count: int


@dataclass
class VerdictShare:
    verdict: str
    count: int
    share: float


@dataclass
class WindowFigures:
    window_id: str
    label: str
    minutes: int
    measured: int = 0  # completed repairs with both times of the window
    within: int = 0
    within_rate: float | None = None


@dataclass
class LimitFigures:
    """The repairs measured against one row of the time-limit table; the last line (row None)
    counts the completed repairs that no row matched: no limit known."""

    row: int | None  # index into sla.repair_limits
    applies_to: str  # business category and the row's keys, in the report's language
    limit: str | None  # "12 h", "3 working days"
    source: str | None  # seed or assumed
    repairs: int = 0  # measured: both clock times known (no limit known: every such repair)
    within: int | None = 0
    within_rate: float | None = None


@dataclass
class OrderMixShare:
    """One order type: its share of the visits that name an order type, beside the seed's."""

    order_type: str
    label: str
    visits: int
    share: float | None
    reference_share: float | None  # data/sla.yaml reference_share_percent, as a fraction


@dataclass
class RepairFigures:
    completed_repairs: int = 0
    measured: int = 0  # both clock times and a matching time-limit row
    within_limit: int = 0
    within_limit_rate: float | None = None
    measured_assumed: int = 0  # of `measured`: against a row whose source is `assumed`
    no_limit_known: int = 0  # completed repairs that no time-limit row matches
    mean_repair_hours: float | None = None  # over repairs with both clock times (障碍处理平均时长)
    windows: list[WindowFigures] = field(default_factory=list)
    by_limit: list[LimitFigures] = field(default_factory=list)


@dataclass
class SatisfactionFigures:
    """Customers' ratings of one group of visits: all, one engineer's, or one month's.
    The satisfied share counts 满意 and 基本满意; the dissatisfied share (不满意率) is what the
    centre is assessed on."""

    group: str  # "all", the engineer, or the month (2024-05)
    rated: int = 0
    satisfied: int = 0
    mostly_satisfied: int = 0
    dissatisfied: int = 0
    satisfied_share: float | None = None
    dissatisfied_share: float | None = None

    def add(self, level: str, count: int = 1) -> None:
        self.rated += count
        if level == "satisfied":
            self.satisfied += count
        elif level == "mostly_satisfied":
            self.mostly_satisfied += count
        else:
            self.dissatisfied += count

    def finish(self) -> SatisfactionFigures:
        self.satisfied_share = rate(self.satisfied + self.mostly_satisfied, self.rated)
        self.dissatisfied_share = rate(self.dissatisfied, self.rated)
        return self


@dataclass
class EngineerFigures:
    engineer: str
    counts: StatusCounts = field(default_factory=StatusCounts)
    turnups_decided: int = 0
    first_time_pass: int = 0
    first_time_pass_rate: float | None = None
    failed_steps: int = 0
    onsite_median_min: float | None = None
    repairs_measured: int = 0
    repairs_measured_assumed: int = 0  # of repairs_measured: against an assumed limit
    repairs_within_limit: int = 0


@dataclass
class Summary:
    """Every KPI of one report; `to_json()` is what `--json` prints."""

    generated_on: date
    totals: StatusCounts
    by_kind: dict[str, int]
    checklists: list[ChecklistFigures]
    turnups_decided: int  # completed + aborted turn-ups
    first_time_pass: int
    first_time_pass_rate: float | None
    ping_attempts: int
    ping_verdicts: list[VerdictShare]
    top_failing_steps: list[FailingStep]
    repairs: RepairFigures
    order_mix: list[OrderMixShare]
    satisfaction: SatisfactionFigures
    satisfaction_by_engineer: list[SatisfactionFigures]
    satisfaction_by_month: list[SatisfactionFigures]
    followups_open: int
    followups_overdue: int
    followups_most_urgent: list[FollowUp]
    followups_closed: int
    followups_recently_closed: list[FollowUp]  # latest closing time first
    engineers: list[EngineerFigures]
    visits_per_week: dict[str, int]
    sla_version: str | None = None  # the service levels measured against (data/sla.yaml version)

    def to_json(self) -> dict[str, Any]:
        def convert(value: Any) -> Any:
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, dict):
                return {key: convert(item) for key, item in value.items()}
            if isinstance(value, list):
                return [convert(item) for item in value]
            if isinstance(value, float):
                return round(value, 4)
            return value

        return {key: convert(value) for key, value in asdict(self).items()}
