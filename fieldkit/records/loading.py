"""The one way to read a visit record: any fault becomes a FieldkitError naming the file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fieldkit.errors import FieldkitError, ValidationFailed
from fieldkit.records.identity import sha256_hex
from fieldkit.records.journal import JOURNAL_FILE, JournalProblem, replay
from fieldkit.records.migrations import SCHEMA_VERSION, UnsupportedVersion, migrate, record_version
from fieldkit.records.models import VisitRecord, verify_digest
from fieldkit.records.sealed import MAX_RECORD_BYTES, RECORD_FILE, written_content_digest
from fieldkit.safeio import JsonProblem, parse_json, read_bounded

MANIFEST_FILE = "manifest.json"  # what a bundle holds (fieldkit/bundle.py)
# The store folds the journal into visit.json once it outgrows max(4 MB, visit.json).
MAX_JOURNAL_BYTES = MAX_RECORD_BYTES + 4 * 1024 * 1024


class RecordUnreadable(FieldkitError):
    """A file that should be a visit record is not one; the message names the file."""


def read_record_file(path: str | os.PathLike[str]) -> VisitRecord:
    """Read, upgrade and validate one visit.json."""
    return _read(path, check_digest=False).record


def read_checked_record_file(path: str | os.PathLike[str]) -> CheckedRecord:
    """`read_record_file`, and whether the digest matches the file's content (see CheckedRecord)."""
    return _read(path, check_digest=True)


def parse_record(data: bytes, filename: str, *, journal: bytes | None = None) -> VisitRecord:
    """A record from the bytes of a visit.json (e.g. a zip entry); `filename` names it in errors.

    `journal`: the visit.journal beside it, for a visit in progress (see journal.py).
    """
    return _parse(data, filename, journal=journal, check_digest=False).record


def parse_checked_record(data: bytes, filename: str) -> CheckedRecord:
    """`parse_record`, with the digest checked from the file's own content (see CheckedRecord)."""
    return _parse(data, filename, journal=None, check_digest=True)


@dataclass(frozen=True)
class CheckedRecord:
    """A record read from a file, and whether its digest matches its content.

    `digest_ok` is what `verify_digest(record)` says, computed from the JSON content as read
    rather than from the model dumped back to JSON: the two are the same for every file fieldkit
    writes, and hashing the parsed content once costs half as much as dumping the model first.
    Only when that hash differs (an edited file, or one whose values were written in another
    spelling than fieldkit's, such as `1` for `true`) is the record checked by `verify_digest`.
    """

    record: VisitRecord
    digest_ok: bool


def _read(path: str | os.PathLike[str], *, check_digest: bool) -> CheckedRecord:
    path = Path(path)
    try:
        data = read_bounded(path, MAX_RECORD_BYTES)
    except OSError as error:
        raise RecordUnreadable(f"{path}: cannot read: {error.strerror or error}") from error
    journal = None
    journal_path = path.parent / JOURNAL_FILE
    if path.name == RECORD_FILE:
        try:
            journal = read_bounded(journal_path, MAX_JOURNAL_BYTES)
        except FileNotFoundError:
            pass
        except OSError as error:
            reason = error.strerror or error
            raise RecordUnreadable(f"{journal_path}: cannot read: {reason}") from error
    return _parse(
        data, str(path), journal=journal, check_digest=check_digest, journal_name=str(journal_path)
    )


def _parse(
    data: bytes,
    filename: str,
    *,
    journal: bytes | None,
    check_digest: bool,
    journal_name: str | None = None,
) -> CheckedRecord:
    raw = _json_object(data, filename)
    if journal:
        try:
            raw, _ = replay(raw, journal, sha256_hex(data))
        except JournalProblem as error:
            where = journal_name or f"{filename} (its journal)"
            raise RecordUnreadable(f"{where}:{error.line}: {error}") from error
    return _validated(raw, filename, check_digest=check_digest)


def check_record_content(raw: Any, name: str) -> CheckedRecord:
    """`parse_checked_record` for a record already parsed from JSON (one visit of a batch a
    laptop pushed); `raw` is left as it was, so it can be stored as written."""
    if not isinstance(raw, dict):
        raise RecordUnreadable(f"{name}: not a visit record (expected a JSON object)")
    return _validated(raw, name, check_digest=True)


def _validated(raw: dict[str, Any], filename: str, *, check_digest: bool) -> CheckedRecord:
    try:
        written_version = record_version(raw)
        upgraded = migrate(raw)
    except UnsupportedVersion as error:
        raise RecordUnreadable(f"{filename}: {error}") from error
    try:
        record = VisitRecord.model_validate(upgraded)
    except ValidationError as error:
        raise ValidationFailed(
            [f"{filename}: {_loc(problem['loc'])}: {problem['msg']}" for problem in error.errors()]
        ) from error
    written_digest = None
    if written_version != SCHEMA_VERSION:
        written_digest = record._written_content_digest = written_content_digest(raw)
    digest_ok = False
    if check_digest and record.digest is not None:
        if written_digest is None:
            written_digest = written_content_digest(raw)
        digest_ok = secrets.compare_digest(written_digest, record.digest) or verify_digest(record)
    return CheckedRecord(record, digest_ok)


def _json_object(data: bytes, filename: str) -> dict[str, Any]:
    """The file's JSON object (see safeio.parse_json for the bounds)."""
    try:
        raw = parse_json(data)
    except JsonProblem as error:
        raise RecordUnreadable(error.located(filename)) from error
    if not isinstance(raw, dict):
        raise RecordUnreadable(f"{filename}: not a visit record (expected a JSON object)")
    return raw


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(record)"


def iter_record_files(root: str | os.PathLike[str]) -> Iterator[Path]:
    """Every visit.json under `root`, searched recursively, in a stable (sorted) order.

    A folder that cannot be listed yields its would-be visit.json, so that reading it reports
    the folder's error (e.g. permission denied) instead of its records vanishing unnoticed.
    """
    unlisted: list[OSError] = []
    for folder, subfolders, files in os.walk(root, onerror=unlisted.append):
        while unlisted:
            yield Path(unlisted.pop(0).filename) / RECORD_FILE
        subfolders.sort()
        if RECORD_FILE in files:
            subfolders.clear()  # a visit's own subfolders hold attachments, never other visits
            yield Path(folder) / RECORD_FILE
    for error in unlisted:
        yield Path(error.filename) / RECORD_FILE
