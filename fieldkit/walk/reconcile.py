"""Where the walk stands, derived from the record, at a cost that follows what changed.

The walk keeps no state beside the record (machine.py). After every event the entries are
brought in line with the answers before them: a result whose inputs changed is superseded
(binding.py), and up to the first open step (the frontier) the walk's own skips are recorded
or lifted: a step hidden by its `when`, a ping left without an address, every step after a
failed check that ends the visit. A `when` is evaluated with the answers of the steps before
it, so revising an early answer changes later steps only here, in order, and never twice
differently.

Passing over every step after every answer made a 4,000-step walk quadratic (issue 8). An
event changes one entry, and the steps before it do not read it, so the pass starts at that
step with what the previous pass left there; it goes on step by step up to the new frontier
(where the skips are decided), and past the frontier it visits only the steps that read an
answer changed in this pass. Every other step is already what a full pass would make of it,
because the previous pass left it so and nothing it reads has changed.
tests/test_walk_properties.py holds the two passes equal over random events.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldkit.checklist.conditions import holds, skip_reason
from fieldkit.checklist.models import AnyStep, Checklist, CheckStep, PingStep
from fieldkit.lang import Lang
from fieldkit.records.models import StepAnswer
from fieldkit.text import Text
from fieldkit.walk.addresses import address_checks
from fieldkit.walk.binding import (
    change_reason,
    dependencies,
    has_result,
    recorded_inputs,
    settled,
    skipped_by_walk,
    superseded,
)


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


@dataclass(frozen=True)
class Stand:
    """Where reconciled entries leave the walk, as step indexes: the first open step (None
    when every step is settled) and the failed check that ended the visit, if one did."""

    frontier: int | None = None
    ended_by: int | None = None


@dataclass(frozen=True)
class Reconciled:
    """The entries after a pass (in step order, steps of the checklist only), where they
    leave the walk, what to tell the engineer, and whether any entry changed."""

    entries: dict[str, StepAnswer]
    stand: Stand
    notices: list[SkipNotice | RedoNotice]
    changed: bool


class StepGraph:
    """The checklist's steps, the earlier answers each one's result reads, and, the other way
    round, the later steps that read each answer."""

    def __init__(self, checklist: Checklist) -> None:
        self.steps = list(checklist.steps)
        self.index = {step.id: number for number, step in enumerate(self.steps)}
        self.address_checks = address_checks(checklist)
        self.dependencies = {
            step.id: dependencies(step, self.address_checks) for step in self.steps
        }
        readers: list[list[int]] = [[] for _ in self.steps]
        for number, step in enumerate(self.steps):
            for name in self.dependencies[step.id]:
                read = self.index.get(name)
                # An answer after the step is never among the answers it is judged with.
                if read is not None and read < number:
                    readers[read].append(number)
        self.readers = readers


def reconcile(
    graph: StepGraph,
    entries: Mapping[str, StepAnswer],
    *,
    lang: Lang,
    clock: Callable[[], datetime],
    revised: StepAnswer | None = None,
    stand: Stand | None = None,
) -> Reconciled:
    """Bring the entries in line with the answers before them; `entries` is not changed.

    `revised`: the one entry an event changed, `stand` where the walk stood before it, both
    from a previous pass over `entries`. Without them every step is passed over: for a record
    read from disk, or when nothing is known about what changed.
    """
    if revised is None:
        work = {step.id: entries[step.id] for step in graph.steps if step.id in entries}
        return _Pass(graph, work, lang, clock).run(start=0, before=Stand(), full=True)
    work = dict(entries)
    walk_pass = _Pass(graph, work, lang, clock)
    walk_pass.put(revised.step_id, revised)
    return walk_pass.run(start=graph.index[revised.step_id], before=stand or Stand(), full=False)


class _Pass:
    """One reconciliation over `work`, changed in place."""

    def __init__(
        self,
        graph: StepGraph,
        work: dict[str, StepAnswer],
        lang: Lang,
        clock: Callable[[], datetime],
    ) -> None:
        self.graph = graph
        self.work = work
        self.lang = lang
        self.clock = clock
        self.out_of_order = False

    def put(self, step_id: str, entry: StepAnswer | None) -> None:
        if entry is None:
            self.work.pop(step_id, None)
            return
        if step_id not in self.work and self.work:
            last = self.graph.index[next(reversed(self.work))]
            self.out_of_order = self.out_of_order or last > self.graph.index[step_id]
        self.work[step_id] = entry

    def given_before(self, name: str, number: int) -> Any:
        """The answer to step `name` as the step at `number` sees it: only earlier steps'."""
        read = self.graph.index.get(name)
        if read is None or read >= number:
            return None
        entry = self.work.get(name)
        return entry.value if entry is not None and settled(entry) else None

    def run(self, *, start: int, before: Stand, full: bool) -> Reconciled:
        """Walk the steps from `start`: every one when `full`, else in order up to the
        frontier and past it only those that read an answer this pass changed."""
        frontier = (
            before.frontier if before.frontier is not None and before.frontier < start else None
        )
        ended_by = (
            before.ended_by if before.ended_by is not None and before.ended_by < start else None
        )
        notices: list[SkipNotice | RedoNotice] = []
        changed = False
        waiting = [start]  # past the frontier: steps whose inputs may have changed, a heap
        following = start
        while True:
            if full or frontier is None:
                if following >= len(self.graph.steps):
                    break
                number = following
            else:
                while waiting and waiting[0] < following:
                    heapq.heappop(waiting)
                if not waiting:
                    break
                number = heapq.heappop(waiting)
            following = number + 1
            step = self.graph.steps[number]
            original = entry = self.work.get(step.id)
            inputs = {
                name: self.given_before(name, number) for name in self.graph.dependencies[step.id]
            }
            redo = None
            if entry is not None and has_result(entry):
                recorded = recorded_inputs(step, entry)
                if recorded is not None and recorded != {k: inputs.get(k) for k in recorded}:
                    reason = change_reason(recorded, inputs, self.lang)
                    entry = superseded(entry, recorded, reason, self.clock)
                    redo = RedoNotice(step, reason)
            if frontier is None:
                known = {name: value for name, value in inputs.items() if value is not None}
                ended = self.graph.steps[ended_by] if ended_by is not None else None
                entry, skip_changed = self._apply_walk_skip(step, entry, known, ended)
                if skip_changed and entry is not None and entry.skipped:
                    # Hidden at once: "skipped" only, not "must be done again" before it.
                    redo = None
                    notices.append(SkipNotice(step, entry.skip_reason or ""))
                if entry is None or not settled(entry):
                    frontier = number
                elif _ends_visit(step, entry):
                    ended_by = number
            if redo is not None:
                notices.append(redo)
            if entry is not original:
                changed = True
                self.put(step.id, entry)
            if not full and (entry is not original or number == start):
                for reader in self.graph.readers[number]:
                    heapq.heappush(waiting, reader)
        work = self.work
        if self.out_of_order:
            work = dict(sorted(work.items(), key=lambda item: self.graph.index[item[0]]))
        return Reconciled(work, Stand(frontier, ended_by), notices, changed)

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
            if entry is not None and has_result(entry):
                # The engineer's answer to a step now hidden is history, not lost.
                entry = superseded(entry, recorded_inputs(step, entry), reason, self.clock)
            return _walk_skip(step, entry, reason), True
        if entry is not None and skipped_by_walk(entry):
            # Hidden before, shown now that an earlier answer changed: ask it again, keeping
            # only what the engineer added to it (notes, attachments, history).
            if entry.notes or entry.attachments or entry.superseded:
                return entry.model_copy(update={"skipped": False, "skip_reason": None}), True
            return None, True
        return entry, False

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


def _ends_visit(step: AnyStep, entry: StepAnswer) -> bool:
    """A failed check with `can_continue: false` ends the visit as failed."""
    return isinstance(step, CheckStep) and not step.can_continue_on_fail and entry.passed is False


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
