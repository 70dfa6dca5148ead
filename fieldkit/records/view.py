"""A visit record as people read it: `visit_view()` decides what is shown (labels, values as
entered, pass/fail, notes, skip reasons, attachments, ping attempts); the renderers (render.py for
Markdown and HTML, fieldkit/ui/visit.py for the terminal) only lay it out. Old records are shown
with the checklist they carry (titles, choice labels, units), never with today's version of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fieldkit.errors import FieldkitError
from fieldkit.lang import Lang
from fieldkit.ping.catalogue import PRACTICE_TAG
from fieldkit.records.models import StepAnswer, SupersededResult, VisitRecord, verify_digest
from fieldkit.sla import builtin_sla
from fieldkit.text import Text

if TYPE_CHECKING:
    from fieldkit.checklist.models import Checklist


def _bilingual(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


LABELS = {
    "visit": _bilingual("现场记录", "Visit record"),
    "visit_id": _bilingual("记录编号", "Visit id"),
    "checklist": _bilingual("检查单", "Checklist"),
    "engineer": _bilingual("工程师", "Engineer"),
    "customer": _bilingual("客户", "Customer"),
    "site": _bilingual("地址", "Site"),
    "order": _bilingual("工单号", "Order"),
    "order_type": _bilingual("工单类型", "Order type"),
    "grade": _bilingual("客户等级", "Customer grade"),
    "started_at": _bilingual("开始", "Started"),
    "finished_at": _bilingual("结束", "Finished"),
    "status": _bilingual("状态", "Status"),
    "abort_reason": _bilingual("中止原因", "Abort reason"),
    "outcome": _bilingual("结果", "Outcome"),
    "failed_steps": _bilingual("未通过的步骤", "Failed steps"),
    "findings": _bilingual("发现的问题", "Findings"),
    "digest": _bilingual("完整性校验", "Integrity"),
    "fieldkit_version": _bilingual("fieldkit 版本", "fieldkit version"),
    "answer": _bilingual("填写内容", "Answer"),
    "notes": _bilingual("备注", "Notes"),
    "attachments": _bilingual("附件", "Attachments"),
    "attempt": _bilingual("第 {n} 次", "Attempt {n}"),
    "statistics": _bilingual("统计", "Statistics"),
    "meaning": _bilingual("含义", "Meaning"),
    "next_checks": _bilingual("下一步检查", "Next checks"),
    "preflight": _bilingual("测试前检查", "Pre-flight"),
    "warning": _bilingual("提示", "Warning"),
    "answered_at": _bilingual("填写时间", "Answered at"),
    "superseded": _bilingual("已失效的结果", "No longer counts"),
    "check_attempt": _bilingual("第 {n} 次检查", "Check {n}"),
    "computed_from": _bilingual("依据", "computed from"),
}

STEP_STATES = {
    "passed": _bilingual("通过", "passed"),
    "failed": _bilingual("未通过", "failed"),
    "finding": _bilingual("发现问题", "finding"),
    "skipped": _bilingual("跳过", "skipped"),
    "recorded": _bilingual("已记录", "recorded"),
    "open": _bilingual("未完成", "not answered"),
}

FINDINGS_COUNT = _bilingual("发现 {n} 个问题", "{n} findings")

DIGEST_STATES = {
    "ok": _bilingual("校验通过（内容未被修改）", "digest matches: content unchanged"),
    "changed": _bilingual(
        "校验失败：记录在结束后被修改过", "DIGEST MISMATCH: changed after the visit ended"
    ),
    "none": _bilingual("进行中，尚无校验值", "in progress: no digest yet"),
}


@dataclass(frozen=True)
class PingAttemptView:
    number: int
    verdict: str
    title: str  # the verdict as the engine named it, in the language it ran in
    seed_outcome: str | None
    target: str
    started: str
    replies: list[str]
    statistics: str
    meaning: str | None
    next_checks: list[str]
    preflight: list[str]


@dataclass(frozen=True)
class AttachmentView:
    name: str
    stored_path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SupersededView:
    """An earlier result that stopped counting: what it was, what it used, why it stopped."""

    when: str
    value: str
    inputs: str
    reason: str
    pings: list[PingAttemptView]


@dataclass(frozen=True)
class StepView:
    number: int
    step_id: str
    title: str
    state: str  # a key of STEP_STATES
    state_label: str
    value: str
    answered_at: str | None
    warning: str | None
    skip_reason: str | None
    notes: list[tuple[str, str]]  # (when, text)
    attachments: list[AttachmentView]
    pings: list[PingAttemptView] = field(default_factory=list)
    history: list[SupersededView] = field(default_factory=list)
    checks: list[tuple[int, str, str]] = field(default_factory=list)  # (n, when, value)


@dataclass(frozen=True)
class VisitView:
    lang: Lang
    title: str
    fields: list[tuple[str, str, str]]  # (key of LABELS, label, value): the fields it has
    steps: list[StepView]
    digest_state: str  # a key of DIGEST_STATES

    def label(self, key: str) -> str:
        return LABELS[key].get(self.lang)


def visit_view(record: VisitRecord, lang: Lang) -> VisitView:
    checklist = _carried_checklist(record)
    steps = {step.id: step for step in checklist.steps} if checklist else {}
    fields: list[tuple[str, str, str]] = []

    def add(key: str, value: str | None) -> None:
        if value:
            fields.append((key, LABELS[key].get(lang), value))

    add("visit_id", record.visit_id)
    add(
        "checklist",
        f"{record.checklist.title.get(lang)} ({record.checklist.id} v{record.checklist.version}, "
        f"sha256 {record.checklist.sha256[:12]})",
    )
    add("engineer", record.engineer)
    add("customer", record.customer)
    add("site", record.site)
    add("order", record.order)
    for key, value in (("order_type", record.order_type), ("grade", record.grade)):
        add(key, builtin_sla().choice_label(key, value, lang) if value else None)
    add("started_at", _when(record.started_at))
    add("finished_at", _when(record.finished_at))
    add("status", record.status.label.get(lang))
    add("abort_reason", record.abort_reason)
    add("outcome", record.outcome.label.get(lang) if record.outcome else None)
    add("failed_steps", ", ".join(record.failed_steps))
    add("findings", ", ".join(record.findings))
    add("fieldkit_version", record.fieldkit_version)
    digest_state = _digest_state(record)
    add("digest", DIGEST_STATES[digest_state].get(lang))

    answered = {answer.step_id for answer in record.answers}
    views = [
        _step_view(number, answer, steps.get(answer.step_id), checklist, lang, record.findings)
        for number, answer in enumerate(record.answers, start=1)
    ]
    # Steps of the checklist the visit never reached (a visit in progress or aborted).
    for step_id, step in steps.items():
        if step_id in answered:
            continue
        views.append(
            StepView(
                number=len(views) + 1,
                step_id=step_id,
                title=step.title.get(lang),
                state="open",
                state_label=STEP_STATES["open"].get(lang),
                value="",
                answered_at=None,
                warning=None,
                skip_reason=None,
                notes=[],
                attachments=[],
            )
        )
    return VisitView(
        lang=lang,
        title=f"{LABELS['visit'].get(lang)}: {record.checklist.title.get(lang)}"
        f" - {record.customer}",
        fields=fields,
        steps=views,
        digest_state=digest_state,
    )


def _digest_state(record: VisitRecord) -> str:
    if record.digest is None:
        return "none"
    return "ok" if verify_digest(record) else "changed"


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _carried_checklist(record: VisitRecord) -> Checklist | None:
    """The checklist the record carries; None if it no longer validates."""
    from fieldkit.checklist.load import checklist_from_text

    try:
        return checklist_from_text(record.checklist.source_text, f"{record.visit_id}:checklist")
    except FieldkitError:
        return None


def _step_view(
    number: int,
    answer: StepAnswer,
    step: Any,
    checklist: Checklist | None,
    lang: Lang,
    findings: list[str],
) -> StepView:
    if answer.skipped:
        state = "skipped"
    elif answer.passed is True:
        state = "passed"
    elif answer.passed is False:
        state = "finding" if answer.step_id in findings else "failed"
    elif answer.answered_at is None:
        state = "open"
    else:
        state = "recorded"
    return StepView(
        number=number,
        step_id=answer.step_id,
        title=step.title.get(lang) if step is not None else answer.step_id,
        state=state,
        state_label=STEP_STATES[state].get(lang),
        value=_value_text(answer, step, checklist, lang),
        answered_at=_when(answer.answered_at),
        warning=answer.warning,
        skip_reason=answer.skip_reason,
        notes=[(_when(note.at) or "", note.text) for note in answer.notes],
        attachments=[
            AttachmentView(a.name, a.stored_path, a.size, a.sha256) for a in answer.attachments
        ],
        pings=[
            _ping_view(n, attempt, lang) for n, attempt in enumerate(answer.ping_attempts, start=1)
        ],
        history=[_superseded_view(old, step, checklist, lang) for old in answer.superseded],
        checks=_check_attempts(answer, step, checklist, lang),
    )


def _check_attempts(
    answer: StepAnswer, step: Any, checklist: Checklist | None, lang: Lang
) -> list[tuple[int, str, str]]:
    """Every answer to a check that was checked again; one attempt is the answer itself."""
    if len(answer.check_attempts) < 2:
        return []
    return [
        (
            n,
            _when(attempt.at) or "",
            _value_text(
                StepAnswer(step_id="", step_type="", value=attempt.value), step, checklist, lang
            ),
        )
        for n, attempt in enumerate(answer.check_attempts, start=1)
    ]


def _superseded_view(
    old: SupersededResult, step: Any, checklist: Checklist | None, lang: Lang
) -> SupersededView:
    as_answer = StepAnswer(step_id="", step_type="", value=old.value, unit=old.unit)
    value = _value_text(as_answer, step, checklist, lang)
    if old.skipped:
        value = f"{STEP_STATES['skipped'].get(lang)}: {old.skip_reason}"
    elif old.ping_attempts and not value:
        value = str(old.ping_attempts[-1].get("verdict", "?"))
    inputs = ", ".join(f"{name} = {shown}" for name, shown in (old.inputs or {}).items())
    return SupersededView(
        when=_when(old.superseded_at) or "",
        value=value,
        inputs=inputs,
        reason=old.reason,
        pings=[
            _ping_view(n, attempt, lang) for n, attempt in enumerate(old.ping_attempts, start=1)
        ],
    )


def _value_text(answer: StepAnswer, step: Any, checklist: Checklist | None, lang: Lang) -> str:
    if answer.value is None:
        return ""
    if step is not None:
        from fieldkit.checklist.judging import display_answer

        try:
            return display_answer(step, answer.value, lang, checklist)  # type: ignore[arg-type]
        except (TypeError, ValueError, AttributeError):
            pass  # a value the checklist's type does not expect: show it as stored
    shown = (
        answer.value
        if isinstance(answer.value, str)
        else json.dumps(answer.value, ensure_ascii=False)
    )
    return f"{shown} {answer.unit}" if answer.unit else shown


def _ping_view(number: int, attempt: dict[str, Any], lang: Lang) -> PingAttemptView:
    """Lenient: a ping engine's JSON of any version shows what it has, in `lang`."""
    explanation = _explanation(attempt, lang)
    seed = explanation.get("seed_outcome")
    stats = _mapping(attempt.get("statistics"))
    replies = [
        _reply_text(reply) for reply in attempt.get("replies") or [] if isinstance(reply, dict)
    ]
    preflight = [
        str(finding.get("message") or finding.get("code"))
        for finding in attempt.get("preflight") or []
        if isinstance(finding, dict)
    ]
    return PingAttemptView(
        number=number,
        verdict=str(attempt.get("verdict", "?")),
        title=str(explanation.get("title") or attempt.get("verdict", "?")),
        seed_outcome=(seed.get("label") if isinstance(seed, dict) else None)
        or attempt.get("seed_outcome"),
        target=str(attempt.get("target") or attempt.get("address") or "?"),
        started=str(attempt.get("started") or ""),
        replies=replies,
        statistics=_statistics_text(stats, lang),
        meaning=_tagged(explanation.get("meaning"), explanation.get("meaning_source"), lang),
        next_checks=[
            str(_tagged(check, source, lang))
            for check, source in zip(
                explanation.get("next_checks") or [],
                _sources(explanation.get("next_check_sources"), explanation.get("next_checks")),
                strict=False,
            )
        ],
        preflight=preflight,
    )


