"""Property: whatever an engineer does, in any order, the visit record stays true.

Random sequences of answers (valid and not), `back`, `keep`, `skip`, notes, ping re-tests and
accepted failures, and quit-and-resume, on every built-in checklist and on one that uses every
derived value of the language (tests/binding_support.py), with a scripted ping (no network).
After every event the record holds its invariants, and what the walk holds is what a fresh
read of the disk gives; the walk is then finished and the completed record checked again.

The walk reconciles only from the step an event changed (fieldkit/walk/reconcile.py); over the
same random events, every such pass is held equal to a pass over every step.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from binding_support import (
    ANSWERS,
    NOW_HIDDEN,
    STILL_SHOWN,
    assert_record_tells_the_truth,
    current_values,
    every_dependency,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from records_factory import fields
from walk_support import ScriptedPing

from fieldkit.checklist.answers import AnswerError, parse_answer
from fieldkit.checklist.load import LoadedChecklist, load_checklist
from fieldkit.checklist.models import (
    AnyStep,
    AttachmentStep,
    Checklist,
    CheckStep,
    ChoiceRecord,
    DateRecord,
    FollowupsStep,
    InstructionStep,
    Ipv4Record,
    NetmaskRecord,
    NumberRecord,
    PingStep,
    SerialRecord,
    SignatureStep,
    ToolsStep,
)
from fieldkit.lang import Lang
from fieldkit.paths import builtin_checklists_dir
from fieldkit.records.models import Outcome, StepAnswer, VisitRecord, VisitStatus, verify_digest
from fieldkit.records.store import RecordStore
from fieldkit.walk import entries as walk_entries
from fieldkit.walk.machine import Walkthrough
from fieldkit.walk.outcome import deciding_steps, ending_checks
from fieldkit.walk.reconcile import Reconciled, RedoNotice, SkipNotice, Stand, StepGraph, reconcile
from fieldkit.walk.visit import resume_walk, start_walk

BUILTINS = sorted(path.stem for path in builtin_checklists_dir().glob("*.yaml"))
CHECKLISTS = [*BUILTINS, "every-dependency"]
VERDICTS = ["ok", "ok", "timeout", "slow", "local_unreachable", "own_address", "partial_loss"]
ADDRESSES = ["192.0.2.1", "192.0.2.2", "192.0.2.10", "192.0.2.11", "192.0.2.0", "198.51.100.1"]
MASKS = ["/24", "/25", "255.255.0.0", "/30"]
# Each event is drawn with a count: `forward 5` answers five steps, `back 3` goes back three.
EVENTS = ["forward", "forward", "answer", "answer", "bad", "back", "back", "keep", "skip", "note",
          "ping", "accept", "resume"]  # fmt: skip
# About 1 s per checklist at 12 examples; FIELDKIT_WALK_EXAMPLES=500 searches harder.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("FIELDKIT_WALK_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def open_checklist_named(name: str, folder: Path) -> LoadedChecklist:
    if name == "every-dependency":
        return every_dependency(folder)
    return load_checklist(builtin_checklists_dir() / f"{name}.yaml")


def raw_answer(step: AnyStep, draw: Callable[[Any], Any], folder: Path) -> Any:
    """An answer as an engineer could type it: mostly valid, sometimes not."""
    if isinstance(step, (InstructionStep, CheckStep)):
        return draw(st.booleans())
    if isinstance(step, NumberRecord):
        low = step.min if step.min is not None else -100
        high = step.max if step.max is not None else 100
        if step.input == "integer":
            return draw(st.integers(int(low), int(high)))
        return round(draw(st.floats(low, high, allow_nan=False)), 1)
    if isinstance(step, Ipv4Record):
        return draw(st.sampled_from(ADDRESSES))
    if isinstance(step, NetmaskRecord):
        return draw(st.sampled_from(MASKS))
    if isinstance(step, ChoiceRecord):
        values = [choice.value for choice in step.choices]
        if step.input == "choice":
            return draw(st.sampled_from(values))
        return draw(st.lists(st.sampled_from(values), min_size=1, unique=True))
    if isinstance(step, DateRecord):
        return "now" if step.input == "datetime" else "2024-05-01"
    if isinstance(step, SerialRecord):
        return draw(st.from_regex(step.pattern, fullmatch=True).filter(str.isprintable))
    if isinstance(step, ToolsStep):
        return []
    if isinstance(step, AttachmentStep):
        ending = step.accept[0] if step.accept else ".txt"
        path = folder / f"photo{ending}"
        path.write_bytes(b"a photo")
        return str(path)
    if isinstance(step, SignatureStep):
        return "王经理"
    if isinstance(step, FollowupsStep):
        item = {"problem": "UPS", "owner": "李工", "due": "2030-06-01"}
        return draw(st.sampled_from([[], [item]]))
    return draw(st.sampled_from(["clean and tight", "无"]))


class Session:
    """One visit driven by random events; `walk` changes when the visit is resumed."""

    def __init__(self, name: str, folder: Path, verdicts: list[str]) -> None:
        self.folder = folder
        self.store = RecordStore(folder / "records")
        self.ping = ScriptedPing(verdicts)
        self.walk = start_walk(
            self.store, open_checklist_named(name, folder), fields(), ping=self.ping, lang="en"
        )
        self.visit_id = self.walk.record.visit_id

    def event(self, kind: str, times: int, draw: Callable[[Any], Any]) -> None:
        for _ in range(times if kind in ("forward", "back") else 1):
            self._event(kind, draw)

    def _event(self, kind: str, draw: Callable[[Any], Any]) -> None:
        walk = self.walk
        position = walk.current()
        try:
            if kind == "resume":
                walk.close()
                self.walk = resume_walk(self.store, self.visit_id, ping=self.ping, lang="en")
            elif kind == "back":
                walk.back()
            elif position is None:
                return
            elif kind == "keep":
                walk.keep(position.step.id)
            elif kind == "skip":
                walk.skip(position.step.id, "no meter today")
            elif kind == "note":
                walk.note(position.step.id, "rack is full")
            elif kind == "accept" and walk.failed_check() is not None:
                settle_failed_check(walk)
            elif isinstance(position.step, PingStep):
                if kind == "accept":
                    walk.accept_ping_failure(position.step.id)
                else:
                    walk.run_ping(position.step.id)
            elif kind == "bad":
                walk.answer(position.step.id, "§ not an answer §")
            elif kind == "forward":
                self._answer_somehow(position.step, draw)
            else:
                walk.answer(position.step.id, raw_answer(position.step, draw, self.folder))
        except AnswerError:
            pass  # refused (required step, bad value, nothing to go back to...): allowed

    def finish(self, draw: Callable[[Any], Any]) -> VisitRecord:
        """Answer what is left (valid answers, failures accepted) and complete the visit."""
        for _ in range(400):
            position = self.walk.current()
            if position is None:
                return self.walk.finish()
            step = position.step
            try:
                if self.walk.failed_check() is not None:
                    settle_failed_check(self.walk)
                elif isinstance(step, PingStep):
                    self.walk.run_ping(step.id)
                    still = self.walk.current()
                    if still is not None and still.step.id == step.id:  # not passed
                        self.walk.accept_ping_failure(step.id)
                else:
                    self._answer_somehow(step, draw)
            except AnswerError:
                self.walk.skip(step.id, "left for the next visit")  # refused if required
        raise AssertionError("the walk never reached its end")

    def _answer_somehow(self, step: AnyStep, draw: Callable[[Any], Any]) -> None:
        """A drawn answer, else the first of the fallbacks the walk takes."""
        fallbacks: list[Any] = [raw_answer(step, draw, self.folder)]
        if isinstance(step, Ipv4Record):
            # A gateway must fit the customer IP and mask given: a neighbour of an address does.
            given = [v for v in current_values(self.walk.record).values() if _is_ipv4(v)]
            fallbacks += [str(ipaddress.ip_address(v) + d) for v in given for d in (1, -1)]
        if isinstance(step, (InstructionStep, CheckStep)):
            fallbacks.append(True)
        for answer in fallbacks[:-1]:
            try:
                self.walk.answer(step.id, answer)
                return
            except AnswerError:
                continue
        self.walk.answer(step.id, fallbacks[-1])


def settle_failed_check(walk: Walkthrough) -> None:
    """What the engineer chooses after a failed check instead of checking again: go on, or end
    the visit (confirmed) when the check is one that ends it."""
    step = walk.failed_check()
    assert step is not None
    if step.can_continue_on_fail:
        walk.accept_check_failure(step.id)
    else:
        walk.end_visit(step.id)


def _is_ipv4(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def assert_on_disk(session: Session) -> None:
    on_disk = session.store.load(session.visit_id)
    assert on_disk.model_dump(mode="json") == session.walk.record.model_dump(mode="json")


def assert_outcome_follows_the_answers(record: VisitRecord, checklist: Checklist) -> None:
    """docs/visit-record.md "Outcome per kind", restated: failures decide, findings do not."""
    failed = [entry.step_id for entry in record.answers if entry.passed is False]
    assert sorted(record.failed_steps + record.findings) == sorted(failed)
    assert not set(record.failed_steps) & set(record.findings)
    counted = deciding_steps(checklist) | ending_checks(checklist)
    assert set(record.failed_steps) <= counted and not set(record.findings) & counted
    if checklist.kind in ("inspection", "visit"):
        wanted = Outcome.NOT_COMPLETED if record.failed_steps else Outcome.COMPLETED
    elif checklist.kind == "repair":
        passed = {entry.step_id for entry in record.answers if entry.passed is True}
        shown = not record.failed_steps and deciding_steps(checklist) <= passed
        wanted = Outcome.RESTORED if shown else Outcome.NOT_RESTORED
    else:
        wanted = Outcome.FAILED if record.failed_steps else Outcome.PASSED
    assert record.outcome is wanted


def assert_completed_record_is_consistent(record: VisitRecord, session: Session) -> None:
    assert record.status is VisitStatus.COMPLETED and verify_digest(record)
    assert [entry.step_id for entry in record.answers] == [
        step.id for step in session.walk.checklist.steps
    ]
    for entry in record.answers:
        assert entry.skipped or entry.answered_at is not None, entry.step_id  # nothing open
        if entry.step_type == "check" and not entry.skipped:  # every answer kept, last counts
            assert entry.check_attempts and entry.check_attempts[-1].value == entry.value
    assert_outcome_follows_the_answers(record, session.walk.checklist)
    assert record.finished_at is not None and record.started_at <= record.finished_at
    assert all(e.answered_at <= record.finished_at for e in record.answers if e.answered_at)


@pytest.mark.parametrize("name", CHECKLISTS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_sequence_of_events_leaves_a_true_record_on_disk(
    name: str, data: st.DataObject
) -> None:
    verdicts = data.draw(st.lists(st.sampled_from(VERDICTS), min_size=1, max_size=6))
    events = data.draw(st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(1, 8)), max_size=40))
    with tempfile.TemporaryDirectory() as folder:
        session = Session(name, Path(folder), verdicts)
        try:
            for kind, times in events:
                session.event(kind, times, data.draw)
                assert_record_tells_the_truth(session.walk.record, session.walk.checklist)
                assert_on_disk(session)
            record = session.finish(data.draw)
            assert_record_tells_the_truth(record, session.walk.checklist)
            assert_completed_record_is_consistent(record, session)
            assert session.store.load(session.visit_id) == record
        finally:
            session.walk.close()


def as_compared(reconciled: Reconciled) -> tuple[Any, ...]:
    entries = [(key, entry.model_dump(mode="json")) for key, entry in reconciled.entries.items()]
    return entries, reconciled.stand, reconciled.notices, reconciled.changed


@contextmanager
def every_pass_checked_against_a_full_one() -> Iterator[list[Reconciled]]:
    """Each pass the walk makes from a changed step, compared with a pass over every step on
    the same entries (one clock reading for both: a superseded result carries the time)."""
    compared: list[Reconciled] = []

    def both(
        graph: StepGraph,
        entries: Mapping[str, StepAnswer],
        *,
        lang: Lang,
        clock: Callable[[], datetime],
        revised: StepAnswer | None = None,
        stand: Stand | None = None,
    ) -> Reconciled:
        moment = clock()
        fast = reconcile(
            graph, entries, lang=lang, clock=lambda: moment, revised=revised, stand=stand
        )
        if revised is not None:
            revised_entries = {**entries, revised.step_id: revised}
            full = reconcile(graph, revised_entries, lang=lang, clock=lambda: moment)
            assert as_compared(fast) == as_compared(full), revised.step_id
            compared.append(fast)
        return fast

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(walk_entries, "reconcile", both)
        yield compared


def assert_a_full_pass_changes_nothing(walk: Walkthrough) -> None:
    """What the walk holds is a fixed point of a pass over every step, and stands where the
    walk says it does (unless the engineer went back to an earlier step)."""
    full = reconcile(
        StepGraph(walk.checklist),
        {entry.step_id: entry for entry in walk.record.answers},
        lang=walk.lang,
        clock=lambda: datetime.now().astimezone(),
    )
    assert not full.changed and not full.notices
    position = walk.current()
    if position is None or not position.revisiting:
        assert (None if position is None else position.index) == full.stand.frontier


@pytest.mark.parametrize("name", CHECKLISTS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_reconciling_from_the_changed_step_equals_a_pass_over_every_step(
    name: str, data: st.DataObject
) -> None:
    verdicts = data.draw(st.lists(st.sampled_from(VERDICTS), min_size=1, max_size=6))
    events = data.draw(st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(1, 8)), max_size=40))
    with tempfile.TemporaryDirectory() as folder, every_pass_checked_against_a_full_one():
        session = Session(name, Path(folder), verdicts)
        try:
            for kind, times in events:
                session.event(kind, times, data.draw)
                assert_a_full_pass_changes_nothing(session.walk)
            session.finish(data.draw)
        finally:
            session.walk.close()


@pytest.mark.parametrize(("earlier", "new", "later"), STILL_SHOWN + NOW_HIDDEN)
def test_revising_an_early_answer_redoes_the_same_steps_as_a_pass_over_every_step(
    tmp_path: Path, earlier: str, new: object, later: str
) -> None:
    with every_pass_checked_against_a_full_one() as compared:
        session = Session("every-dependency", tmp_path, ["ok"])
        walk = session.walk
        while (position := walk.current()) is not None:
            if isinstance(position.step, PingStep):
                walk.run_ping(position.step.id)
            else:
                walk.answer(position.step.id, ANSWERS[position.step.id])
        while walk.back().step.id != earlier:
            pass
        walk.answer(earlier, new)
        assert_a_full_pass_changes_nothing(walk)
        walk.close()
    last = compared[-1]
    # The pass started at the revised step and reached the later step that used it.
    assert any(
        isinstance(notice, (RedoNotice, SkipNotice)) and notice.step.id == later
        for notice in last.notices
    )


def drawn_entry(
    step: AnyStep,
    given: Mapping[str, Any],
    checklist: Checklist,
    draw: Callable[[Any], Any],
    folder: Path,
) -> StepAnswer | None:
    """Any state an entry can be in, whether or not a walk would reach it: none, answered
    (with the inputs given, none, or stale ones), skipped by the engineer or by the walk, a
    check left open after a no, ping attempts."""
    kind = draw(st.sampled_from(["none", "answered", "answered", "skipped", "walk", "open"]))
    now = datetime.now().astimezone()
    base = StepAnswer(step_id=step.id, step_type=step.type)
    names = StepGraph(checklist).dependencies[step.id]
    inputs = draw(
        st.sampled_from(
            [
                {name: given.get(name) for name in names},
                None,
                {name: "198.51.100.7" for name in names},
            ]
        )
    )
    if kind == "skipped":
        return base.model_copy(update={"skipped": True, "skip_reason": "no", "answered_at": now})
    if kind == "walk":
        return base.model_copy(update={"skipped": True, "skip_reason": "hidden"})
    if kind == "open" and isinstance(step, CheckStep):
        return base.model_copy(update={"value": False, "passed": False, "inputs": inputs})
    if kind == "none" or kind == "open":
        return None
    if isinstance(step, PingStep):
        attempt = {"target": given.get(step.target), "verdict": "ok", "passes_step": True}
        return base.model_copy(
            update={"value": "ok", "passed": True, "answered_at": now, "inputs": inputs,
                    "ping_attempts": [attempt]}
        )  # fmt: skip
    try:
        value = parse_answer(step, raw_answer(step, draw, folder), checklist)
    except AnswerError:
        return None
    passed = value if isinstance(step, (InstructionStep, CheckStep)) else None
    return base.model_copy(
        update={"value": value, "passed": passed, "answered_at": now, "inputs": inputs}
    )


@pytest.mark.parametrize("name", CHECKLISTS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_pass_from_any_revised_step_equals_a_pass_over_every_step(
    name: str, data: st.DataObject, tmp_path: Path
) -> None:
    """Not only what a walk reaches: any entries, any one of them revised."""
    checklist = open_checklist_named(name, tmp_path).checklist
    graph = StepGraph(checklist)
    entries: dict[str, StepAnswer] = {}
    for step in checklist.steps:
        given_so_far = {k: e.value for k, e in entries.items() if e.answered_at is not None}
        entry = drawn_entry(step, given_so_far, checklist, data.draw, tmp_path)
        if entry is not None:
            entries[step.id] = entry
    moment = datetime.now().astimezone()
    first = reconcile(graph, entries, lang="en", clock=lambda: moment)
    for _ in range(data.draw(st.integers(1, 4))):
        step = data.draw(st.sampled_from(checklist.steps))
        given_now = {k: e.value for k, e in first.entries.items() if e.answered_at is not None}
        revised = drawn_entry(step, given_now, checklist, data.draw, tmp_path) or StepAnswer(
            step_id=step.id, step_type=step.type
        )
        fast = reconcile(
            graph, first.entries, lang="en", clock=lambda: moment, revised=revised,
            stand=first.stand,
        )  # fmt: skip
        full = reconcile(
            graph, {**first.entries, step.id: revised}, lang="en", clock=lambda: moment
        )
        assert as_compared(fast) == as_compared(full)
        first = full
