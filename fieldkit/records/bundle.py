"""`visits bundle`: completed visits in one zip for a supervisor, with a manifest.

Layout of the zip:
    manifest.json                       what is inside (below)
    <visit_id>/visit.json               the record exactly as stored
    <visit_id>/attachments/<file>       every file the record lists
manifest.json:
    {"format": "fieldkit-bundle", "format_version": 1, "created_at": ..., "fieldkit_version": ...,
     "since": "2024-05-01" | null,
     "visits": [{"visit_id", "digest", "checklist_id", "engineer", "started_at", "finished_at",
                 "outcome", "files": [{"path", "sha256", "size"}]}]}
The reports (fieldkit/report/sources.py) check each record's digest against the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fieldkit import __version__
from fieldkit.errors import FieldkitError, UserInputError
from fieldkit.records.loading import RECORD_FILE, parse_record
from fieldkit.records.models import VisitRecord, VisitStatus, verify_digest
from fieldkit.records.store import RecordStore, local_now

MANIFEST_FILE = "manifest.json"
BUNDLE_FORMAT = "fieldkit-bundle"
BUNDLE_FORMAT_VERSION = 1


@dataclass
class BundleResult:
    path: Path
    visit_ids: list[str] = field(default_factory=list)
    # (visit id or file, reason): records left out, attachments missing or changed
    problems: list[tuple[str, str]] = field(default_factory=list)


def write_bundle(store: RecordStore, output: Path, since: date | None = None) -> BundleResult:
    """Zip the completed visits (started on or after `since`, local time) into `output`.

    A record whose digest does not match is left out (a problem): it was changed after it was
    completed. The zip is written to a temporary file and renamed, so `output` is never half.
    """
    if output.is_dir():
        raise UserInputError(f"-o {output}: is a folder; give a file name")
    result = BundleResult(output)
    chosen: list[tuple[VisitRecord, Path, bytes]] = []
    for visit_id in store.visit_ids():
        record_file = store.visit_dir(visit_id) / RECORD_FILE
        try:
            data = record_file.read_bytes()
            record = parse_record(data, str(record_file))
        except (OSError, FieldkitError) as error:
            result.problems.append((visit_id, f"left out: {error}"))
            continue
        if record.status is not VisitStatus.COMPLETED:
            continue
        if since is not None and record.started_at.astimezone().date() < since:
            continue
        if not verify_digest(record):
            result.problems.append((visit_id, "left out: changed after completion (digest)"))
            continue
        chosen.append((record, record_file.parent, data))
    if not chosen:
        where = f" since {since.isoformat()}" if since else ""
        raise UserInputError(f"no completed visits{where} in {store.root}: nothing to bundle")
    chosen.reverse()  # oldest first reads naturally in a manifest
    try:
        _write_zip(output, chosen, since, result)
    except OSError as error:
        raise UserInputError(f"cannot write {output}: {error.strerror or error}") from None
    return result


def _write_zip(
    output: Path,
    chosen: list[tuple[VisitRecord, Path, bytes]],
    since: date | None,
    result: BundleResult,
) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    temp = output.with_name(f".{output.name}.{secrets.token_hex(4)}.tmp")
    visits: list[dict[str, Any]] = []
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for record, folder, data in chosen:
                files = [_add(bundle, f"{record.visit_id}/{RECORD_FILE}", data)]
                listed = {a.stored_path: a for answer in record.answers for a in answer.attachments}
                for attachment in listed.values():
                    source = folder / attachment.stored_path
                    try:
                        content = source.read_bytes()
                    except OSError:
                        result.problems.append((str(source), "attachment missing: not bundled"))
                        continue
                    if hashlib.sha256(content).hexdigest() != attachment.sha256:
                        result.problems.append(
                            (str(source), "attachment differs from its sha256 in the record")
                        )
                    files.append(
                        _add(bundle, f"{record.visit_id}/{attachment.stored_path}", content)
                    )
                visits.append(_manifest_entry(record, files))
                result.visit_ids.append(record.visit_id)
            manifest = {
                "format": BUNDLE_FORMAT,
                "format_version": BUNDLE_FORMAT_VERSION,
                "created_at": local_now().isoformat(timespec="seconds"),
                "fieldkit_version": __version__,
                "since": since.isoformat() if since else None,
                "visits": visits,
            }
            bundle.writestr(
                MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            )
        os.replace(temp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _add(bundle: zipfile.ZipFile, name: str, content: bytes) -> dict[str, Any]:
    bundle.writestr(name, content)
    return {"path": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}


def _manifest_entry(record: VisitRecord, files: list[dict[str, Any]]) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "visit_id": record.visit_id,
        "digest": record.digest,
        "checklist_id": record.checklist.id,
        "engineer": record.engineer,
        "started_at": when(record.started_at),
        "finished_at": when(record.finished_at),
        "outcome": record.outcome.value if record.outcome else None,
        "files": files,
    }
