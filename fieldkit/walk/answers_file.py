"""Walk a visit without prompts, from an answers file (YAML or JSON).

The file is one mapping: the visit fields (`engineer`, `customer`, `site`, `order`,
`order_type`, `grade`) and, for every other key, a step id and its answer, exactly as a
person would type it or as YAML/JSON values (`true`/`false` for instructions and checks, a
list for multi-choice, tools and followups). A step that is not required may be given as
`{skip: REASON}`; left out, it is skipped with "not in the answers file". Ping steps are run,
not answered; in this mode a verdict other than `ok` is recorded as failed and the walk goes on.

A check answered no is recorded as failed and the walk goes on, as at the prompt's `f`; checked
again, it is `{attempts: [no, yes]}` (every answer in order; the last one counts). A check that
ends the visit when it fails (`can_continue: false`) ends it only when the file confirms it:
`{attempts: [no], end_visit: true}`; a plain `no` there stops with a line saying so.

Every answer goes through the same checks as a typed one; the first missing or invalid answer
stops the walk with one `file:line:col: step ID: reason` line. Every answer before it is saved.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit import yamlsafe
from fieldkit.checklist.answers import AnswerError, parse_answer
from fieldkit.checklist.judging import Judgement
from fieldkit.checklist.models import Checklist, CheckStep, PingStep
from fieldkit.errors import UserInputError, ValidationFailed
from fieldkit.text import Text
from fieldkit.walk.machine import Position, RedoNotice, SkipNotice, Walkthrough

if TYPE_CHECKING:
    from fieldkit.ping.model import Finding, PingResult, Reply

VISIT_FIELDS = ("engineer", "customer", "site", "order", "order_type", "grade")
NOT_IN_FILE = Text(zh="答案文件中未给出", en="not in the answers file")


class AnswersFileError(UserInputError):
    """A missing or invalid answer; `visit_id` names the visit left in progress."""

    def __init__(self, message: str, visit_id: str) -> None:
        self.visit_id = visit_id
        super().__init__(message)


@dataclass
class AnswersFile:
    """A parsed answers file: the visit fields given, and step id -> raw answer."""

    loaded: yamlsafe.LoadedYaml
    visit: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)

    def where(self, step_id: str) -> str:
        line, col = self.loaded.where((step_id,))
        return f"{self.loaded.filename}:{line}:{col}"

    def check_steps(self, checklist: Checklist) -> None:
        """Every key names a step that is answered (not a ping step): typos fail before a walk."""
        steps = {step.id: step for step in checklist.steps}
        problems = []
        for step_id in self.answers:
            step = steps.get(step_id)
            if step is None:
                close = difflib.get_close_matches(step_id, [*steps, *VISIT_FIELDS], n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(
                    self.loaded.problem(
                        (step_id,), f"no step {step_id!r} in checklist {checklist.id}{hint}"
                    )
                )
            elif isinstance(step, PingStep):
                problems.append(
                    self.loaded.problem(
                        (step_id,), f"step {step_id} is a ping step: it is run, not answered"
                    )
                )
        if problems:
            raise ValidationFailed(problems)


def load_answers_file(path: str | Path) -> AnswersFile:
    """Read an answers file through the safe loader; its top level must be a mapping."""
    loaded = yamlsafe.load_yaml(path)
    if not isinstance(loaded.data, dict):
        raise ValidationFailed(
            [loaded.problem((), "an answers file is a mapping: visit fields and step id: answer")]
        )
    parsed = AnswersFile(loaded)
    problems = []
    for key, value in loaded.data.items():
        if key in VISIT_FIELDS:
            if isinstance(value, (list, dict)):
                message = f"{key}: expected text, not a list or mapping"
                problems.append(loaded.problem((key,), message))
            parsed.visit[key] = value
        elif not isinstance(key, str):  # `1:` or `null:` (a YAML number or null, not text)
            problems.append(loaded.problem((key,), f"{key!r} is not a step id"))
        else:
            parsed.answers[key] = value
    if problems:
        raise ValidationFailed(problems)
    return parsed


class WalkObserver:
    """What a walk from a file reports as it goes; the CLI shows it, tests may ignore it."""

    def skipped(self, notice: SkipNotice) -> None:
        """The walk skipped a step by itself (its `when` does not hold)."""

    def must_redo(self, notice: RedoNotice) -> None:
        """A step's result stopped counting (an answer it used changed): it is asked again."""

    def answered(self, position: Position, judgement: Judgement | None) -> None:
        """A step was answered (judgement) or skipped from the file (None)."""

    def ping_started(self, position: Position, target: str) -> None:
        """A ping step starts."""

    def ping_preflight(self, findings: list[Finding]) -> None:
        """The running ping's pre-flight findings, before its first echo."""

    def ping_reply(self, reply: Reply) -> None:
        """One reply of the running ping."""

    def ping_finished(self, position: Position, result: PingResult) -> None:
        """The verdict of a ping step."""


