"""The crash-safe store of visit records: one folder per visit, one visit.json per folder.

Design (docs/visit-record.md has the long version):
- Every save rewrites visit.json whole: temp file in the same folder, flush + fsync, os.replace
  onto visit.json, fsync the folder. A kill at any point leaves the old or the new file; a failed
  write (full disk) removes the temp file and leaves the old one.
- One process writes a visit at a time: visit.lock, created with O_EXCL, holds pid, host and
  start time. A lock whose process is gone (same host) is taken over; a live one refuses.
- Files are 0600 and folders 0700 (on POSIX): records hold customer names and IP plans.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from fieldkit import __version__
from fieldkit.errors import ExitCode, FieldkitError, UserInputError
from fieldkit.lang import Lang
from fieldkit.records import journal
from fieldkit.records.journal import JOURNAL_FILE
from fieldkit.records.loading import RECORD_FILE, RecordUnreadable, read_record_file
from fieldkit.records.models import (
    Attachment,
    ChecklistSnapshot,
    StepAnswer,
    VisitFields,
    VisitRecord,
    VisitStatus,
    is_visit_id,
    new_visit_id,
    sha256_hex,
)
from fieldkit.safeio import (
    JsonProblem,
    RefusedFile,
    open_bounded,
    parse_json,
    read_bounded,
    read_chunks,
)

LOCK_FILE = "visit.lock"
ATTACHMENTS_DIR = "attachments"
# A photo or a meter's export is a few MB; this keeps one wrong file from filling the disk.
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
_TEMP_SUFFIX = ".tmp"
# Below this the journal is never folded into visit.json during a visit (a 500-step visit's
# journal is ~0.3 MB); above it, once it outgrows visit.json.
_JOURNAL_MIN_REWRITE_BYTES = 4 * 1024 * 1024
_ON_WINDOWS = os.name == "nt"
_FILE_MODE = 0o600
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_DIR_MODE = 0o700
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# A lock file that cannot be read (written by hand, or by the O_EXCL fallback and cut short by a
# crash) counts as held for this long after its last change, then as stale.
_UNREADABLE_LOCK_GRACE_S = 10.0
_MAX_LOCK_BYTES = 4096  # a lock holds a pid, a host name and a time
_MAX_PID = 2**31 - 1  # pid_t (and a Windows DWORD, by the same bound) on every platform we run


class SaveFailed(FieldkitError):
    """The record could not be written; the previous visit.json is still there."""

    exit_code = ExitCode.CANNOT_RUN


class VisitLocked(FieldkitError):
    """Another fieldkit process has this visit open."""

    exit_code = ExitCode.CANNOT_RUN


class VisitNotFound(UserInputError):
    """No visit with that id (or id prefix) in the records folder."""


class VisitFinished(UserInputError):
    """The visit is completed or aborted: its record no longer changes."""


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
            _make_private_dir(self.root, parents=True)
            _make_private_dir(self.root / visit_id, parents=False, exist_ok=False)
            _fsync_dir(self.root)
        except OSError as error:
            raise SaveFailed(
                f"cannot create a visit in {self.root}: {error.strerror or error}"
            ) from error
        handle = VisitHandle(self, visit_id)
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
        handle = VisitHandle(self, visit_id)
        try:
            folder = self.visit_dir(visit_id)
            _remove_leftover_temp_files(folder)
            record = self.load(visit_id)
            handle._adopt(record, (folder / RECORD_FILE).read_bytes())
            # The journal may end in a torn line that new lines must not follow: the first save
            # folds it into visit.json instead of appending.
            handle._journal_needs_rewrite = (folder / JOURNAL_FILE).exists()
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

    def __init__(self, store: RecordStore, visit_id: str) -> None:
        self.store = store
        self.visit_id = visit_id
        self.folder = store.visit_dir(visit_id)
        self._lock = _VisitLock.acquire(self.folder / LOCK_FILE, visit_id)
        self._saved: VisitRecord | None = None  # None only inside create(), before the first save
        # The saved record as JSON without its checklist: what the next save is compared with.
        self._saved_content: dict[str, Any] = {}
        # Each saved answer's fields as saved (a deep copy): what tells a changed answer from
        # an unchanged one without serialising it (see _append_change).
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

    def save(self, record: VisitRecord) -> VisitRecord:
        """Make the record durable and return it as stored (with its digest once it ends).

        Returns only when a crash can no longer lose it; on failure the previous state stays.
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
                self._append_change(record, previous)
        except ValidationError as error:
            raise SaveFailed(f"visit {self.visit_id}: invalid record not saved: {error}") from error
        except OSError as error:
            held = len(previous.answers) if previous is not None else 0
            if error.errno in _DISK_FULL:
                reason = f"disk full: {_what_was_not_saved(record, previous)}"
            else:
                reason = f"cannot save visit {self.visit_id}: {error.strerror or error}"
            raise SaveFailed(
                f"{reason}; the record still holds {held} answers ({self.folder / RECORD_FILE})"
            ) from error
        return self.record

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
            _fsync_dir(self.folder)
        self._journal_entries = self._journal_size = 0
        self._journal_needs_rewrite = False

    def _append_change(self, record: VisitRecord, previous: VisitRecord) -> None:
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
        changed = [
            index
            for index, answer in enumerate(record.answers)
            if index >= len(states) or answer.__dict__ != states[index]
        ]
        changed_answers = {
            index: record.answers[index].model_dump(mode="json") for index in changed
        }
        header_only = VisitRecord.model_validate(
            {**content, "checklist": previous.checklist, "answers": []}
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
            state = copy.deepcopy(stored_answers[index].__dict__)
            if index < len(states):
                states[index] = state
            else:
                states.append(state)

    def _append_line(self, line: bytes) -> None:
        try:
            if self._journal_fd is None:
                path = self.folder / JOURNAL_FILE
                # O_TRUNC: a journal still there is left from before the last rewrite of
                # visit.json, whose content it already holds.
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
                self._journal_fd = os.open(path, flags | getattr(os, "O_BINARY", 0), _FILE_MODE)
                _chmod_private(path, _FILE_MODE)
                line = journal.header(self._snapshot_sha256) + line
                _write_all(self._journal_fd, line)
                os.fsync(self._journal_fd)
                _fsync_dir(self.folder)
            else:
                _write_all(self._journal_fd, line)
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
        source = Path(source)
        if source.is_dir():
            raise UserInputError(f"cannot attach {source}: a folder, not a file")
        attachments = self.folder / ATTACHMENTS_DIR
        digest = hashlib.sha256()
        size = 0
        with contextlib.ExitStack() as stack:
            try:  # a file the engineer may not read is their input, not a failed save
                reader = stack.enter_context(
                    open_bounded(source, MAX_ATTACHMENT_BYTES, follow_symlinks=False)
                )
            except FileNotFoundError:
                raise UserInputError(f"cannot attach {source}: no such file") from None
            except OSError as error:
                reason = error.strerror or error
                if error.errno == errno.ELOOP:
                    reason = "a symbolic link; attach the file it points to"
                raise UserInputError(f"cannot attach {source}: {reason}") from None

            def copy_into(fd: int) -> None:
                nonlocal size
                for chunk in read_chunks(reader, MAX_ATTACHMENT_BYTES, source):
                    digest.update(chunk)
                    size += len(chunk)
                    _write_all(fd, chunk)

            try:
                _make_private_dir(attachments, parents=False, exist_ok=True)
                target = _free_name(attachments, _safe_file_name(source.name))
                _write_atomic_with(target, copy_into)
            except RefusedFile as error:  # it grew past the limit while it was copied
                raise UserInputError(f"cannot attach {source}: {error.strerror}") from None
            except OSError as error:
                if error.errno in _DISK_FULL:
                    raise SaveFailed(f"disk full: {source.name} not attached") from error
                reason = error.strerror or error
                raise SaveFailed(f"cannot attach {source}: {reason}") from error
        return Attachment(
            name=source.name,
            stored_path=f"{ATTACHMENTS_DIR}/{target.name}",
            sha256=digest.hexdigest(),
            size=size,
        )


# -- files ------------------------------------------------------------------------------------


def write_atomic(target: Path, data: bytes) -> None:
    """Replace `target` with `data` so that a crash leaves either the old or the new file."""
    _write_atomic_with(target, lambda fd: _write_all(fd, data))


def _validated_whole(record: VisitRecord) -> VisitRecord:
    """The record re-validated from JSON: one built with model_copy(update=...) is unchecked."""
    return VisitRecord.model_validate_json(
        record.model_copy(update={"digest": None}).model_dump_json()
    )


def _write_atomic_with(target: Path, write: Callable[[int], None]) -> None:
    folder = target.parent
    temp = folder / f".{target.name}.{secrets.token_hex(4)}{_TEMP_SUFFIX}"
    fd = os.open(temp, _CREATE_NEW, _FILE_MODE)
    try:
        try:
            _chmod_private(temp, _FILE_MODE)
            write(fd)
            os.fsync(fd)
        finally:
            os.close(fd)
        _replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(folder)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _replace(temp: Path, target: Path) -> None:
    # On Windows a reader (an indexer, antivirus, a supervisor's report) holding visit.json open
    # makes os.replace fail for a moment; retry briefly rather than lose the answer.
    attempts = 20 if _ON_WINDOWS else 1
    for attempt in range(attempts):
        try:
            os.replace(temp, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable (POSIX; Windows has no directory fsync)."""
    if _ON_WINDOWS:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chmod_private(path: Path, mode: int) -> None:
    # os.open/mkdir modes are masked by the umask; chmod sets exactly owner-only.
    if not _ON_WINDOWS:
        os.chmod(path, mode)


def make_private_dir(folder: Path) -> None:
    """Create `folder` and missing parents as 0700, as the store does for its own folders."""
    _make_private_dir(folder, parents=True)


def _make_private_dir(folder: Path, *, parents: bool, exist_ok: bool = True) -> None:
    """Create `folder` (and missing parents) as 0700; an existing folder is left as it is."""
    if folder.is_dir():
        if not exist_ok:
            raise FileExistsError(errno.EEXIST, "exists", str(folder))
        return
    if parents and not folder.parent.is_dir():
        _make_private_dir(folder.parent, parents=True)
    try:
        folder.mkdir(mode=_DIR_MODE)
    except FileExistsError:
        if not exist_ok:
            raise
        return
    _chmod_private(folder, _DIR_MODE)


def _remove_leftover_temp_files(folder: Path) -> None:
    """Temp files of saves that a crash interrupted: never the record, safe to drop."""
    for place in (folder, folder / ATTACHMENTS_DIR):
        if place.is_dir():
            for leftover in place.glob(f".*{_TEMP_SUFFIX}"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


def _safe_file_name(name: str) -> str:
    """A name that is valid on Windows too and cannot escape the folder."""
    cleaned = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    return cleaned or "attachment"


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


# -- the lock ---------------------------------------------------------------------------------


class _VisitLock:
    def __init__(self, path: Path, token: bytes) -> None:
        self.path = path
        self._token = token
        self._held = True

    @classmethod
    def acquire(cls, path: Path, visit_id: str) -> _VisitLock:
        token = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": local_now().isoformat(),
            }
        ).encode("utf-8")
        for _ in range(3):
            try:
                _create_with_content(path, token)
            except FileExistsError:
                _take_over_if_stale(path, visit_id)
                continue
            except OSError as error:
                raise SaveFailed(
                    f"cannot lock visit {visit_id}: {error.strerror or error} ({path})"
                ) from error
            return cls(path, token)
        raise VisitLocked(f"visit {visit_id} is being opened by another fieldkit; try again")

    def ensure_held(self) -> None:
        if not self._held:
            raise VisitLocked(f"visit {self.path.parent.name} was closed; open it again to save")

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        with contextlib.suppress(OSError):
            if self.path.read_bytes() == self._token:
                self.path.unlink()


def _create_with_content(path: Path, content: bytes) -> None:
    """Create `path` holding `content`, or raise FileExistsError; never a half-written file.

    The content goes to a temporary file that is then hard-linked to `path` (which fails if
    `path` exists), so a kill at any point leaves no lock or a complete one. File systems
    without hard links (FAT on a USB stick) fall back to O_EXCL and write.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{_TEMP_SUFFIX}")
    fd = os.open(temp, _CREATE_NEW, _FILE_MODE)
    try:
        try:
            _write_all(fd, content)
        finally:
            os.close(fd)
        _chmod_private(temp, _FILE_MODE)
        try:
            os.link(temp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here
            fd = os.open(path, _CREATE_NEW, _FILE_MODE)
            try:
                _write_all(fd, content)
            finally:
                os.close(fd)
            _chmod_private(path, _FILE_MODE)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _read_lock(path: Path) -> dict[str, Any] | None:
    try:
        owner = parse_json(read_bounded(path, _MAX_LOCK_BYTES, follow_symlinks=False))
    except (OSError, JsonProblem):
        return None
    if isinstance(owner, dict) and isinstance(owner.get("pid"), int):
        return owner
    return None


def _take_over_if_stale(path: Path, visit_id: str) -> None:
    """Remove a lock left by a dead process on this host; raise VisitLocked for a live one."""
    owner = _read_lock(path)
    if owner is None:
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return  # released meanwhile: try again
        if age < _UNREADABLE_LOCK_GRACE_S:
            raise VisitLocked(f"visit {visit_id} is being opened by another fieldkit; try again")
    else:
        pid, host = owner["pid"], owner.get("host")
        if host != socket.gethostname():
            raise VisitLocked(
                f"visit {visit_id} is open in another fieldkit (pid {pid}) on {host}; if that "
                f"fieldkit is no longer running, delete {path}"
            )
        if _pid_alive(pid):
            raise VisitLocked(
                f"visit {visit_id} is open in another fieldkit (pid {pid}); if no fieldkit is "
                f"running, delete {path}"
            )
    # Move the stale lock aside before deleting it, and check that it is still the one judged
    # stale: two fieldkits taking over at once must not delete each other's new lock.
    aside = path.with_name(f"{path.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if owner is not None and _read_lock(aside) != owner:
        with contextlib.suppress(OSError):
            os.rename(aside, path)
        raise VisitLocked(f"visit {visit_id} was just opened by another fieldkit")
    with contextlib.suppress(OSError):
        aside.unlink()


def _pid_alive(pid: int) -> bool:
    if not 0 < pid <= _MAX_PID:  # os.kill cannot even ask about a larger one
        return False
    if _ON_WINDOWS:
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    process = kernel32.OpenProcess(query_limited_information, False, pid)
    if not process:
        return bool(kernel32.GetLastError() == access_denied)
    try:
        exit_code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(process, ctypes.byref(exit_code)):
            return True
        return exit_code.value == still_active
    finally:
        kernel32.CloseHandle(process)
