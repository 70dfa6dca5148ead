"""Closures: "this follow-up is done", each its own small record beside the visit records.

A closure is one JSON file, `<records>/closures/<visit id>.<step id>.<n>.json`, written 0600
and atomically (temp file, fsync, rename) like visit.json, and sealed with a digest of its
content. The visit record itself never changes: a completed record stays as it was sealed.

Reading closures is bounded: at most `MAX_CLOSURE_BYTES` per file, `MAX_CLOSURES_READ` per
read; only regular files, never through a link, never a FIFO (fieldkit.safeio). A file that
is not a valid closure (broken JSON, a wrong field, a digest that does not match) is skipped
and named.
"""

from __future__ import annotations

import contextlib
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from fieldkit.checklist.ids import STEP_ID_PATTERN
from fieldkit.errors import FieldkitError
from fieldkit.followups.closure_files import CLOSURES_DIR as CLOSURES_DIR
from fieldkit.followups.closure_files import iter_closure_files
from fieldkit.followups.items import FollowUp, item_id
from fieldkit.records.identity import VISIT_ID_PATTERN, content_digest
from fieldkit.safeio import JsonProblem, parse_json, read_bounded
from fieldkit.safezip import SafeZip, UnsafeZip, ZipLimits, entry_path

CLOSURE_FORMAT = "fieldkit-closure"
MAX_CLOSURE_BYTES = 64 * 1024
MAX_CLOSURES_READ = 200_000
MAX_NOTE_CHARS = 2000
PROBLEMS_KEPT = 200
_LEFTOVER_TEMP_AGE_S = 3600


class ClosureUnreadable(FieldkitError):
    """A file that should be a closure is not a valid one; the message names the file."""


def _printable(value: str | None) -> str | None:
    """Text that can be written and shown anywhere: UTF-8 encodable, without NUL."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (a lone surrogate)") from None
    if "\x00" in value:
        raise ValueError("text contains a NUL character")
    return value


class Closure(BaseModel):
    """One closed follow-up item; the file format is documented in docs/followups.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["fieldkit-closure"] = "fieldkit-closure"
    schema_version: Literal[1] = 1
    item_id: str
    visit_id: str = Field(pattern=VISIT_ID_PATTERN)
    step_id: str = Field(pattern=STEP_ID_PATTERN, max_length=100)
    number: int = Field(ge=1, le=999_999)
    problem: str = Field(max_length=MAX_NOTE_CHARS, description="The item's text, for people")
    closed_at: AwareDatetime
    closed_by: str | None = Field(default=None, max_length=200)
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)
    fieldkit_version: str = Field(max_length=50)
    digest: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _consistent(self) -> Closure:
        for text in (self.item_id, self.problem, self.closed_by, self.note, self.fieldkit_version):
            _printable(text)
        if self.item_id != item_id(self.visit_id, self.step_id, self.number):
            raise ValueError("item_id does not match visit_id, step_id and number")
        if not self.note.strip():
            raise ValueError("note must not be empty")
        # Far years make date arithmetic overflow; no closure is older than fieldkit.
        if not 2000 <= self.closed_at.year <= 9000:
            raise ValueError("closed_at is not a plausible time")
        return self

    def sealed(self) -> Closure:
        return self.model_copy(update={"digest": content_digest(self.model_dump(mode="json"))})

    def digest_ok(self) -> bool:
        return self.digest is not None and self.digest == content_digest(
            self.model_dump(mode="json")
        )


def closure_file_name(item: str) -> str:
    """`<visit id>.<step id>.<n>.json`: one file per item, a name valid everywhere."""
    visit_id, _, rest = item.partition("#")
    step_id, _, number = rest.rpartition("-")
    return f"{visit_id}.{step_id}.{number}.json"


def closure_path(records_root: Path, item: str) -> Path:
    return records_root / CLOSURES_DIR / closure_file_name(item)


def parse_closure(data: bytes, where: str) -> Closure:
    """A closure from a file's bytes; any fault is a ClosureUnreadable naming `where`."""
    try:
        raw: Any = parse_json(data)
    except JsonProblem as error:
        raise ClosureUnreadable(error.located(where)) from None
    if not isinstance(raw, dict) or raw.get("format") != CLOSURE_FORMAT:
        raise ClosureUnreadable(f"{where}: not a fieldkit closure (no format {CLOSURE_FORMAT!r})")
    try:
        closure = Closure.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        place = ".".join(str(part) for part in problem["loc"]) or "(closure)"
        raise ClosureUnreadable(f"{where}: {place}: {problem['msg']}") from None
    if not closure.digest_ok():
        raise ClosureUnreadable(f"{where}: its content does not match its digest")
    return closure


