"""The walkthrough state machine: answers in, next step out. No terminal I/O.

A `Walkthrough` holds a checklist and an open visit (a `VisitHandle`, which holds the lock).
Events come in (`answer`, `skip`, `back`, `note`, `attach`, `run_ping`, `accept_ping_failure`,
`accept_check_failure`, `end_visit`, `finish`); each one that changes the visit is saved
through the store before it returns, so whatever the engineer confirmed is on disk before the
next prompt appears.

Where the walk stands is derived from the record, never kept beside it: the current step is the
first one without a settled entry (an answer, a skip, or a ping attempt or a check answered no
and then accepted as failed; a failed check stays open until then, like a failed ping), so
a resumed visit continues exactly where the saved record says. The only state in memory that
is not derived from the record is the step the engineer went `back` to.

Each event's entry is saved together with what it changes downstream (entries.py,
reconcile.py): steps hidden by their `when` (or left without an address to ping, or after a
failed check that ends the visit) are recorded as skipped with the reason and `answered_at`
left empty, which is how the walk tells its own skips from the engineer's; a result whose
inputs changed moves to the step's `superseded` history and the step is asked again
(binding.py). So the record on disk never shows a result next to inputs it was not computed
from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fieldkit.checklist.answers import AnswerError, parse_answer
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
    VisitRecord,
    VisitStatus,
)
from fieldkit.records.store import local_now
from fieldkit.records.visit_handle import VisitHandle
from fieldkit.text import Text
from fieldkit.walk.addresses import address_problem, address_steps
from fieldkit.walk.binding import runs_backwards, settled, skipped_by_walk
from fieldkit.walk.entries import VisitEntries
from fieldkit.walk.outcome import judge_visit
from fieldkit.walk.pinging import PingFunction, slow_warning
from fieldkit.walk.reconcile import RedoNotice, SkipNotice, StepGraph

if TYPE_CHECKING:
    from fieldkit.ping.model import Finding, PingResult, Reply


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
        return self.entry is not None and settled(self.entry)


def _has_criterion(step: AnyStep) -> bool:
    """Whether an answer to the step can fail; a plain reading is only recorded (passed: null)."""
    if isinstance(step, (InstructionStep, CheckStep, ToolsStep)):
        return True
    if isinstance(step, NumberRecord):
        return step.expect is not None or step.warn is not None
    return isinstance(step, ChoiceRecord) and step.expect is not None


class Walkthrough:
    """One visit being walked; every method that changes the visit saves before returning."""

    def __init__(
        self,
        checklist: Checklist,
        handle: VisitHandle,
        *,
        ping: PingFunction,
        lang: Lang,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        self.checklist = checklist
        self.handle = handle
        self.lang = lang
        # Every time the walk stores (answered, noted, finished) and the `today` an answer is
        # read against: aware, in the engineer's time zone.
        self.clock = clock
        self._ping = ping
        self._revisit: int | None = None
        self._entries = VisitEntries(handle, StepGraph(checklist), lang, clock)

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
        index = self._revisit if self._revisit is not None else self._entries.stand.frontier
        if index is None:
            return None
        step = self.checklist.steps[index]
        return Position(step, index, len(self.checklist.steps), self._entries.get(step.id))

    def entry(self, step_id: str) -> StepAnswer | None:
        """The record's entry for the step, if it has one (without reading the whole record)."""
        return self._entries.get(step_id)

    def take_notices(self) -> list[SkipNotice | RedoNotice]:
        """Steps the walk skipped by itself, or must ask again, since the last call, in order."""
        return self._entries.take_notices()

    def given_answers(self) -> dict[str, AnswerValue]:
        """Step id -> stored value of every answered (not skipped) step."""
        return {
            entry.step_id: entry.value  # type: ignore[misc]
            for entry in self.record.answers
            if settled(entry) and not entry.skipped and entry.value is not None
        }

    # -- events -------------------------------------------------------------------------------

    def answer(self, step_id: str, raw: Any) -> Judgement:
        """Check and store the answer to the current step; AnswerError when it is not valid."""
        position = self._expect(step_id)
        step = position.step
        if isinstance(step, PingStep):
            raise _refused("ping 步骤由程序执行，无需回答", "a ping step is run, not answered")
        value = parse_answer(step, raw, self.checklist, now=self.clock())
        if isinstance(step, DateRecord):
            backwards = runs_backwards(step, value, self._entries.answers_to(step.not_before))
            if backwards is not None:
                raise WalkRefused(backwards)
        for ping in self._entries.graph.address_checks.get(step.id, []):
            problem = address_problem(
                ping, {**self._entries.answers_to(address_steps(ping)), step.id: value}
            )
            if problem is not None:
                raise WalkRefused(problem)
        judgement = judge(step, value, self.checklist)
        entry = self._entry_for(position)
        attachments = list(entry.attachments)
        if isinstance(step, AttachmentStep) and isinstance(value, str):
            attachments.append(self.handle.attach(value))
        now = self.clock()
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
                    "inputs": self._entries.inputs(step.id),
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
        if entry is None or settled(entry) or entry.passed is not False:
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
        entry = self._entries.by_id()[step_id]
        self._store(entry.model_copy(update={"answered_at": self.clock()}), moved_on=True)

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
                    "answered_at": self.clock(),
                    "skipped": True,
                    "skip_reason": reason.strip(),
                    "inputs": self._entries.inputs(position.step.id),
                }
            ),
            moved_on=True,
        )

    def back(self) -> Position:
        """Go to the previous step the engineer answered or skipped, to revise it."""
        here = self.current()
        start = here.index if here is not None else len(self.checklist.steps)
        entries = self._entries.by_id()
        for index in range(start - 1, -1, -1):
            entry = entries.get(self.checklist.steps[index].id)
            if entry is not None and settled(entry) and not skipped_by_walk(entry):
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
        self._entries.reconcile_all()

    def note(self, step_id: str, text: str) -> None:
        """Attach a note to the current step."""
        position = self._expect(step_id)
        if not text.strip():
            raise _refused("备注不能为空", "a note needs some text")
        entry = self._entry_for(position)
        note = Note(text=text.strip(), at=self.clock())
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
        mask = self._entries.answer_to(step.mask) if step.mask else None
        return str(self._entries.answer_to(step.target)), None if mask is None else str(mask)

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
        slow_pass = passed and result.verdict.value == "slow"
        self._store(
            entry.model_copy(
                update={
                    "value": result.verdict.value,
                    "passed": True if passed else None,
                    "warning": slow_warning(result, self.lang) if slow_pass else None,
                    "answered_at": self.clock() if passed else None,
                    "skipped": False,
                    "skip_reason": None,
                    "ping_attempts": [*entry.ping_attempts, attempt],
                    "inputs": self._entries.inputs(step.id),
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
            entry.model_copy(update={"passed": False, "answered_at": self.clock()}),
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
                    "finished_at": self.clock(),
                }
            )
        )

    def close(self) -> None:
        """Leave the visit (quit): everything confirmed is already saved; release the lock."""
        self.handle.close()

    # -- inside -------------------------------------------------------------------------------

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

    def _store(self, entry: StepAnswer, *, moved_on: bool) -> None:
        self._entries.store(entry)
        if moved_on:
            self._revisit = None
