"""One visit open for writing, and how its saves are made durable.

A VisitHandle holds the visit's lock (visit.lock, lock.py) from the moment it is made until it is
closed, so one process writes a visit at a time. Each save either rewrites visit.json whole and
atomically (atomic.py) or appends what changed to visit.journal with one fsync (journal.py); it
returns only when a crash can no longer lose the record. The records folder itself (creating,
finding and reading visits) is store.py's.
"""

from __future__ import annotations

import contextlib
import copy
import operator
import os
from collections.abc import Iterator, Sequence
from itertools import compress
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from fieldkit.errors import UserInputError
from fieldkit.records import journal
from fieldkit.records.atomic import (
    DISK_FULL,
    FILE_MODE,
    SaveFailed,
    chmod_private,
    fsync_dir,
    write_all,
    write_atomic,
)
from fieldkit.records.attachments import copy_attachment
from fieldkit.records.identity import sha256_hex
from fieldkit.records.journal import JOURNAL_FILE
from fieldkit.records.loading import RECORD_FILE
from fieldkit.records.lock import LOCK_FILE, VisitLock
from fieldkit.records.models import (
    VERIFIED_SNAPSHOT,
    Attachment,
    StepAnswer,
    VisitRecord,
    VisitStatus,
)

# Below this the journal is never folded into visit.json during a visit (a 500-step visit's
# journal is ~0.3 MB); above it, once it outgrows visit.json.
_JOURNAL_MIN_REWRITE_BYTES = 4 * 1024 * 1024


class VisitFinished(UserInputError):
    """The visit is completed or aborted: its record no longer changes."""


def _what_was_not_saved(record: VisitRecord, previous: VisitRecord | None) -> str:
    """The change a failed save leaves out, in the words of what the engineer did."""
    if previous is None:
        return "the new visit was not created"
    if record.status is not previous.status:
        return (
            f"the visit was not marked {record.status.label.en}, it stays "
            f"{previous.status.label.en}"
        )
    return "answer not saved"