def read_closure_file(path: Path) -> Closure:
    """A closure file: a regular file (never through a link) of at most MAX_CLOSURE_BYTES."""
    try:
        data = read_bounded(path, MAX_CLOSURE_BYTES, follow_symlinks=False)
    except OSError as error:
        raise ClosureUnreadable(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_closure(data, str(path))


def remove_leftover_temp_files(folder: Path) -> None:
    """Temp files of closures that a kill interrupted (an hour old: never one being written)."""
    if not folder.is_dir():
        return
    for leftover in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > _LEFTOVER_TEMP_AGE_S:
                leftover.unlink()


@dataclass
class ClosureSet:
    """The closures read from some sources, by item id; the first one read of an item wins."""

    by_item: dict[str, tuple[Closure, str]] = field(default_factory=dict)  # and where read
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, reason), kept ones
    problem_count: int = 0
    files_read: int = 0

    def note(self, where: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append((where, reason))

    def add(self, closure: Closure, where: str) -> None:
        kept, _ = self.by_item.setdefault(closure.item_id, (closure, where))
        if kept.digest != closure.digest:
            self.note(where, f"a second closure of {closure.item_id}; the first one read is kept")

    def apply(self, items: list[FollowUp]) -> list[FollowUp]:
        """The items with their closures (closed items are never overdue). A closure that names
        another problem than the item's (the record was changed, and kept by
        --include-changed) closes nothing and is noted."""
        result = []
        for item in items:
            found = self.by_item.get(item.item_id)
            if found is None:
                result.append(item)
                continue
            closure, where = found
            if closure.problem != item.problem[:MAX_NOTE_CHARS]:
                self.note(where, f"closes {item.item_id} as {closure.problem!r}, but the record "
                                 f"reads {item.problem!r}; not applied")
                result.append(item)
                continue
            result.append(item.closed_by_closure(closure))
        return result

    def _room(self, where: str) -> bool:
        if self.files_read < MAX_CLOSURES_READ:
            self.files_read += 1
            return True
        if self.files_read == MAX_CLOSURES_READ:
            self.files_read += 1
            self.note(where, f"more than {MAX_CLOSURES_READ} closures: the rest are not read")
        return False


def read_closures(sources: list[Path], limits: ZipLimits | None = None) -> ClosureSet:
    """The closures in record folders (their `closures/` folders) and bundles (their
    `closures/` entries), in SOURCE order."""
    found = ClosureSet()
    for source in sources:
        if source.is_dir():
            for path in iter_closure_files(source):
                if not found._room(str(path)):
                    return found
                _add_or_note(found, str(path), partial(read_closure_file, path))
        elif source.is_file() and not _read_bundle(found, source, limits):
            return found
    return found


def _read_bundle(found: ClosureSet, path: Path, limits: ZipLimits | None) -> bool:
    """Add the bundle's closures; False once MAX_CLOSURES_READ is reached."""
    try:
        bundle = SafeZip(path, limits)
    except UnsafeZip:
        return True  # the visit reader names the bundle; it holds nothing to read
    with bundle:
        for info in bundle.safe:
            name = entry_path(info)
            if name.parent.name != CLOSURES_DIR or not name.name.endswith(".json"):
                continue
            where = f"{path}!{info.filename}"
            if not found._room(where):
                return False
            if info.file_size > MAX_CLOSURE_BYTES:
                found.note(where, f"larger than {MAX_CLOSURE_BYTES} bytes, not a closure")
                continue

            def read(info: zipfile.ZipInfo = info, where: str = where) -> Closure:
                try:
                    data = bundle.read(info)
                except UnsafeZip as error:
                    raise ClosureUnreadable(f"{where}: {error}") from None
                if len(data) > MAX_CLOSURE_BYTES:
                    raise ClosureUnreadable(f"{where}: larger than {MAX_CLOSURE_BYTES} bytes")
                return parse_closure(data, where)

            _add_or_note(found, where, read)
    return True


def _add_or_note(found: ClosureSet, where: str, read: Callable[[], Closure]) -> None:
    try:
        closure = read()
    except ClosureUnreadable as error:
        found.note(where, _reason(error, where))
        return
    found.add(closure, where)


def _reason(error: ClosureUnreadable, where: str) -> str:
    """The message without the file name it starts with (the note names the file)."""
    message = str(error)
    return message[len(where) :].lstrip(": ") if message.startswith(where) else message


@dataclass(frozen=True)
class StoredClosure:
    """A closure as its file holds it, for a bundle: the bytes go into the zip unchanged."""

    entry_name: str  # closures/<file name>
    data: bytes
    closure: Closure


def closures_to_bundle(
    records_root: Path, since: date | None, problems: list[tuple[str, str]]
) -> list[StoredClosure]:
    """The valid closures of a records folder closed on or after `since` (this laptop's
    calendar day, as for visits); an invalid one is left out and added to `problems`."""
    folder = records_root / CLOSURES_DIR
    if not folder.is_dir():
        return []
    names = sorted(
        name for name in os.listdir(folder) if name.endswith(".json") and not name.startswith(".")
    )
    found: list[StoredClosure] = []
    for name in names[:MAX_CLOSURES_READ]:
        path = folder / name
        try:
            data = read_bounded(path, MAX_CLOSURE_BYTES, follow_symlinks=False)
            closure = parse_closure(data, str(path))
        except OSError as error:
            problems.append((str(path), f"left out: cannot read: {error.strerror or error}"))
            continue
        except ClosureUnreadable as error:
            problems.append((str(path), f"left out: {_reason(error, str(path))}"))
            continue
        if since is None or closure.closed_at.astimezone().date() >= since:
            found.append(StoredClosure(f"{CLOSURES_DIR}/{name}", data, closure))
    return found
