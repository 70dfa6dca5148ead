"""The crash-safe store of visit records: one folder per visit, one visit.json per folder.

Design (docs/visit-record.md has the long version):
- visit.json is written whole and atomically (atomic.py); between those rewrites a save appends
  what changed to visit.journal (journal.py).
- One process writes a visit at a time: it holds visit.lock (lock.py) while the visit is open.
  Writing goes through a VisitHandle (visit_handle.py), which holds that lock and makes the saves.
- Attachments are copied into the visit's attachments/ folder (attachments.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from fieldkit import __version__
from fieldkit.errors import FieldkitError, UserInputError
from fieldkit.lang import Lang
from fieldkit.records.atomic import TEMP_SUFFIX, SaveFailed, fsync_dir, make_private_dir
from fieldkit.records.identity import is_visit_id, new_visit_id
from fieldkit.records.loading import RECORD_FILE, RecordUnreadable, read_record_file
from fieldkit.records.models import (
    ChecklistSnapshot,
    VisitFields,
    VisitRecord,
    VisitStatus,
)
from fieldkit.records.stored_attachments import ATTACHMENTS_DIR
from fieldkit.records.visit_handle import VisitFinished, VisitHandle


class VisitNotFound(UserInputError):
    """No visit with that id (or id prefix) in the records folder."""


def local_now() -> datetime:
    """Now, in the laptop's time zone (records show the engineer's local time, with its offset)."""
    return datetime.now().astimezone()


class RecordStore:
    """The records folder. Reading needs no lock; writing goes through a VisitHandle."""

    def __init__(self, root: str | os.PathLike[str], *, clock: Callable[[], datetime] = local_now):
        self.root = Path(root)
        self._clock = clock

    # -- writing --------------------------------------------------------------------------

    def create(
        self, fields: VisitFields, checklist: ChecklistSnapshot, *, lang: Lang | None = None
    ) -> VisitHandle:
        """A new visit in progress, saved, with its lock held by the returned handle; `lang` is
        the language it is walked in (a resumed walk keeps it)."""
        started_at = self._clock()
        visit_id = new_visit_id(started_at)
        try:
            make_private_dir(self.root, parents=True)
            make_private_dir(self.root / visit_id, parents=False, exist_ok=False)
            fsync_dir(self.root)
        except OSError as error:
            raise SaveFailed(
                f"cannot create a visit in {self.root}: {error.strerror or error}"
            ) from error
        handle = VisitHandle(self.visit_dir(visit_id), visit_id)
        record = VisitRecord(
            **fields.model_dump(),
            visit_id=visit_id,
            fieldkit_version=__version__,
            checklist=checklist,
            started_at=started_at,
            lang=lang,
        )
        try:
            handle.save(record)
        except BaseException:
            handle.close()
            raise
        return handle

    def open(self, visit_id: str) -> VisitHandle:
        """Lock the visit for writing; use as a context manager (or call close())."""
        visit_id = self.resolve(visit_id)
        handle = VisitHandle(self.visit_dir(visit_id), visit_id)
        try:
            _remove_leftover_temp_files(handle.folder)
            handle.resume(self.load(visit_id))
        except BaseException:
            handle.close()
            raise
        return handle

    def abort(self, visit_id: str, reason: str) -> VisitRecord:
        """End a visit in progress as aborted, with the reason."""
        if not reason.strip():
            raise UserInputError("an abort needs a reason")
        with self.open(visit_id) as handle:
            record = handle.record
            if record.status is not VisitStatus.IN_PROGRESS:
                raise VisitFinished(
                    f"visit {record.visit_id} is {record.status.value}; "
                    "only a visit in progress can be aborted"
                )
            return handle.save(
                record.model_copy(
                    update={
                        "status": VisitStatus.ABORTED,
                        "abort_reason": reason.strip(),
                        "finished_at": self._clock(),
                    }
                )
            )

    # -- reading --------------------------------------------------------------------------

    def visit_dir(self, visit_id: str) -> Path:
        if not is_visit_id(visit_id):
            raise VisitNotFound(f"{visit_id!r} is not a visit id")
        return self.root / visit_id

    def resolve(self, text: str) -> str:
        """A full visit id from an id, or from a unique start or end of one (as people type)."""
        wanted = text.strip().upper()
        if is_visit_id(wanted) and (self.root / wanted / RECORD_FILE).exists():
            return wanted
        matches = [
            visit_id
            for visit_id in self.visit_ids()
            if wanted and (visit_id.startswith(wanted) or visit_id.endswith(wanted))
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise VisitNotFound(f"no visit {text!r} in {self.root}")
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise VisitNotFound(f"visit id {text!r} is ambiguous ({shown}); give more of it")

    def load(self, visit_id: str) -> VisitRecord:
        return read_record_file(self.visit_dir(self.resolve(visit_id)) / RECORD_FILE)

    def iter_records(
        self,
        status: VisitStatus | None = None,
        on_error: Callable[[FieldkitError], None] | None = None,
    ) -> Iterator[VisitRecord]:
        """Records newest first. An unreadable one goes to `on_error` (or raises without it)."""
        for visit_id in self.visit_ids():
            try:
                record = read_record_file(self.root / visit_id / RECORD_FILE)
            except FieldkitError as error:
                if on_error is None:
                    raise
                on_error(error)
                continue
            if status is None or record.status is status:
                yield record

    def find_in_progress(self, checklist_id: str, customer: str) -> list[VisitRecord]:
        """Visits in progress of this checklist for this customer, newest first."""
        wanted = customer.strip().casefold()
        return [
            record
            for record in self.iter_records(VisitStatus.IN_PROGRESS, on_error=lambda _: None)
            if record.checklist.id == checklist_id and record.customer.strip().casefold() == wanted
        ]

    def visit_ids(self) -> list[str]:
        """Ids of the folders that hold a record, newest first (ids sort by start time)."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise RecordUnreadable(f"{self.root}: cannot read: {error.strerror}") from error
        return sorted(
            (
                name
                for name in names
                # lexists: a record that is not a regular file is read, and named as unreadable
                if is_visit_id(name) and os.path.lexists(self.root / name / RECORD_FILE)
            ),
            reverse=True,
        )


def _remove_leftover_temp_files(folder: Path) -> None:
    """Temp files of saves that a crash interrupted: never the record, safe to drop."""
    for place in (folder, folder / ATTACHMENTS_DIR):
        if place.is_dir():
            for leftover in place.glob(f".*{TEMP_SUFFIX}"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
