"""The walkthrough state machine: answers in, next step out. No terminal I/O.

A `Walkthrough` holds a checklist and an open visit (a `VisitHandle`, which holds the lock).
Events come in (`answer`, `skip`, `back`, `note`, `attach`, `run_ping`, `accept_ping_failure`,
`accept_check_failure`, `end_visit`, `finish`); each one that changes the visit is saved
through the store before it returns, so whatever the engineer confirmed is on disk before the
next prompt appears.

Where the walk stands is derived from the record, never kept beside it: the current step is the
first one without a settled entry (an answer, a skip, or a ping attempt or a check answered no
and then accepted as failed; a failed check stays open until then, like a failed ping), so
a resumed visit continues exactly where the saved record says. The only state in memory is the
step the engineer went `back` to.

Steps hidden by their `when` (or left without an address to ping, or after a failed check
that ends the visit) are recorded as skipped with the reason and `answered_at` left empty:
that is how the walk tells its own skips from the engineer's, which carry the time they were
made. Going back and changing an answer re-evaluates the later `when`s: a step that becomes
hidden is recorded as skipped, one that becomes visible is asked again.

A result is bound to what it was computed from: each answer, skip and ping attempt records
the earlier answers it used (`inputs`: the ping's target, mask and own_ip, the steps its
`when` names, the times a date or time must not precede, and for the gateway the customer
IP and mask it was checked against). When
one of them changes, the result stops counting in the same save that changed it: it moves
to the step's `superseded` history, with the reason, and the step is asked again. So the
record on disk never shows a result next to inputs it was not computed from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from fieldkit.checklist.answers import AnswerError, parse_answer
from fieldkit.checklist.conditions import holds, named_steps, skip_reason
from fieldkit.checklist.judging import AnswerValue, Judgement, judge
from fieldkit.checklist.models import (
    AnyStep,
    AttachmentStep,
    Checklist,
    CheckStep,
    ChoiceRecord,
    DateRecord,
    InstructionStep,
    NumberRecord,
    PingStep,
    ToolsStep,
)
from fieldkit.lang import Lang
from fieldkit.ping.model import QUICK_PLAN
from fieldkit.records.models import (
    Attachment,
    CheckAttempt,
    Note,
    StepAnswer,
    SupersededResult,
    VisitRecord,
    VisitStatus,
)
from fieldkit.records.store import VisitHandle, local_now
from fieldkit.text import Text
from fieldkit.walk.addresses import address_checks, address_problem, address_steps
from fieldkit.walk.outcome import judge_visit

if TYPE_CHECKING:
    from fieldkit.ping.model import Finding, PingResult, Reply


class PingFunction(Protocol):
    """What the walk needs of the ping engine (`fieldkit.ping.run_ping` fits)."""

    def __call__(
        self,
        target: str,
        *,
        count: int,
        interval_s: float,
        timeout_s: float,
        size: int,
        slow_ms: float,
        mask: str | None,
        on_reply: Callable[[Reply], None] | None,
        on_preflight: Callable[[list[Finding]], None] | None,
        until_certain: bool = False,
    ) -> PingResult: ...


class WalkRefused(AnswerError):
    """An event the walk cannot take now (skip a required step, back at the first step...)."""


def _refused(zh: str, en: str) -> WalkRefused:
    return WalkRefused(Text(zh=zh, en=en))


@dataclass(frozen=True)
class Position:
    """The step to ask now: `index` is 0-based, `revisiting` means it already has an answer."""

    step: AnyStep
    index: int
    total: int
    entry: StepAnswer | None

    @property
    def revisiting(self) -> bool:
        return self.entry is not None and _settled(self.entry)


@dataclass(frozen=True)
class SkipNotice:
    """A step the walk skipped by itself, and why (shown to the engineer as it happens)."""

    step: AnyStep
    reason: str


@dataclass(frozen=True)
class RedoNotice:
    """A step whose result stopped counting because an answer it used changed: asked again."""

    step: AnyStep
    reason: str


def _settled(entry: StepAnswer) -> bool:
    return entry.skipped or entry.answered_at is not None


def _skipped_by_walk(entry: StepAnswer) -> bool:
    return entry.skipped and entry.answered_at is None


def _has_result(entry: StepAnswer) -> bool:
    """The engineer's answer or skip, or ping attempts: what an input change can make stale."""
    return bool(entry.ping_attempts) or (_settled(entry) and not _skipped_by_walk(entry))