class VisitHandle:
    """One visit open for writing: holds its lock until close() (or the end of a `with`).

    A save appends the change to visit.journal (one fsync). visit.json is written whole, and
    the journal dropped, by the first save, the last one (the visit ends), the first save after
    opening a visit or after a failed save, and when the journal outgrows the record. See
    journal.py for why and how.
    """

    def __init__(self, folder: Path, visit_id: str) -> None:
        """Take the lock of the visit in `folder` (RecordStore.create and .open make handles)."""
        self.visit_id = visit_id
        self.folder = folder
        self._lock = VisitLock.acquire(self.folder / LOCK_FILE, visit_id)
        self._saved: VisitRecord | None = None  # None only inside create(), before the first save
        # The saved record as JSON without its checklist: what the next save is compared with.
        self._saved_content: dict[str, Any] = {}
        # Each saved answer's fields as saved, in objects no caller holds: what tells a changed
        # answer from an unchanged one without serialising it (see _changed_positions).
        self._saved_states: list[dict[str, Any]] = []
        self._snapshot_sha256 = ""
        self._snapshot_size = 0
        self._journal_fd: int | None = None
        self._journal_entries = 0
        self._journal_size = 0
        self._journal_needs_rewrite = False

    @property
    def record(self) -> VisitRecord:
        """The record as last saved (or as found on disk when the visit was opened)."""
        if self._saved is None:
            raise RuntimeError("the visit has not been saved yet")
        return self._saved

    def __enter__(self) -> VisitHandle:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._close_journal()
        self._lock.release()

    def save(self, record: VisitRecord, *, answers_replaced: bool = False) -> VisitRecord:
        """Make the record durable and return it as stored (with its digest once it ends).

        Returns only when a crash can no longer lose it; on failure the previous state stays.

        `answers_replaced`: the caller changes an answer only by replacing it (model_copy), never
        in place, so an answer that is the very object the stored record holds at that position
        is unchanged and is not looked at: the save costs what changed, not the length of the
        record (the walk saves so). Without it every answer is compared with its saved fields.
        """
        if record.visit_id != self.visit_id:
            raise ValueError(
                f"record {record.visit_id} saved through the handle of {self.visit_id}"
            )
        self._lock.ensure_held()
        previous = self._saved
        if previous is not None and previous.status is not VisitStatus.IN_PROGRESS:
            raise VisitFinished(
                f"visit {self.visit_id} is {previous.status.value}; it cannot change"
            )
        try:
            if previous is None or self._must_rewrite(record, previous):
                self._write_snapshot(_validated_whole(record))
            else:
                self._append_change(record, previous, answers_replaced)
        except ValidationError as error:
            raise SaveFailed(f"visit {self.visit_id}: invalid record not saved: {error}") from error
        except OSError as error:
            held = len(previous.answers) if previous is not None else 0
            if error.errno in DISK_FULL:
                reason = f"disk full: {_what_was_not_saved(record, previous)}"
            else:
                reason = f"cannot save visit {self.visit_id}: {error.strerror or error}"
            raise SaveFailed(
                f"{reason}; the record still holds {held} answers ({self.folder / RECORD_FILE})"
            ) from error
        return self.record

    def resume(self, stored: VisitRecord) -> None:
        """Carry on a visit found on disk: `stored` is its visit.json as loaded."""
        self._adopt(stored, (self.folder / RECORD_FILE).read_bytes())
        # The journal may end in a torn line that new lines must not follow: the first save
        # folds it into visit.json instead of appending.
        self._journal_needs_rewrite = (self.folder / JOURNAL_FILE).exists()

    def _must_rewrite(self, record: VisitRecord, previous: VisitRecord) -> bool:
        return (
            record.status is not VisitStatus.IN_PROGRESS
            or self._journal_needs_rewrite
            or self._journal_size > max(_JOURNAL_MIN_REWRITE_BYTES, self._snapshot_size)
            or record.checklist != previous.checklist
        )

    def _adopt(self, stored: VisitRecord, snapshot: bytes) -> None:
        self._saved = stored
        self._saved_content = stored.model_dump(mode="json", exclude={"checklist", "answers"})
        self._saved_states = [copy.deepcopy(answer.__dict__) for answer in stored.answers]
        self._snapshot_sha256 = sha256_hex(snapshot)
        self._snapshot_size = len(snapshot)

    def _write_snapshot(self, stored: VisitRecord) -> None:
        """visit.json rewritten whole (atomically), then the journal it absorbed removed."""
        if stored.status is not VisitStatus.IN_PROGRESS:
            stored = stored.sealed()
        data = stored.model_dump_json(indent=1).encode("utf-8")
        write_atomic(self.folder / RECORD_FILE, data)
        self._adopt(stored, data)
        # A crash here leaves a journal based on the old visit.json: readers ignore it.
        self._close_journal()
        # Best effort: a journal left behind (Windows refuses to delete a file a reader holds
        # open) no longer matches visit.json, so it is ignored, and truncated by the next save.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            (self.folder / JOURNAL_FILE).unlink()
            fsync_dir(self.folder)
        self._journal_entries = self._journal_size = 0
        self._journal_needs_rewrite = False

    def _append_change(
        self, record: VisitRecord, previous: VisitRecord, answers_replaced: bool
    ) -> None:
        """Validate only what changed, append it to the journal, fsync.

        The cost of a save follows what changed, not the size of the record: an answer is
        serialised only when its fields differ from those saved (a comparison of plain values,
        ten times cheaper than serialising), so a 4,000-step walk is not quadratic in JSON."""
        content = record.model_dump(mode="json", exclude={"checklist", "digest", "answers"})
        content["digest"] = None
        changed_fields = {
            key: value for key, value in content.items() if self._saved_content.get(key) != value
        }
        states = self._saved_states
        changed = self._changed_positions(record.answers, previous.answers, answers_replaced)
        changed_answers = {
            index: record.answers[index].model_dump(mode="json") for index in changed
        }
        # The snapshot is the one this handle holds, its sha256 checked when it was taken on:
        # checking it again on every save hashed the whole checklist source each time.
        header_only = VisitRecord.model_validate(
            {**content, "checklist": previous.checklist, "answers": []},
            context={VERIFIED_SNAPSHOT: previous.checklist},
        )
        stored_answers = list(previous.answers[: len(record.answers)])
        stored_answers.extend([None] * (len(record.answers) - len(stored_answers)))  # type: ignore[list-item]
        for index, answer in changed_answers.items():
            stored_answers[index] = StepAnswer.model_validate(answer)
        stored = header_only.model_copy(update={"answers": stored_answers})
        line = journal.entry(
            self._journal_entries + 1, changed_fields, len(record.answers), changed_answers
        )
        self._append_line(line)
        self._journal_entries += 1
        self._saved = stored
        self._saved_content = content
        del states[len(record.answers) :]
        for index in changed:
            # A second object from the same JSON: equal to the one handed out, held by no
            # caller (five times cheaper than a deep copy).
            state = StepAnswer.model_validate(changed_answers[index]).__dict__
            if index < len(states):
                states[index] = state
            else:
                states.append(state)

    def _changed_positions(
        self,
        answers: Sequence[StepAnswer],
        saved: Sequence[StepAnswer],
        answers_replaced: bool,
    ) -> list[int]:
        """The positions whose answer differs from the one saved there (or is new)."""
        states = self._saved_states
        if answers_replaced:
            # Only a position holding another object than the one saved can have changed; the
            # identity test runs in C, a few nanoseconds an answer.
            kept = min(len(answers), len(saved))
            candidates: Iterator[int] = compress(range(kept), map(operator.is_not, answers, saved))
        else:
            kept = min(len(answers), len(states))
            candidates = iter(range(kept))
        changed = [index for index in candidates if answers[index].__dict__ != states[index]]
        changed.extend(range(kept, len(answers)))
        return changed

    def _append_line(self, line: bytes) -> None:
        try:
            if self._journal_fd is None:
                path = self.folder / JOURNAL_FILE
                # O_TRUNC: a journal still there is left from before the last rewrite of
                # visit.json, whose content it already holds.
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
                self._journal_fd = os.open(path, flags | getattr(os, "O_BINARY", 0), FILE_MODE)
                chmod_private(path, FILE_MODE)
                line = journal.header(self._snapshot_sha256) + line
                write_all(self._journal_fd, line)
                os.fsync(self._journal_fd)
                fsync_dir(self.folder)
            else:
                write_all(self._journal_fd, line)
                os.fsync(self._journal_fd)
        except BaseException:  # a full disk, or Ctrl-C halfway through a long line
            # Part of the line may be on disk; the next save must not append after it (a reader
            # stops at the torn line), so it rewrites visit.json instead.
            self._journal_needs_rewrite = True
            if self._journal_fd is not None:
                # Give back the space the torn line took: on a full disk, the rewrite of
                # visit.json (this process's or a resumed one's) needs it.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._journal_fd, self._journal_size)
            self._close_journal()
            raise
        self._journal_size += len(line)

    def _close_journal(self) -> None:
        if self._journal_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._journal_fd)
            self._journal_fd = None

    def attach(self, source: str | os.PathLike[str]) -> Attachment:
        """Copy a file into attachments/ (0600) and return what an answer records about it."""
        self._lock.ensure_held()
        return copy_attachment(self.folder, Path(source))


def _validated_whole(record: VisitRecord) -> VisitRecord:
    """The record re-validated from JSON: one built with model_copy(update=...) is unchecked."""
    return VisitRecord.model_validate_json(
        record.model_copy(update={"digest": None}).model_dump_json()
    )
