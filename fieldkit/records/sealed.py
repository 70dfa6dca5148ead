"""A finished visit.json read without the record models, when it is exactly as fieldkit
sealed it: what `fieldkit sync` needs to send it (its id, digest and attachments), so that a
sync imports neither pydantic nor the models for the visits it sends.

A file is taken as sealed when it is at the current schema version, completed or aborted,
with no journal beside it, its attachments' paths inside the visit folder, and its digest
matching its content as written: the walkthrough made that digest from the validated record
when the visit was finished. Anything else is read through the models (records.loading),
which say what is wrong. The server validates every record it receives in any case.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldkit.records.identity import (
    ADDED_LATER,
    SCHEMA_VERSION,
    canonical_json,
    content_digest,
    sha256_hex,
    stored_path_problem,
)
from fieldkit.records.journal import JOURNAL_FILE

RECORD_FILE = "visit.json"
# A 500-step record with its checklist is well under 1 MB; this only guards against a wrong file.
MAX_RECORD_BYTES = 64 * 1024 * 1024
_FINISHED = ("completed", "aborted")  # VisitStatus values other than in_progress
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AttachmentFile:
    name: str
    stored_path: str  # relative to the visit folder, with '/'
    sha256: str
    size: int


@dataclass(frozen=True)
class SealedVisit:
    visit_id: str
    digest: str
    attachments: tuple[AttachmentFile, ...]


def sealed_visit(record_file: Path, raw: Any) -> SealedVisit | None:
    """The visit in `raw` (the parsed content of `record_file`) when the file is as fieldkit
    sealed it (see the module's docstring); None: read it through the models."""
    if not isinstance(raw, dict) or os.path.lexists(record_file.parent / JOURNAL_FILE):
        return None
    visit_id, digest, answers = raw.get("visit_id"), raw.get("digest"), raw.get("answers")
    if (raw.get("schema_version") != SCHEMA_VERSION or raw.get("status") not in _FINISHED
            or not isinstance(visit_id, str) or not isinstance(digest, str)
            or not isinstance(answers, list)):  # fmt: skip
        return None
    attachments = []
    for answer in answers:
        found = answer.get("attachments") if isinstance(answer, dict) else None
        for attachment in found if isinstance(found, list) else ():
            file = _attachment_file(attachment)
            if file is None:
                return None
            attachments.append(file)
    if written_content_digest(raw) != digest:
        return None
    return SealedVisit(visit_id, digest, tuple(attachments))


def _attachment_file(raw: Any) -> AttachmentFile | None:
    if not isinstance(raw, dict):
        return None
    name, path, sha256, size = (raw.get(key) for key in ("name", "stored_path", "sha256", "size"))
    if (not isinstance(name, str) or not isinstance(path, str) or stored_path_problem(path)
            or not isinstance(sha256, str) or not _SHA256_RE.match(sha256)
            or not isinstance(size, int) or isinstance(size, bool) or size < 0):  # fmt: skip
        return None
    return AttachmentFile(name, path, sha256, size)


def written_content_digest(raw: dict[str, Any]) -> str:
    """The digest of a record's content as written; content that cannot be hashed (a lone
    surrogate, NaN) gives one that never matches, so the record reads as changed."""
    try:
        return _content_digest(raw)
    except ValueError:  # UnicodeEncodeError is one
        return ""


# checklist sha256 -> (the snapshot, its canonical JSON as `"checklist":{...}`), this process only
_CHECKLIST_JSON: dict[str, tuple[dict[str, Any], bytes]] = {}
_CHECKLIST_JSON_KEPT = 64


def _content_digest(raw: dict[str, Any]) -> str:
    """`content_digest(raw)` (a later field that is null left out, as there), with the
    canonical JSON of the checklist snapshot made once per snapshot: it is two thirds of a
    record and the same in every visit of that checklist.
    json.dumps with sorted keys writes `{` + the items in key order + `}`, so the record's
    canonical JSON is that of the keys before "checklist", the snapshot's, then the rest."""
    checklist = raw.get("checklist")
    if not isinstance(checklist, dict) or not isinstance(checklist.get("sha256"), str):
        return content_digest(raw)
    cached = _CHECKLIST_JSON.get(checklist["sha256"])
    if cached is None or cached[0] != checklist:
        if len(_CHECKLIST_JSON) >= _CHECKLIST_JSON_KEPT:
            _CHECKLIST_JSON.clear()
        cached = (checklist, canonical_json({"checklist": checklist})[1:-1])
        _CHECKLIST_JSON[checklist["sha256"]] = cached
    content = {
        name: value
        for name, value in raw.items()
        if name != "digest" and not (name in ADDED_LATER and value is None)
    }
    before = {name: value for name, value in content.items() if name < "checklist"}
    after = {name: value for name, value in content.items() if name > "checklist"}
    parts = [
        canonical_json(before)[1:-1] if before else b"",
        cached[1],
        canonical_json(after)[1:-1] if after else b"",
    ]
    return sha256_hex(b"{" + b",".join(part for part in parts if part) + b"}")