def _dependencies(step: AnyStep, checks: Mapping[str, list[PingStep]]) -> tuple[str, ...]:
    """The earlier steps whose answers this step's result is computed from: its `when`, a
    ping's target, mask and own_ip, and for the record an address check runs at, the other
    records that check read."""
    names = named_steps(step.when) if step.when is not None else []
    if isinstance(step, PingStep):
        names += [step.target, *([step.mask] if step.mask else [])]
        names += [step.own_ip] if step.own_ip else []
    for ping in checks.get(step.id, []):
        names += [name for name in address_steps(ping) if name != step.id]
    if isinstance(step, DateRecord):
        names += step.not_before
    return tuple(dict.fromkeys(names))


def _runs_backwards(step: DateRecord, value: Any, given: Mapping[str, Any]) -> Text | None:
    """Why a date or time answer cannot stand: it is before an earlier one it must follow."""
    for name in step.not_before:
        earlier = given.get(name)
        if not isinstance(earlier, str) or not isinstance(value, str):
            continue
        if _moment(value, step.input) < _moment(earlier, step.input):
            return Text(
                zh=f"{value} 早于 {name}（{earlier}）：同一次走访中的时间不能倒流",
                en=f"{value} is before {name} ({earlier}): times within a visit cannot run "
                "backwards",
            )
    return None


def _moment(text: str, kind: str) -> datetime | date:
    """A stored date or datetime answer (always ISO; a datetime always with its offset)."""
    if kind == "date":
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _recorded_inputs(step: AnyStep, entry: StepAnswer) -> dict[str, Any] | None:
    """What the entry's result was computed from; None when that is unknown.

    Records from before `inputs` existed name the target in each ping attempt.
    """
    if entry.inputs is not None:
        return dict(entry.inputs)
    if isinstance(step, PingStep) and entry.ping_attempts:
        return {step.target: entry.ping_attempts[-1].get("target")}
    return None


def _has_criterion(step: AnyStep) -> bool:
    """Whether an answer to the step can fail; a plain reading is only recorded (passed: null)."""
    if isinstance(step, (InstructionStep, CheckStep, ToolsStep)):
        return True
    if isinstance(step, NumberRecord):
        return step.expect is not None or step.warn is not None
    return isinstance(step, ChoiceRecord) and step.expect is not None


def _ends_visit(step: AnyStep, entry: StepAnswer) -> bool:
    """A failed check with `can_continue: false` ends the visit as failed."""
    return isinstance(step, CheckStep) and not step.can_continue_on_fail and entry.passed is False


