"""The walk's record, read by step and saved together with what a change does downstream.

machine.py decides what an event means for the current step; this module keeps the record's
entries in step order, looks an answer up by step without reading the whole record, and saves
an entry in one save with everything it changes after it (reconcile.py). Where the walk stands
(the first open step) changes only once that save succeeded, so after a failed save the walk
still stands where the record on disk says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from fieldkit.checklist.judging import AnswerValue
from fieldkit.lang import Lang
from fieldkit.records.models import StepAnswer, VisitRecord
from fieldkit.records.visit_handle import VisitHandle
from fieldkit.walk.binding import settled
from fieldkit.walk.reconcile import (
    Reconciled,
    RedoNotice,
    SkipNotice,
    Stand,
    StepGraph,
    reconcile,
)


class VisitEntries:
    """The entries of an open visit by step id, each save reconciled."""

    def __init__(
        self, handle: VisitHandle, graph: StepGraph, lang: Lang, clock: Callable[[], datetime]
    ) -> None:
        self.handle = handle
        self.graph = graph
        self.lang = lang
        self.clock = clock  # when a result the walk sets aside was superseded
        self.stand = Stand()
        self._notices: list[SkipNotice | RedoNotice] = []
        # The record's entries by step id, in step order, for the record object they came from.
        self._entries_of: VisitRecord | None = None
        self._by_id: dict[str, StepAnswer] = {}
        self.reconcile_all()

    @property
    def record(self) -> VisitRecord:
        return self.handle.record

    def by_id(self) -> dict[str, StepAnswer]:
        """Step id -> entry (not to be changed: `store` saves a changed entry)."""
        record = self.record
        if self._entries_of is not record:  # saved by other means (the visit finished)
            self._by_id = {entry.step_id: entry for entry in record.answers}
            self._entries_of = record
        return self._by_id

    def get(self, step_id: str) -> StepAnswer | None:
        return self.by_id().get(step_id)

    def answer_to(self, step_id: str) -> AnswerValue | None:
        """The stored value of an answered (not skipped) step, else None."""
        entry = self.get(step_id)
        if entry is None or not settled(entry) or entry.skipped:
            return None
        return entry.value  # type: ignore[return-value]

    def answers_to(self, step_ids: Iterable[str]) -> dict[str, AnswerValue | None]:
        return {name: self.answer_to(name) for name in step_ids}

    def inputs(self, step_id: str) -> dict[str, AnswerValue | None]:
        """The earlier answers a result of the step is computed from, to record beside it."""
        return self.answers_to(self.graph.dependencies[step_id])

    def take_notices(self) -> list[SkipNotice | RedoNotice]:
        """Steps the walk skipped by itself, or must ask again, since the last call, in order."""
        notices, self._notices = self._notices, []
        return notices

    def store(self, entry: StepAnswer) -> None:
        """Save the entry together with everything it changes downstream, in one save."""
        self._save(
            reconcile(
                self.graph,
                self.by_id(),
                lang=self.lang,
                clock=self.clock,
                revised=entry,
                stand=self.stand,
            )
        )

    def reconcile_all(self) -> None:
        """Pass over every step (a record just read, or a step kept as it was) and save if
        that changed any entry."""
        reconciled = reconcile(
            self.graph,
            {entry.step_id: entry for entry in self.record.answers},
            lang=self.lang,
            clock=self.clock,
        )
        if reconciled.changed:
            self._save(reconciled)
        else:
            self._adopt(reconciled, reconciled.entries)

    def _save(self, reconciled: Reconciled) -> None:
        ordered = list(reconciled.entries.values())
        # Entries are replaced, never changed in place (reconcile.py copies what it changes),
        # so the store looks only at the entries that are new objects.
        stored = self.handle.save(
            self.record.model_copy(update={"answers": ordered}), answers_replaced=True
        )
        # What is stored (validated again) is what the walk reads from now on; the store
        # keeps the answers in the order given.
        if len(stored.answers) == len(ordered):
            self._adopt(reconciled, dict(zip(reconciled.entries, stored.answers, strict=True)))
        else:
            self._adopt(reconciled, {entry.step_id: entry for entry in stored.answers})

    def _adopt(self, reconciled: Reconciled, entries: dict[str, StepAnswer]) -> None:
        self.stand = reconciled.stand
        self._notices += reconciled.notices
        self._entries_of = self.record
        self._by_id = entries
