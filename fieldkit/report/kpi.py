"""Every figure a report shows, each defined once, here.

`SummaryBuilder.add_facts(visit_facts(record, ...))` folds one visit into running totals;
`build()` returns the `Summary`. Memory grows with the number of checklists, steps,
engineers and weeks, not with the number of visits, except for one float per completed visit
(on-site minutes, for exact medians), the `OPEN_FOLLOWUPS_KEPT` most urgent open follow-ups
and the `CLOSED_FOLLOWUPS_KEPT` latest closed ones.

docs/reports.md ("What each figure counts") states each definition; keep the two in step.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from fieldkit.followups.items import FollowUp, followup_items
from fieldkit.lang import Lang
from fieldkit.records.migrations import current_choice
from fieldkit.records.models import Grade, OrderType, Outcome, StepAnswer, VisitRecord, VisitStatus
from fieldkit.report.labels import label
from fieldkit.report.titles import StepTitles
from fieldkit.sla import RepairKey, Sla

TOP_FAILING_STEPS = 10
OPEN_FOLLOWUPS_KEPT = 50
CLOSED_FOLLOWUPS_KEPT = 50


# ---------------------------------------------------------------------------------------------
# Per-visit facts: the building blocks, shared by the summary and by every exporter's columns.


def onsite_minutes(record: VisitRecord) -> float | None:
    """finished_at − started_at in minutes, for completed visits only; None when the laptop's
    clock ran backwards over the visit (no figure averages a negative duration)."""
    if record.status is not VisitStatus.COMPLETED or record.finished_at is None:
        return None
    minutes = (record.finished_at - record.started_at).total_seconds() / 60
    return minutes if minutes >= 0 else None


def ping_verdicts(answer: StepAnswer) -> list[str]:
    """The verdict of each ping attempt of one step, in order ('unknown' when missing)."""
    return [str(attempt.get("verdict") or "unknown") for attempt in answer.ping_attempts]


def first_attempt_passed(answer: StepAnswer) -> bool:
    """Whether a ping step's first attempt passed it: as the walk judged it (`passes_step`; a
    slow reply passes unless the step says `slow_fails`), or for records from before that
    judgement was kept, when its verdict was `ok`."""
    first = answer.ping_attempts[0]
    judged = first.get("passes_step")
    return judged if isinstance(judged, bool) else first.get("verdict") == "ok"


def is_first_time_pass(record: VisitRecord) -> bool | None:
    """For a turn-up: completed, outcome passed (findings do not count against it), and every
    ping step that ran passed on its first attempt (at least one ping step must have run).
    None for other kinds and for turn-ups still in progress; False for aborted turn-ups."""
    if record.checklist.kind != "turnup" or record.status is VisitStatus.IN_PROGRESS:
        return None
    if record.outcome is not Outcome.PASSED or record.failed_steps:
        return False
    pinged = [answer for answer in record.answers if answer.ping_attempts]
    return bool(pinged) and all(first_attempt_passed(answer) for answer in pinged)


def answer_datetime(record: VisitRecord, step_id: str) -> datetime | None:
    """A datetime step's answer, or None when missing, skipped or without a time zone."""
    answer = record.answer_for(step_id)
    if answer is None or answer.skipped or not isinstance(answer.value, str):
        return None
    try:
        moment = datetime.fromisoformat(answer.value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _hours_between(start: datetime | None, end: datetime | None) -> float | None:
    """end − start in hours; None when either is missing or they run backwards (a record
    written before the walk refused that), so no figure averages a negative duration."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


@dataclass(frozen=True)
class RepairFacts:
    """A repair visit measured against the time-limit row that matches it, and the
    fault-process windows."""

    repair_hours: float | None  # from the SLA's repair clock: restored_at − fault_reported_at
    limit_row: int | None  # index into sla.repair_limits; None: no limit known
    limit_hours: float | None  # the row's hours (None for a row in working days)
    limit_text: str | None  # the row's limit as read: "12 h", "3 working days"
    limit_source: str | None  # the row's source: seed or assumed
    within_limit: bool | None  # None when no limit is known or a clock time is missing
    windows: dict[str, bool | None]  # window id -> end − start within its minutes
    business_category: str | None
    fault_channel: str | None


def answer_choice(record: VisitRecord, step_id: str) -> str | None:
    """A choice step's answer, or None when missing, skipped or not a single value."""
    answer = record.answer_for(step_id)
    if answer is None or answer.skipped or not isinstance(answer.value, str):
        return None
    return answer.value


def repair_key(record: VisitRecord, sla: Sla) -> RepairKey:
    keys = sla.repair_keys
    return RepairKey(
        business_category=answer_choice(record, keys.business_category),
        grade=record.grade.value if record.grade else None,
        circuit_grade=answer_choice(record, keys.circuit_grade),
        customer_class=answer_choice(record, keys.customer_class),
    )


def repair_facts(record: VisitRecord, sla: Sla, lang: Lang = "en") -> RepairFacts | None:
    """Only completed repair visits are measured; None for anything else. The step ids come
    from data/sla.yaml (repair_keys, fault_process.repair and fault_process.windows)."""
    if record.checklist.kind != "repair" or record.status is not VisitStatus.COMPLETED:
        return None
    clock = sla.fault_process.repair
    reported = answer_datetime(record, clock.start)
    restored = answer_datetime(record, clock.end)
    limit = sla.repair_limit_for(repair_key(record, sla))
    within = None
    # Restored before reported is no repair time at all (see _hours_between), not one within.
    if limit is not None and reported is not None and restored is not None and restored >= reported:
        within = restored <= limit.deadline(reported)
    windows: dict[str, bool | None] = {}
    for window in sla.fault_process.windows:
        span = _hours_between(
            answer_datetime(record, window.start), answer_datetime(record, window.end)
        )
        windows[window.id] = None if span is None else span * 60 <= window.minutes
    return RepairFacts(
        repair_hours=_hours_between(reported, restored),
        limit_row=None if limit is None else sla.repair_limits.index(limit),
        limit_hours=None if limit is None else limit.hours,
        limit_text=None if limit is None else limit.describe(lang),
        limit_source=None if limit is None else limit.source,
        within_limit=within,
        windows=windows,
        business_category=answer_choice(record, sla.repair_keys.business_category),
        fault_channel=answer_choice(record, sla.repair_keys.fault_channel),
    )


SATISFACTION_STEP = "satisfaction"
VISIT_MODE_STEP = "visit_mode"
# customer-visit's scale (满意 / 基本满意 / 不满意); the first two count as satisfied.
SATISFACTION_LEVELS = ("satisfied", "mostly_satisfied", "dissatisfied")


def satisfaction(record: VisitRecord) -> str | None:
    """The customer's rating of a visit that is not in progress, read with today's ids
    (customer-visit 1.0 records through records.migrations); None when not rated."""
    if record.status is VisitStatus.IN_PROGRESS:
        return None
    value = answer_choice(record, SATISFACTION_STEP)
    if value is None:
        return None
    checklist = record.checklist
    value = current_choice(checklist.id, checklist.version, SATISFACTION_STEP, value)
    return value if value in SATISFACTION_LEVELS else None


def iso_week(moment: datetime) -> str:
    """`2024-W19`: the ISO week of the visit's start, in the engineer's own time zone."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class VisitFacts:
    """What the summary and the visit row need of one record, computed once where it is read.

    Small and plain (no models), so that a worker process reading records sends this back
    instead of the whole record (see pipeline.py)."""

    visit_id: str
    checklist_id: str
    checklist_version: str
    kind: str
    checklist_title: str  # in the report's language
    engineer: str
    customer: str
    site: str | None
    order: str | None
    order_type: OrderType | None
    grade: Grade | None
    status: VisitStatus
    outcome: Outcome | None
    started_at: datetime
    finished_at: datetime | None
    abort_reason: str | None
    fieldkit_version: str
    onsite_minutes: float | None
    steps_answered: int
    steps_skipped: int
    failed_steps: list[tuple[str, str]]  # (step id, its title in the checklist as run)
    findings: list[str]  # step ids of failures that are findings for the visit's kind
    ping_verdicts: list[str]  # every attempt of every ping step, in order
    first_time_pass: bool | None
    repair: RepairFacts | None
    followups: list[FollowUp]
    satisfaction: str | None  # one of SATISFACTION_LEVELS, or None when not rated
    visit_mode: str | None  # customer-visit's visit_mode: sms, phone, on_site


def failures(record: VisitRecord, titles: StepTitles) -> list[str]:
    """The failed steps that are failures for the visit's kind (never findings): a completed
    visit's `failed_steps`; for one not completed, what its kind would count (a turn-up's or a
    packing check's failed steps, less those its checklist marks `decides: false`)."""
    if record.status is VisitStatus.COMPLETED:
        return record.failed_steps
    if record.checklist.kind not in ("turnup", "tools"):
        return []
    findings = titles.findings_only(record.checklist)
    return [
        answer.step_id
        for answer in record.answers
        if answer.passed is False and answer.step_id not in findings
    ]


def visit_facts(record: VisitRecord, sla: Sla, titles: StepTitles, today: date) -> VisitFacts:
    checklist = record.checklist
    answers = record.answers
    failed = failures(record, titles)
    step_titles = titles.for_snapshot(checklist) if failed else {}
    return VisitFacts(
        visit_id=record.visit_id,
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        kind=checklist.kind,
        checklist_title=checklist.title.get(titles.lang),
        engineer=record.engineer,
        customer=record.customer,
        site=record.site,
        order=record.order,
        order_type=record.order_type,
        grade=record.grade,
        status=record.status,
        outcome=record.outcome,
        started_at=record.started_at,
        finished_at=record.finished_at,
        abort_reason=record.abort_reason,
        fieldkit_version=record.fieldkit_version,
        onsite_minutes=onsite_minutes(record),
        steps_answered=sum(1 for answer in answers if not answer.skipped),
        steps_skipped=sum(1 for answer in answers if answer.skipped),
        failed_steps=[(step_id, step_titles.get(step_id, step_id)) for step_id in failed],
        findings=record.findings,
        ping_verdicts=[verdict for answer in answers for verdict in ping_verdicts(answer)],
        first_time_pass=is_first_time_pass(record),
        repair=repair_facts(record, sla, titles.lang),
        followups=followup_items(record, today),
        satisfaction=satisfaction(record),
        visit_mode=answer_choice(record, VISIT_MODE_STEP),
    )


# ---------------------------------------------------------------------------------------------
# The summary.


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

    def add(self, level: str) -> None:
        self.rated += 1
        if level == "satisfied":
            self.satisfied += 1
        elif level == "mostly_satisfied":
            self.mostly_satisfied += 1
        else:
            self.dissatisfied += 1

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
            self.order_types[visit.order_type.value] += 1
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

