"""`fieldkit sync`: push every finished visit and closure the server has not accepted, then
pull the checklists and the service levels the centre published.

Order and safety:
- the token is checked first: a server that cannot be reached, or refuses the token, ends the
  run before anything is sent (exit 3 or 2, nothing changed);
- a visit in progress is never sent; a finished one whose digest no longer matches its content
  is refused here, named, and not sent;
- visits go in batches (BATCH_VISITS, BATCH_BYTES): the batch's attachments first (only those
  the server lacks, streamed from the file and checked against the record's sha256 before
  sending), then its visit.json files as written, in one request the server stores in one
  transaction, answering for each visit;
- what the server accepted is remembered in the sync state file as it goes (saved after every
  batch), so an interrupted sync resumes; a visit sent again is a no-op on the server anyway
  (same id and digest);
- a pulled checklist or service-levels file is checked against its sha256 and validated
  before it replaces anything; a local one with a higher version is kept and reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldkit.errors import FieldkitError
from fieldkit.followups.closure_files import iter_closure_files
from fieldkit.records.identity import is_visit_id
from fieldkit.records.sealed import (
    MAX_RECORD_BYTES,
    RECORD_FILE,
    AttachmentFile,
    SealedVisit,
    sealed_visit,
)
from fieldkit.records.stored_attachments import attachment_chunks, open_stored_attachment
from fieldkit.safeio import JsonProblem, parse_json, read_bounded
from fieldkit.sync.client import Api
from fieldkit.sync.login import Login
from fieldkit.sync.state import ServerState, SyncState

# A batch of visits in one request: ~50 typical records are about 1 MB.
BATCH_VISITS = 50
BATCH_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Refusal:
    what: str  # a visit id, a follow-up item id or a checklist id
    reason: str


@dataclass
class SyncResult:
    server: str
    user: str
    visits_pushed: list[str] = field(default_factory=list)
    visits_already_there: int = 0  # accepted before (by this laptop's state or the server)
    in_progress: int = 0  # never sent
    refused: list[Refusal] = field(default_factory=list)
    closures_pushed: list[str] = field(default_factory=list)
    checklists_installed: list[str] = field(default_factory=list)  # "id version"
    checklists_kept: list[Refusal] = field(default_factory=list)  # a local one is newer
    service_levels_installed: str | None = None  # the version pulled now
    service_levels_kept: Refusal | None = None  # a local file is newer

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "user": self.user,
            "visits_pushed": self.visits_pushed,
            "visits_already_there": self.visits_already_there,
            "in_progress_not_sent": self.in_progress,
            "refused": [{"id": r.what, "reason": r.reason} for r in self.refused],
            "closures_pushed": self.closures_pushed,
            "checklists_installed": self.checklists_installed,
            "checklists_kept": [{"id": r.what, "reason": r.reason} for r in self.checklists_kept],
            "service_levels_installed": self.service_levels_installed,
            "service_levels_kept": None if self.service_levels_kept is None
            else self.service_levels_kept.reason,
        }


Progress = Callable[[str], None]


def sync(
    login: Login,
    records_root: Path,
    *,
    checklists_dir: Path | None = None,
    on_visit: Progress | None = None,
) -> SyncResult:
    api = Api(login.server, login.token)
    me = api.call("GET", "/api/v1/me").json()
    result = SyncResult(login.server, str(me.get("name")))
    state = SyncState.load(records_root)
    accepted = state.of(login.server)
    try:
        _push_visits(api, records_root, accepted, result, state, on_visit)
        _push_closures(api, records_root, accepted, result)
    finally:
        state.save()
    from fieldkit.sync.pull import pull_checklists, pull_service_levels

    pull_checklists(api, result, checklists_dir)
    pull_service_levels(api, result)
    return result


@dataclass(frozen=True)
class _Ready:
    """A finished visit checked here, about to be sent."""

    visit_dir: Path
    visit: SealedVisit
    data: bytes  # its visit.json as written


class _VisitPusher:
    """Sends visits in batches (`POST /api/v1/visits`, one transaction on the server each)
    rather than one request per visit; a server without batches (405/404) gets `PUT` per visit."""

    def __init__(
        self, api: Api, accepted: ServerState, result: SyncResult, state: SyncState,
        on_visit: Progress | None,
    ) -> None:  # fmt: skip
        self.api = api
        self.accepted = accepted
        self.result = result
        self.state = state
        self.on_visit = on_visit
        self.batches = True
        self.pending: list[_Ready] = []
        self.pending_bytes = 0

    def add(self, ready: _Ready) -> None:
        if self.pending and (len(self.pending) >= BATCH_VISITS
                             or self.pending_bytes + len(ready.data) > BATCH_BYTES):  # fmt: skip
            self.flush()
        self.pending.append(ready)
        self.pending_bytes += len(ready.data)

    def flush(self) -> None:
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        if not batch:
            return
        sendable = []
        for ready, refusal in zip(batch, _send_attachments(self.api, batch), strict=True):
            if refusal is None:
                sendable.append(ready)
            else:
                self._refused(ready, refusal)
        if self.batches and len(sendable) > 1:
            answer = self.api.call(
                "POST", "/api/v1/visits",
                b'{"visits":[' + b",".join(ready.data for ready in sendable) + b"]}",
            )  # fmt: skip
            if answer.status == 200:
                results = answer.json()["results"]
                for ready, found in zip(sendable, results, strict=True):
                    self._answered(ready, int(found["status"]), str(found["detail"]))
                self.state.save()
                return
            if answer.status in (404, 405):
                self.batches = False
            elif answer.status != 413:
                for ready in sendable:
                    self._answered(ready, answer.status, answer.detail)
                return
        for ready in sendable:
            answer = self.api.call("PUT", f"/api/v1/visits/{ready.visit.visit_id}", ready.data)
            self._answered(ready, answer.status, answer.detail)
        self.state.save()

    def _answered(self, ready: _Ready, status: int, detail: str) -> None:
        visit = ready.visit
        if status == 409:
            self._refused(ready, f"changed after completion: {detail}")
            return
        if status not in (200, 201):
            self._refused(ready, f"refused by the server ({status}): {detail}")
            return
        self.accepted.visits[visit.visit_id] = visit.digest
        if status == 201:
            self.result.visits_pushed.append(visit.visit_id)
        else:
            self.result.visits_already_there += 1
        if self.on_visit is not None:
            self.on_visit(visit.visit_id)

    def _refused(self, ready: _Ready, reason: str) -> None:
        self.result.refused.append(Refusal(ready.visit.visit_id, reason))


def _push_visits(
    api: Api,
    root: Path,
    accepted: ServerState,
    result: SyncResult,
    state: SyncState,
    on_visit: Progress | None,
) -> None:
    try:
        names = sorted(name for name in os.listdir(root) if is_visit_id(name))
    except FileNotFoundError:
        return
    pusher = _VisitPusher(api, accepted, result, state, on_visit)
    for visit_id in names:
        path = root / visit_id / RECORD_FILE
        if not os.path.lexists(path):
            continue
        ready = _sealed(path)
        if ready is None:
            try:
                ready = _checked(path)
            except _NotSent as reason:
                if reason.in_progress:
                    result.in_progress += 1
                    continue
                if reason.digest is not None and accepted.visits.get(visit_id) == reason.digest:
                    result.visits_already_there += 1
                    continue
                result.refused.append(Refusal(visit_id, str(reason)))
                continue
        if accepted.visits.get(visit_id) == ready.visit.digest:
            result.visits_already_there += 1
            continue
        pusher.add(ready)
    pusher.flush()


def _sealed(path: Path) -> _Ready | None:
    """The visit, when its file is as fieldkit sealed it (records/sealed.py): read without
    the record models, which a sync then never imports."""
    try:
        data = read_bounded(path, MAX_RECORD_BYTES)
        visit = sealed_visit(path, parse_json(data))
    except (OSError, JsonProblem):
        return None
    return None if visit is None else _Ready(path.parent, visit, data)


@dataclass
class _NotSent(Exception):
    reason: str
    in_progress: bool = False
    digest: str | None = None  # a changed record's digest: already accepted as it was

    def __str__(self) -> str:
        return self.reason


def _checked(path: Path) -> _Ready:
    """Any other visit, read and checked through the record models: ready to send, or why not."""
    from fieldkit.records.loading import read_checked_record_file
    from fieldkit.records.models import VisitStatus

    try:
        checked = read_checked_record_file(path)
    except FieldkitError as error:
        raise _NotSent(f"not a readable record: {error}") from None
    record = checked.record
    if record.status is VisitStatus.IN_PROGRESS:
        raise _NotSent("in progress", in_progress=True)
    if record.digest is None or not checked.digest_ok:
        raise _NotSent(
            "changed after completion: its digest does not match its content", digest=record.digest
        )
    attachments = tuple(
        AttachmentFile(attachment.name, attachment.stored_path, attachment.sha256, attachment.size)
        for answer in record.answers
        for attachment in answer.attachments
    )
    return _Ready(
        path.parent, SealedVisit(record.visit_id, record.digest, attachments),
        read_bounded(path, MAX_RECORD_BYTES),
    )  # fmt: skip


def _send_attachments(api: Api, batch: list[_Ready]) -> list[str | None]:
    """Upload the attachments of these visits that the server lacks (asked once for all of
    them); for each visit, why it cannot be sent, or None."""
    files = {
        attachment.sha256: (ready.visit_dir, attachment)
        for ready in batch
        for attachment in ready.visit.attachments
    }
    if not files:
        return [None] * len(batch)
    answer = api.call("POST", "/api/v1/blobs/missing", _json({"sha256": sorted(files)}))
    if answer.status != 200:
        return [f"refused by the server ({answer.status}): {answer.detail}"] * len(batch)
    missing = set(answer.json()["missing"])
    failed: dict[str, str] = {}
    for digest, (visit_dir, attachment) in files.items():  # in the visits' order
        if digest in missing and (refusal := _upload(api, visit_dir, attachment)) is not None:
            failed[digest] = refusal
    return [
        next((failed[attachment.sha256] for attachment in ready.visit.attachments
              if attachment.sha256 in failed), None)
        for ready in batch
    ]  # fmt: skip


def _upload(api: Api, visit_dir: Path, attachment: AttachmentFile) -> str | None:
    """Send one attachment the server lacks, read as a bundle reads it (a regular file in the
    visit's attachments folder, never through a link, bounded); why it was not sent, or None."""
    changed = f"attachment {attachment.name}: the file is missing or changed on this laptop"
    with contextlib.ExitStack() as stack:
        try:
            reader = stack.enter_context(open_stored_attachment(visit_dir, attachment.stored_path))
            hasher = hashlib.sha256()
            for chunk in attachment_chunks(reader, visit_dir, attachment.stored_path):
                hasher.update(chunk)
            reader.seek(0)
        except FileNotFoundError:
            return changed
        except OSError as error:
            return f"attachment {attachment.name} not sent: {error.strerror or error}"
        if hasher.hexdigest() != attachment.sha256:
            return changed
        sent = api.call(
            "PUT", f"/api/v1/blobs/{attachment.sha256}", reader, length=attachment.size,
            content_type="application/octet-stream",
        )  # fmt: skip
    if sent.status != 201:
        return f"attachment {attachment.name} refused ({sent.status}): {sent.detail}"
    return None


def _push_closures(api: Api, root: Path, accepted: ServerState, result: SyncResult) -> None:
    for path in iter_closure_files(root):
        from fieldkit.followups.closures import ClosureUnreadable, read_closure_file

        try:
            closure = read_closure_file(path)
        except ClosureUnreadable as error:
            result.refused.append(Refusal(path.name, str(error)))
            continue
        if closure.digest is None or accepted.closures.get(closure.item_id) == closure.digest:
            continue
        answer = api.call("POST", "/api/v1/closures", read_bounded(path, 256 * 1024))
        if answer.status in (200, 201):
            accepted.closures[closure.item_id] = closure.digest
            result.closures_pushed.append(closure.item_id)
        else:
            result.refused.append(Refusal(closure.item_id, answer.detail))


def _json(content: Any) -> bytes:
    return json.dumps(content).encode("utf-8")

