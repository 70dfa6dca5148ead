"""Per-visit facts: what one visit record says, as the figures need it.

`visit_facts(record, ...)` is the one reading of a record that the summary (kpi.py), every
exporter's columns and the server's ingest share, so their figures cannot drift.

docs/reports.md ("What each figure counts") states each definition; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fieldkit.followups.items import FollowUp, followup_items
from fieldkit.lang import Lang
from fieldkit.records.migrations import current_choice
from fieldkit.records.models import Outcome, StepAnswer, VisitRecord, VisitStatus
from fieldkit.report.titles import StepTitles
from fieldkit.sla import RepairKey, Sla


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
        grade=record.grade,
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
    order_type: str | None  # an id of data/sla.yaml's order_types
    grade: str | None  # an id of its grades
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