def _explanation(attempt: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The explanation as stored when it is in `lang`; else the catalogue's in `lang`, with
    the attempt's own target, router and threshold (a visit walked in English, shown in zh)."""
    stored = _mapping(attempt.get("explanation"))
    if attempt.get("lang", "en") == lang:
        return stored
    from fieldkit.ping.catalogue import load_catalogue
    from fieldkit.ping.model import Verdict

    try:
        verdict = Verdict(attempt.get("verdict"))
        slow_ms = float(attempt.get("slow_ms") or 50.0)
    except (TypeError, ValueError):  # a verdict a newer fieldkit recorded: as stored
        return stored
    return load_catalogue().explain_verdict(
        verdict,
        lang,
        target=attempt.get("target") or attempt.get("address"),
        router=attempt.get("router"),
        slow_ms=slow_ms,
    )


def _tagged(text: Any, source: Any, lang: Lang) -> str | None:
    """Advice as stored, marked when it is field practice (records before sources: unmarked)."""
    if text is None:
        return None
    return f"{text} ({PRACTICE_TAG.get(lang)})" if source == "practice" else str(text)


def _sources(sources: Any, checks: Any) -> list[Any]:
    """One source per next check; None for each when the record predates them."""
    count = len(checks) if isinstance(checks, list) else 0
    return sources if isinstance(sources, list) and len(sources) == count else [None] * count


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _reply_text(reply: dict[str, Any]) -> str:
    parts = [f"seq={reply.get('seq', '?')}"]
    if reply.get("from"):
        parts.append(f"from {reply['from']}")
    if reply.get("rtt_ms") is not None:
        parts.append(f"time{'<' if reply.get('rtt_below') else '='}{reply['rtt_ms']} ms")
    if reply.get("ttl") is not None:
        parts.append(f"TTL={reply['ttl']}")
    if reply.get("error"):
        parts.append(str(reply["error"]))
    return " ".join(parts)


_STATISTICS = {
    "en": ("sent {sent}, received {received}, loss {loss}%", ", min/avg/max/mdev {rtt} ms"),
    "zh": ("已发送 {sent}，已接收 {received}，丢失 {loss}%", "，最短/平均/最长/偏差 {rtt} ms"),
}


def _statistics_text(stats: dict[str, Any], lang: Lang) -> str:
    if not stats:
        return ""
    counts, times = _STATISTICS[lang]
    text = counts.format(
        sent=stats.get("sent", "?"),
        received=stats.get("received", "?"),
        loss=stats.get("loss_pct", "?"),
    )
    if stats.get("avg_ms") is not None:
        rtt = "/".join(str(stats.get(key)) for key in ("min_ms", "avg_ms", "max_ms", "mdev_ms"))
        text += times.format(rtt=rtt)
    return text