def tell_notices(walk: Walkthrough, observer: WalkObserver) -> None:
    """Pass on what the walk did by itself since the last event: skips and steps to redo."""
    for notice in walk.take_notices():
        if isinstance(notice, RedoNotice):
            observer.must_redo(notice)
        else:
            observer.skipped(notice)


def walk_from_file(
    walk: Walkthrough, answers: AnswersFile, observer: WalkObserver | None = None
) -> None:
    """Answer every remaining step from the file; stops at the first missing or bad answer."""
    observer = observer or WalkObserver()
    while True:
        tell_notices(walk, observer)
        position = walk.current()
        if position is None:
            return
        step = position.step
        if isinstance(step, PingStep):
            observer.ping_started(position, walk.ping_target(step)[0])
            result = walk.run_ping(
                step.id, on_reply=observer.ping_reply, on_preflight=observer.ping_preflight
            )
            observer.ping_finished(position, result)
            if not step.passes(result.verdict.value):
                walk.accept_ping_failure(step.id)
            continue
        try:
            judgement = _answer_step(walk, answers, position)
        except UserInputError as error:
            reason = error.reason.get(walk.lang) if isinstance(error, AnswerError) else str(error)
            if step.id in answers.answers:
                place = answers.where(step.id)
            else:
                place = answers.loaded.filename
            message = f"{place}: step {step.id}: {reason}"
            raise AnswersFileError(message, walk.record.visit_id) from None
        observer.answered(position, judgement)


def _answer_step(walk: Walkthrough, answers: AnswersFile, position: Position) -> Judgement | None:
    step = position.step
    if step.id not in answers.answers:
        if step.required:
            raise UserInputError("no answer in the file (the step is required)")
        walk.skip(step.id, NOT_IN_FILE.get(walk.lang))
        return None
    raw = answers.answers[step.id]
    if isinstance(raw, dict) and set(raw) == {"skip"}:
        reason = raw["skip"]
        if isinstance(reason, (list, dict)):  # str() would record "['a', 'b']"
            raise UserInputError("skip: the reason is text, not a list or mapping")
        walk.skip(step.id, "" if reason is None else str(reason))
        return None
    if isinstance(step, CheckStep):
        return _answer_check(walk, step, raw)
    return walk.answer(step.id, raw)


_CHECK_KEYS = {"attempts", "end_visit"}


def _answer_check(walk: Walkthrough, step: CheckStep, raw: Any) -> Judgement:
    """A check's answers in order (re-checks), then what a failure of the last one means."""
    end_visit = False
    attempts = [raw]
    if isinstance(raw, dict):
        unknown = set(raw) - _CHECK_KEYS
        if unknown or not isinstance(raw.get("attempts"), list) or not raw["attempts"]:
            raise UserInputError(
                "a check is answered yes or no, or {attempts: [no, yes], end_visit: true}"
                + (f" (unknown key {sorted(unknown)[0]!r})" if unknown else "")
            )
        if not isinstance(raw.get("end_visit", False), bool):
            raise UserInputError("end_visit is true or false")
        attempts, end_visit = raw["attempts"], raw.get("end_visit", False)
    for number, attempt in enumerate(attempts[:-1], start=1):
        if parse_answer(step, attempt, walk.checklist) is True:
            raise UserInputError(
                f"attempt {number} passes the check: only the last attempt can pass"
            )
    judgement = None
    for attempt in attempts:
        judgement = walk.answer(step.id, attempt)
    assert judgement is not None
    if walk.failed_check() is None:
        if end_visit:
            raise UserInputError("end_visit: true, but the last attempt passed the check")
        return judgement
    if step.can_continue_on_fail:
        if end_visit:
            raise UserInputError(
                "end_visit: true, but this check does not end the visit when it fails"
            )
        walk.accept_check_failure(step.id)
    elif end_visit:
        walk.end_visit(step.id)
    else:
        raise UserInputError(
            "this check ends the visit when it fails: confirm with "
            "{attempts: [no], end_visit: true}, or give the answer of the check done again, "
            "e.g. {attempts: [no, yes]}"
        )
    return judgement
