"""The one way to read a visit record: any fault becomes a FieldkitError naming the file."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from fieldkit.errors import FieldkitError, ValidationFailed
from fieldkit.records.journal import JOURNAL_FILE, replay
from fieldkit.records.migrations import SCHEMA_VERSION, UnsupportedVersion, migrate, record_version
from fieldkit.records.models import VisitRecord, content_digest, sha256_hex

RECORD_FILE = "visit.json"
# A 500-step record with its checklist is well under 1 MB; this only guards against a wrong file.
MAX_RECORD_BYTES = 64 * 1024 * 1024


class RecordUnreadable(FieldkitError):
    """A file that should be a visit record is not one; the message names the file."""


def read_record_file(path: str | os.PathLike[str]) -> VisitRecord:
    """Read, upgrade and validate one visit.json."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RECORD_BYTES + 1)
    except OSError as error:
        raise RecordUnreadable(f"{path}: cannot read: {error.strerror or error}") from error
    if len(data) > MAX_RECORD_BYTES:
        raise RecordUnreadable(f"{path}: larger than {MAX_RECORD_BYTES} bytes, not a visit record")
    journal = None
    if path.name == RECORD_FILE:
        with contextlib.suppress(FileNotFoundError):
            journal = (path.parent / JOURNAL_FILE).read_bytes()
    return parse_record(data, str(path), journal=journal)


def parse_record(data: bytes, filename: str, *, journal: bytes | None = None) -> VisitRecord:
    """A record from the bytes of a visit.json (e.g. a zip entry); `filename` names it in errors.

    `journal`: the visit.journal beside it, for a visit in progress (see journal.py).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordUnreadable(f"{filename}: not UTF-8 text (byte {error.start})") from error
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordUnreadable(
            f"{filename}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"
        ) from error
    if not isinstance(raw, dict):
        raise RecordUnreadable(f"{filename}: not a visit record (expected a JSON object)")
    if journal:
        raw, _ = replay(raw, journal, sha256_hex(data))
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
    if written_version != SCHEMA_VERSION:
        record._written_content_digest = content_digest(raw)
    return record


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(record)"


def iter_record_files(root: str | os.PathLike[str]) -> Iterator[Path]:
    """Every visit.json under `root`, searched recursively, in a stable (sorted) order."""
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        if RECORD_FILE in files:
            subfolders.clear()  # a visit's own subfolders hold attachments, never other visits
            yield Path(folder) / RECORD_FILE
