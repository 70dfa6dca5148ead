"""`visits bundle`: completed visits in one zip for a supervisor, with a manifest.

Layout of the zip:
    manifest.json                       what is inside (below)
    <visit_id>/visit.json               the record exactly as stored
    <visit_id>/attachments/<file>       every file the record lists
    closures/<visit_id>.<step>.<n>.json every valid follow-up closure (docs/followups.md)
manifest.json:
    {"format": "fieldkit-bundle", "format_version": 1, "created_at": ..., "fieldkit_version": ...,
     "since": "2024-05-01" | null,
     "visits": [{"visit_id", "digest", "checklist_id", "engineer", "started_at", "finished_at",
                 "outcome", "files": [{"path", "sha256", "size"}]}],
     "closures": [{"item_id", "path", "sha256", "size"}]}
The reports (fieldkit/records/sources.py) check each record's digest against the manifest.
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
from fieldkit.errors import FieldkitError, UserInputError, in_one_line
from fieldkit.followups.closures import StoredClosure, closures_to_bundle
from fieldkit.records.loading import MANIFEST_FILE, MAX_RECORD_BYTES, RECORD_FILE, parse_record
from fieldkit.records.models import Attachment, VisitRecord, VisitStatus, verify_digest
from fieldkit.records.store import RecordStore, local_now
from fieldkit.records.stored_attachments import (
    attachment_chunks,
    leaves_attachments_dir,
    open_stored_attachment,
)
from fieldkit.safeio import (
    check_output_path,
    create_private,
    read_bounded,
)

BUNDLE_FORMAT = "fieldkit-bundle"
BUNDLE_FORMAT_VERSION = 1


@dataclass
class BundleResult:
    path: Path
    visit_ids: list[str] = field(default_factory=list)
    closed_items: list[str] = field(default_factory=list)  # the follow-ups whose closures it holds
    # (visit id or file, reason): records left out, attachments missing or changed
    problems: list[tuple[str, str]] = field(default_factory=list)


def write_bundle(store: RecordStore, output: Path, since: date | None = None) -> BundleResult:
    """Zip the completed visits (started on or after `since`, local time) into `output`, with
    the follow-up closures (closed on or after `since`).

    A record whose digest does not match is left out (a problem): it was changed after it was
    completed. The zip is written to a temporary file and renamed, so `output` is never half.
    """
    check_output_path(output, [store.root])
    result = BundleResult(output)
    chosen: list[tuple[VisitRecord, Path, bytes]] = []
    for visit_id in store.visit_ids():
        record_file = store.visit_dir(visit_id) / RECORD_FILE
        try:
            data = read_bounded(record_file, MAX_RECORD_BYTES)
            record = parse_record(data, str(record_file))
        except (OSError, FieldkitError) as error:
            result.problems.append((visit_id, f"left out: {in_one_line(error)}"))
            continue
        if record.status is not VisitStatus.COMPLETED:
            continue
        # The engineer's local date, as the reports' --since: converting a crafted year-1 start
        # to this laptop's zone would leave the calendar (OverflowError).
        if since is not None and record.started_at.date() < since:
            continue
        if not verify_digest(record):
            result.problems.append((visit_id, "left out: changed after completion (digest)"))
            continue
        chosen.append((record, record_file.parent, data))
    closures = closures_to_bundle(store.root, since, result.problems)
    if not chosen and not closures:
        where = f" since {since.isoformat()}" if since else ""
        raise UserInputError(
            f"no completed visits or closures{where} in {store.root}: nothing to bundle"
        )
    chosen.reverse()  # oldest first reads naturally in a manifest
    try:
        _write_zip(output, chosen, closures, since, result)
    except OSError as error:
        raise UserInputError(f"cannot write {output}: {error.strerror or error}") from None
    return result


def _write_zip(
    output: Path,
    chosen: list[tuple[VisitRecord, Path, bytes]],
    closures: list[StoredClosure],
    since: date | None,
    result: BundleResult,
) -> None:
    temp = output.with_name(f".{output.name}.{secrets.token_hex(4)}.tmp")
    visits: list[dict[str, Any]] = []
    try:
        with os.fdopen(create_private(temp), "wb") as file, zipfile.ZipFile(
            file, "w", compression=zipfile.ZIP_DEFLATED
        ) as bundle:
            for record, folder, data in chosen:
                files = [_write_member(bundle, f"{record.visit_id}/{RECORD_FILE}", data)]
                listed = {a.stored_path: a for answer in record.answers for a in answer.attachments}
                for attachment in listed.values():
                    entry = _add_attachment(bundle, record.visit_id, folder, attachment, result)
                    if entry is not None:
                        files.append(entry)
                visits.append(_manifest_entry(record, files))
                result.visit_ids.append(record.visit_id)
            manifest = {
                "format": BUNDLE_FORMAT,
                "format_version": BUNDLE_FORMAT_VERSION,
                "created_at": local_now().isoformat(timespec="seconds"),
                "fieldkit_version": __version__,
                "since": since.isoformat() if since else None,
                "visits": visits,
                "closures": [
                    {"item_id": stored.closure.item_id,
                     **_write_member(bundle, stored.entry_name, stored.data)}
                    for stored in closures
                ],
            }
            result.closed_items = [stored.closure.item_id for stored in closures]
            bundle.writestr(
                MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            )
        os.replace(temp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _add_attachment(
    bundle: zipfile.ZipFile,
    visit_id: str,
    folder: Path,
    attachment: Attachment,
    result: BundleResult,
) -> dict[str, Any] | None:
    """Stream one attachment into the zip: only a regular file inside the visit's attachments
    folder, never through a link (a link could pull in a secret, or /dev/zero until the memory
    is gone), at most MAX_ATTACHMENT_BYTES. Anything else is a problem, and not bundled."""
    source = folder / attachment.stored_path
    if leaves_attachments_dir(attachment.stored_path):
        problem = "attachment path leaves its visit folder: not bundled"
        result.problems.append((str(source), problem))
        return None
    name = f"{visit_id}/{attachment.stored_path}"
    digest = hashlib.sha256()
    size = 0
    try:
        with open_stored_attachment(folder, attachment.stored_path) as reader, \
                bundle.open(name, "w", force_zip64=True) as writer:
            for chunk in attachment_chunks(reader, folder, attachment.stored_path):
                digest.update(chunk)
                size += len(chunk)
                writer.write(chunk)
    except FileNotFoundError:
        result.problems.append((str(source), "attachment missing: not bundled"))
        return None
    except OSError as error:
        # Refused before its entry was begun, unless it grew past the limit while read.
        partly = " (its zip entry is cut short)" if size else ""
        result.problems.append(
            (str(source), f"attachment not bundled: {error.strerror or error}{partly}")
        )
        return None
    if digest.hexdigest() != attachment.sha256:
        result.problems.append((str(source), "attachment differs from its sha256 in the record"))
    return {"path": name, "sha256": digest.hexdigest(), "size": size}


def _write_member(bundle: zipfile.ZipFile, name: str, content: bytes) -> dict[str, Any]:
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