class Walkthrough:
    """One visit being walked; every method that changes the visit saves before returning."""

    def __init__(
        self,
        checklist: Checklist,
        handle: VisitHandle,
        *,
        ping: PingFunction,
        lang: Lang,
    ) -> None:
        self.checklist = checklist
        self.handle = handle
        self.lang = lang
        self._ping = ping
        self._address_checks = address_checks(checklist)
        self._dependencies = {
            step.id: _dependencies(step, self._address_checks) for step in checklist.steps
        }
        self._revisit: int | None = None
        self._frontier: int | None = None
        self._notices: list[SkipNotice | RedoNotice] = []
        self._reconcile(self._entries(), save=False)

    # -- reading ------------------------------------------------------------------------------

    @property
    def record(self) -> VisitRecord:
        return self.handle.record

    @property
    def done(self) -> bool:
        """Every step is answered or skipped (or a failed check ended the visit)."""
        return self.current() is None

    def current(self) -> Position | None:
        """The step to ask now, or None when the walk is ready to finish."""
        index = self._revisit if self._revisit is not None else self._frontier
        if index is None:
            return None
        step = self.checklist.steps[index]
        return Position(step, index, len(self.checklist.steps), self._entries().get(step.id))

    def take_notices(self) -> list[SkipNotice | RedoNotice]:
        """Steps the walk skipped by itself, or must ask again, since the last call, in order."""
        notices, self._notices = self._notices, []
        return notices

    def given_answers(self) -> dict[str, AnswerValue]:
        """Step id -> stored value of every answered (not skipped) step."""
        return {
            entry.step_id: entry.value  # type: ignore[misc]
            for entry in self.record.answers
            if _settled(entry) and not entry.skipped and entry.value is not None
        }

    # -- events -------------------------------------------------------------------------------

    def answer(self, step_id: str, raw: Any) -> Judgement:
        """Check and store the answer to the current step; AnswerError when it is not valid."""
        position = self._expect(step_id)
        step = position.step
        if isinstance(step, PingStep):
            raise _refused("ping 步骤由程序执行，无需回答", "a ping step is run, not answered")
        value = parse_answer(step, raw, self.checklist, now=local_now())
        if isinstance(step, DateRecord):
            backwards = _runs_backwards(step, value, self.given_answers())
            if backwards is not None:
                raise WalkRefused(backwards)
        for ping in self._address_checks.get(step.id, []):
            problem = address_problem(ping, {**self.given_answers(), step.id: value})
            if problem is not None:
                raise WalkRefused(problem)
        judgement = judge(step, value, self.checklist)
        entry = self._entry_for(position)
        attachments = list(entry.attachments)
        if isinstance(step, AttachmentStep) and isinstance(value, str):
            attachments.append(self.handle.attach(value))
        now = local_now()
        # A failed check stays open: the engineer checks again, records it as failed and goes
        # on, ends the visit (a check that ends it) or quits; every answer is kept.
        open_failure = isinstance(step, CheckStep) and value is False
        attempts = entry.check_attempts
        if isinstance(step, CheckStep) and isinstance(value, bool):
            attempts = [*attempts, CheckAttempt(value=value, at=now)]
        self._store(
            entry.model_copy(
                update={
                    "value": value,
                    "unit": step.unit if isinstance(step, NumberRecord) else None,
                    "passed": judgement.outcome != "fail" if _has_criterion(step) else None,
                    "warning": judgement.reason.get(self.lang)
                    if judgement.outcome == "warning" and judgement.reason
                    else None,
                    "answered_at": None if open_failure else now,
                    "skipped": False,
                    "skip_reason": None,
                    "attachments": attachments,
                    "inputs": self._inputs(step),
                    "check_attempts": attempts,
                }
            ),
            moved_on=not open_failure,
        )
        return judgement

    def failed_check(self) -> CheckStep | None:
        """The current step when it is a check whose last answer failed and that waits for the
        engineer's choice: check again (`answer`), `accept_check_failure` or `end_visit`."""
        position = self.current()
        if position is None or not isinstance(position.step, CheckStep):
            return None
        entry = position.entry
        if entry is None or _settled(entry) or entry.passed is not False:
            return None
        return position.step

    def accept_check_failure(self, step_id: str) -> None:
        """Record the current failed check as failed and go on (not for a check that ends the
        visit: that one ends it through `end_visit`, or is checked again)."""
        step = self._pending_failed_check(step_id)
        if not step.can_continue_on_fail:
            raise _refused(
                "此检查未通过时走访不能继续：请重新检查，或确认结束走访",
                "when this check fails the visit cannot go on: check again, or end the visit",
            )
        self._settle_failed_check(step_id)

    def end_visit(self, step_id: str) -> None:
        """End the visit at the current failed check that the checklist marks as ending it
        (`can_continue: false`); the steps after it are recorded as skipped. The caller has
        asked the engineer to confirm."""
        step = self._pending_failed_check(step_id)
        if step.can_continue_on_fail:
            raise _refused(
                "此检查未通过时走访可以继续：记为未通过并继续",
                "the visit can go on after this check fails: record it as failed and go on",
            )
        self._settle_failed_check(step_id)

    def _pending_failed_check(self, step_id: str) -> CheckStep:
        self._expect(step_id)
        step = self.failed_check()
        if step is None:
            raise _refused(
                "这一步没有待处理的未通过检查", "this step has no failed check to settle"
            )
        return step

    def _settle_failed_check(self, step_id: str) -> None:
        entry = self._entries()[step_id]
        self._store(entry.model_copy(update={"answered_at": local_now()}), moved_on=True)

    def skip(self, step_id: str, reason: str) -> None:
        """Skip the current step, which must not be required, with the engineer's reason."""
        position = self._expect(step_id)
        if position.step.required:
            raise _refused(
                "此步骤为必做项，不能跳过", "this step is required and cannot be skipped"
            )
        if not reason.strip():
            raise _refused("跳过需要说明原因", "a skip needs a reason")
        self._store(
            self._entry_for(position).model_copy(
                update={
                    "value": None,
                    "unit": None,
                    "passed": None,
                    "warning": None,
                    "answered_at": local_now(),
                    "skipped": True,
                    "skip_reason": reason.strip(),
                    "inputs": self._inputs(position.step),
                }
            ),
            moved_on=True,
        )

    def back(self) -> Position:
        """Go to the previous step the engineer answered or skipped, to revise it."""
        here = self.current()
        start = here.index if here is not None else len(self.checklist.steps)
        entries = self._entries()
        for index in range(start - 1, -1, -1):
            entry = entries.get(self.checklist.steps[index].id)
            if entry is not None and _settled(entry) and not _skipped_by_walk(entry):
                self._revisit = index
                position = self.current()
                assert position is not None
                return position
        raise _refused("前面没有可修改的回答", "there is no earlier answer to go back to")

    def keep(self, step_id: str) -> None:
        """Leave a step revisited after `back` as it was and go on."""
        position = self._expect(step_id)
        if not position.revisiting:
            raise _refused("需要一个回答", "an answer is needed")
        self._revisit = None
        self._reconcile(self._entries(), save=False)

    def note(self, step_id: str, text: str) -> None:
        """Attach a note to the current step."""
        position = self._expect(step_id)
        if not text.strip():
            raise _refused("备注不能为空", "a note needs some text")
        entry = self._entry_for(position)
        note = Note(text=text.strip(), at=local_now())
        self._store(entry.model_copy(update={"notes": [*entry.notes, note]}), moved_on=False)

    def attach(self, step_id: str, path: str | os.PathLike[str]) -> Attachment:
        """Copy a file into the visit folder (with its sha256) and attach it to the current step."""
        position = self._expect(step_id)
        attachment = self.handle.attach(path)
        entry = self._entry_for(position)
        self._store(
            entry.model_copy(update={"attachments": [*entry.attachments, attachment]}),
            moved_on=False,
        )
        return attachment

    def ping_target(self, step: PingStep) -> tuple[str, str | None]:
        """The address to ping and the mask, from the earlier answers the step names."""
        given = self.given_answers()
        mask = given.get(step.mask) if step.mask else None
        return str(given[step.target]), None if mask is None else str(mask)

    def run_ping(
        self,
        step_id: str,
        *,
        on_reply: Callable[[Reply], None] | None = None,
        on_preflight: Callable[[list[Finding]], None] | None = None,
        quick: bool = False,
    ) -> PingResult:
        """Run the current ping step once and keep the attempt; `ok` passes the step, and so
        does `slow` (with a warning) unless the step says `slow_fails`.

        `quick` (a re-test): the quick plan of `ping --quick` instead of the step's own count,
        interval and timeout, stopping as soon as the verdict is certain.

        Any other verdict leaves the step open: the engineer re-tests (call again), accepts the
        failure (`accept_ping_failure`) or quits. Every attempt stays in the record.
        """
        position = self._expect(step_id)
        step = position.step
        if not isinstance(step, PingStep):
            raise _refused("这不是 ping 步骤", "this is not a ping step")
        target, mask = self.ping_target(step)
        count, interval_s, timeout_s = (
            QUICK_PLAN if quick else (step.count, step.interval_s, step.timeout_s)
        )
        result = self._ping(
            target,
            count=count,
            interval_s=interval_s,
            timeout_s=timeout_s,
            size=step.size,
            slow_ms=step.slow_ms,
            mask=mask,
            on_reply=on_reply,
            on_preflight=on_preflight,
            until_certain=quick,
        )
        entry = self._entry_for(position)
        passed = step.passes(result.verdict.value)
        # The walk's judgement beside the engine's JSON: whether this attempt passed the step
        # (a slow reply does by default, and then the first-time pass still holds).
        attempt = {**result.to_json(self.lang), "passes_step": passed}
        slow_warning = passed and result.verdict.value == "slow"
        self._store(
            entry.model_copy(
                update={
                    "value": result.verdict.value,
                    "passed": True if passed else None,
                    "warning": _slow_warning(result, self.lang) if slow_warning else None,
                    "answered_at": local_now() if passed else None,
                    "skipped": False,
                    "skip_reason": None,
                    "ping_attempts": [*entry.ping_attempts, attempt],
                    "inputs": self._inputs(step),
                }
            ),
            moved_on=passed,
        )
        return result

    def accept_ping_failure(self, step_id: str) -> None:
        """Record the current ping step as failed (its last attempt's verdict) and go on."""
        position = self._expect(step_id)
        entry = position.entry
        if not isinstance(position.step, PingStep) or entry is None or not entry.ping_attempts:
            raise _refused("还没有 ping 结果", "there is no ping attempt to record yet")
        if position.step.passes(str(entry.ping_attempts[-1].get("verdict"))):
            # Back at a ping that passed: its last attempt is no failure to record.
            raise _refused(
                "上一次 ping 已通过，没有失败可记录", "the last ping passed: no failure to record"
            )
        self._store(
            entry.model_copy(update={"passed": False, "answered_at": local_now()}),
            moved_on=True,
        )

    def finish(self) -> VisitRecord:
        """Complete the visit: outcome by the checklist's kind, failed steps and findings, finish
        time; sealed with its digest."""
        if not self.done:
            raise _refused("还有步骤未完成", "some steps are not done yet")
        record = self.record
        verdict = judge_visit(self.checklist, record.answers)
        return self.handle.save(
            record.model_copy(
                update={
                    "status": VisitStatus.COMPLETED,
                    "outcome": verdict.outcome,
                    "failed_steps": verdict.failed_steps,
                    "findings": verdict.findings,
                    "finished_at": local_now(),
                }
            )
        )

    def close(self) -> None:
        """Leave the visit (quit): everything confirmed is already saved; release the lock."""
        self.handle.close()

    # -- inside -------------------------------------------------------------------------------

    def _entries(self) -> dict[str, StepAnswer]:
        return {entry.step_id: entry for entry in self.record.answers}

    def _expect(self, step_id: str) -> Position:
        position = self.current()
        if position is None:
            raise _refused("所有步骤已完成", "every step is done")
        if position.step.id != step_id:
            raise _refused(
                f"当前步骤是 {position.step.id}，不是 {step_id}",
                f"the current step is {position.step.id}, not {step_id}",
            )
        return position

    def _entry_for(self, position: Position) -> StepAnswer:
        if position.entry is not None:
            return position.entry
        return StepAnswer(step_id=position.step.id, step_type=position.step.type)

    def _inputs(self, step: AnyStep) -> dict[str, Any]:
        given = self.given_answers()
        return {name: given.get(name) for name in self._dependencies[step.id]}

    def _store(self, entry: StepAnswer, *, moved_on: bool) -> None:
        """Save the entry together with everything it changes downstream, in one save."""
        entries = self._entries()
        entries[entry.step_id] = entry
        self._reconcile(entries, save=True)
        if moved_on:
            self._revisit = None

    def _save(self, entries: Mapping[str, StepAnswer]) -> None:
        ordered = [entries[step.id] for step in self.checklist.steps if step.id in entries]
        self.handle.save(self.record.model_copy(update={"answers": ordered}))

    def _reconcile(self, entries: dict[str, StepAnswer], *, save: bool) -> None:
        """Bring every entry in line with the answers before it, and save if that changed any.

        Walks the steps in order: a result whose inputs changed is superseded (every step, also
        past the first open one, so no stale result stays current); up to the first open step,
        the walk's own skips are recorded. A `when` is evaluated with the answers of the steps
        before it, so revising an early answer changes later steps only here, in order, and
        never twice differently. Where the walk stands changes only once the save succeeded.
        """
        given: dict[str, Any] = {}
        ended_by: AnyStep | None = None
        changed = False
        frontier: int | None = None
        notices: list[SkipNotice | RedoNotice] = []
        for index, step in enumerate(self.checklist.steps):
            entry = entries.get(step.id)
            inputs = {name: given.get(name) for name in self._dependencies[step.id]}
            if entry is not None and _has_result(entry):
                recorded = _recorded_inputs(step, entry)
                if recorded is not None and recorded != {k: inputs.get(k) for k in recorded}:
                    reason = self._change_reason(recorded, inputs)
                    entry = entries[step.id] = _superseded(entry, recorded, reason)
                    notices.append(RedoNotice(step, reason))
                    changed = True
            if frontier is None:
                entry, skip_changed = self._apply_walk_skip(step, entry, given, ended_by)
                if skip_changed and entry is not None and entry.skipped:
                    notices.append(SkipNotice(step, entry.skip_reason or ""))
                changed = changed or skip_changed
                if entry is None:
                    entries.pop(step.id, None)
                else:
                    entries[step.id] = entry
                if entry is None or not _settled(entry):
                    frontier = index
                elif _ends_visit(step, entry):
                    ended_by = step
            if entry is not None and _settled(entry) and entry.value is not None:
                given[step.id] = entry.value
        if changed or save:
            self._save(entries)
        self._frontier = frontier
        self._notices += notices

    def _apply_walk_skip(
        self,
        step: AnyStep,
        entry: StepAnswer | None,
        given: Mapping[str, Any],
        ended_by: AnyStep | None,
    ) -> tuple[StepAnswer | None, bool]:
        """The entry with the walk's own skip recorded or lifted; whether that changed it."""
        reason = self._walk_skip_reason(step, given, ended_by)
        if reason is not None:
            if entry is not None and entry.skipped and entry.skip_reason == reason:
                return entry, False
            if entry is not None and _has_result(entry):
                # The engineer's answer to a step now hidden is history, not lost.
                entry = _superseded(entry, _recorded_inputs(step, entry), reason)
            return _walk_skip(step, entry, reason), True
        if entry is not None and _skipped_by_walk(entry):
            # Hidden before, shown now that an earlier answer changed: ask it again, keeping
            # only what the engineer added to it (notes, attachments, history).
            if entry.notes or entry.attachments or entry.superseded:
                return entry.model_copy(update={"skipped": False, "skip_reason": None}), True
            return None, True
        return entry, False

    def _change_reason(self, recorded: Mapping[str, Any], inputs: Mapping[str, Any]) -> str:
        """`gateway changed: 192.168.1.1 → 192.168.1.2`, one part per changed input."""
        parts = []
        for name in recorded:
            old, new = recorded.get(name), inputs.get(name)
            if old != new:
                parts.append(
                    Text(
                        zh=f"{name} 已更改：{_shown(old, self.lang)} → {_shown(new, self.lang)}",
                        en=f"{name} changed: {_shown(old, self.lang)} → {_shown(new, self.lang)}",
                    ).get(self.lang)
                )
        return "; ".join(parts)

    def _walk_skip_reason(
        self, step: AnyStep, given: Mapping[str, Any], ended_by: AnyStep | None
    ) -> str | None:
        if ended_by is not None:
            return Text(
                zh=f"检查 {ended_by.id} 未通过，不能继续，走访结束",
                en=f"the failed check {ended_by.id} ends the visit",
            ).get(self.lang)
        if step.when is not None and not holds(step.when, given):
            return Text(zh="条件不成立：", en="condition not met: ").get(self.lang) + skip_reason(
                step.when, self.lang
            )
        if isinstance(step, PingStep) and step.target not in given:
            return Text(
                zh=f"没有可 ping 的地址：{step.target} 未回答",
                en=f"no address to ping: {step.target} was not answered",
            ).get(self.lang)
        return None


