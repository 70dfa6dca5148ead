"""The walkthrough state machine: answers in, next step out. No terminal I/O.

A `Walkthrough` holds a checklist and an open visit (a `VisitHandle`, which holds the lock).
Events come in (`answer`, `skip`, `back`, `note`, `attach`, `run_ping`, `accept_ping_failure`,
`finish`); each one that changes the visit is saved through the store before it returns, so
whatever the engineer confirmed is on disk before the next prompt appears.

Where the walk stands is derived from the record, never kept beside it: the current step is the
first one without a settled entry (an answer, a skip, or a ping attempt accepted as failed), so
a resumed visit continues exactly where the saved record says. The only state in memory is the
step the engineer went `back` to.

Steps hidden by their `when` (or left without an address to ping, or after a failed check
that ends the visit) are recorded as skipped with the reason and `answered_at` left empty:
that is how the walk tells its own skips from the engineer's, which carry the time they were
made. Going back and changing an answer re-evaluates the later `when`s: a step that becomes
hidden is recorded as skipped, one that becomes visible is asked again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fieldkit.checklist.answers import AnswerError, AnswerValue, Judgement, judge, parse_answer
from fieldkit.checklist.conditions import holds, skip_reason
from fieldkit.checklist.models import (
    AnyStep,
    AttachmentStep,
    Checklist,
    CheckStep,
    ChoiceRecord,
    InstructionStep,
    NumberRecord,
    PingStep,
    ToolsStep,
)
from fieldkit.lang import Lang
from fieldkit.records.models import (
    Attachment,
    Note,
    Outcome,
    StepAnswer,
    VisitRecord,
    VisitStatus,
)
from fieldkit.records.store import VisitHandle, local_now
from fieldkit.text import Text

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


def _settled(entry: StepAnswer) -> bool:
    return entry.skipped or entry.answered_at is not None


def _skipped_by_walk(entry: StepAnswer) -> bool:
    return entry.skipped and entry.answered_at is None


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
        self._revisit: int | None = None
        self._frontier: int | None = None
        self._notices: list[SkipNotice] = []
        self._reconcile()

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

    def take_notices(self) -> list[SkipNotice]:
        """Steps the walk skipped by itself since the last call, in order."""
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
        judgement = judge(step, value, self.checklist)
        entry = self._entry_for(position)
        attachments = list(entry.attachments)
        if isinstance(step, AttachmentStep) and isinstance(value, str):
            attachments.append(self.handle.attach(value))
        self._store(
            entry.model_copy(
                update={
                    "value": value,
                    "unit": step.unit if isinstance(step, NumberRecord) else None,
                    "passed": judgement.outcome != "fail" if _has_criterion(step) else None,
                    "warning": judgement.reason.get(self.lang)
                    if judgement.outcome == "warning" and judgement.reason
                    else None,
                    "answered_at": local_now(),
                    "skipped": False,
                    "skip_reason": None,
                    "attachments": attachments,
                }
            ),
            moved_on=True,
        )
        return judgement

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
        self._reconcile()

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
    ) -> PingResult:
        """Run the current ping step once and keep the attempt; `ok` passes the step.

        Any other verdict leaves the step open: the engineer re-tests (call again), accepts the
        failure (`accept_ping_failure`) or quits. Every attempt stays in the record.
        """
        position = self._expect(step_id)
        step = position.step
        if not isinstance(step, PingStep):
            raise _refused("这不是 ping 步骤", "this is not a ping step")
        target, mask = self.ping_target(step)
        result = self._ping(
            target,
            count=step.count,
            interval_s=step.interval_s,
            timeout_s=step.timeout_s,
            size=step.size,
            slow_ms=step.slow_ms,
            mask=mask,
            on_reply=on_reply,
            on_preflight=on_preflight,
        )
        entry = self._entry_for(position)
        passed = result.verdict.value == "ok"
        self._store(
            entry.model_copy(
                update={
                    "value": result.verdict.value,
                    "passed": True if passed else None,
                    "answered_at": local_now() if passed else None,
                    "skipped": False,
                    "skip_reason": None,
                    "ping_attempts": [*entry.ping_attempts, result.to_json(self.lang)],
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
        self._store(
            entry.model_copy(update={"passed": False, "answered_at": local_now()}),
            moved_on=True,
        )

    def finish(self) -> VisitRecord:
        """Complete the visit: outcome, failed steps, finish time; sealed with its digest."""
        if not self.done:
            raise _refused("还有步骤未完成", "some steps are not done yet")
        record = self.record
        failed = [entry.step_id for entry in record.answers if entry.passed is False]
        return self.handle.save(
            record.model_copy(
                update={
                    "status": VisitStatus.COMPLETED,
                    "outcome": Outcome.FAILED if failed else Outcome.PASSED,
                    "failed_steps": failed,
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

    def _store(self, entry: StepAnswer, *, moved_on: bool) -> None:
        entries = self._entries()
        entries[entry.step_id] = entry
        self._save(entries)
        if moved_on:
            self._revisit = None
        self._reconcile()

    def _save(self, entries: Mapping[str, StepAnswer]) -> None:
        ordered = [entries[step.id] for step in self.checklist.steps if step.id in entries]
        self.handle.save(self.record.model_copy(update={"answers": ordered}))

    def _reconcile(self) -> None:
        """Walk the steps in order up to the first open one, recording the walk's own skips.

        A `when` is evaluated with the answers of the steps before it, so revising an early
        answer changes later steps only here, in order, and never twice differently.
        """
        entries = self._entries()
        given: dict[str, Any] = {}
        ended_by: AnyStep | None = None
        changed = False
        self._frontier = None
        for index, step in enumerate(self.checklist.steps):
            entry = entries.get(step.id)
            reason = self._walk_skip_reason(step, given, ended_by)
            if reason is not None:
                if entry is None or not entry.skipped or entry.skip_reason != reason:
                    entries[step.id] = _walk_skip(step, entry, reason)
                    self._notices.append(SkipNotice(step, reason))
                    changed = True
                continue
            if entry is not None and _skipped_by_walk(entry):
                # Hidden before, shown now that an earlier answer changed: ask it again, keeping
                # only what the engineer added to it (notes, attachments, ping attempts).
                if entry.notes or entry.attachments or entry.ping_attempts:
                    entries[step.id] = entry.model_copy(
                        update={"skipped": False, "skip_reason": None}
                    )
                else:
                    del entries[step.id]
                entry = entries.get(step.id)
                changed = True
            if entry is None or not _settled(entry):
                self._frontier = index
                break
            if not entry.skipped and entry.value is not None:
                given[step.id] = entry.value
            if _ends_visit(step, entry):
                ended_by = step
        if changed:
            self._save(entries)

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
        }
    )