_SLOW_WARNING = Text(
    zh="时延偏大:有往返时间达到或超过 {slow_ms} ms(最长 {max_ms} ms);培训资料的正常结果为 "
    "time<50ms,但未把较慢的完整回复列为失败,故通过并提示。",
    en="Slow: some round trips took {slow_ms} ms or more (longest {max_ms} ms); the seed's "
    "normal outcome is time<50ms, but it never calls a slower complete reply a failure, so the "
    "step passes with this warning.",
)


def _slow_warning(result: PingResult, lang: Lang) -> str:
    longest = result.statistics.max_ms
    return _SLOW_WARNING.get(lang).format(
        slow_ms=f"{result.slow_ms:g}", max_ms="?" if longest is None else f"{longest:g}"
    )


def _shown(value: Any, lang: Lang) -> str:
    if value is None:
        return Text(zh="（未回答）", en="(not answered)").get(lang)
    return str(value)


def _superseded(entry: StepAnswer, inputs: dict[str, Any] | None, reason: str) -> StepAnswer:
    """The entry with its result moved to its history; notes and attachments stay."""
    old = SupersededResult(
        value=entry.value,
        unit=entry.unit,
        passed=entry.passed,
        warning=entry.warning,
        answered_at=entry.answered_at,
        skipped=entry.skipped,
        skip_reason=entry.skip_reason,
        inputs=inputs,
        ping_attempts=entry.ping_attempts,
        superseded_at=local_now(),
        reason=reason,
    )
    return entry.model_copy(
        update={
            "value": None,
            "unit": None,
            "passed": None,
            "warning": None,
            "answered_at": None,
            "skipped": False,
            "skip_reason": None,
            "ping_attempts": [],
            "inputs": None,
            "superseded": [*entry.superseded, old],
        }
    )


def _walk_skip(step: AnyStep, entry: StepAnswer | None, reason: str) -> StepAnswer:
    """A skip made by the walk itself; notes, attachments and ping attempts are kept."""
    base = entry or StepAnswer(step_id=step.id, step_type=step.type)
    return base.model_copy(
        update={
            "value": None,
            "unit": None,
            "passed": None,
            "warning": None,
            "answered_at": None,
            "skipped": True,
            "skip_reason": reason,
            "inputs": None,
        }
    )
