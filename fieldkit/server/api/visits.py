"""Visits: push (PUT, idempotent by id and digest), read, list; attachments as blobs."""

from __future__ import annotations

import hashlib
import re
import tempfile
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from fieldkit.records.identity import VISIT_ID_PATTERN
from fieldkit.server import db
from fieldkit.server.auth import CurrentUser
from fieldkit.server.ingest import Refused, ingest_batch, ingest_visit

router = APIRouter(prefix="/api/v1", tags=["visits"])
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VISIT_ID = re.compile(VISIT_ID_PATTERN)
_CHUNK = 1024 * 1024


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the body is larger than {limit} bytes")


def _declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


async def read_bounded(request: Request, limit: int) -> bytes:
    _declared_size(request, limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _check_visit_id(visit_id: str) -> None:
    if not _VISIT_ID.match(visit_id):
        raise HTTPException(422, f"{visit_id!r} is not a visit id")


@router.put("/visits/{visit_id}")
async def push_visit(visit_id: str, request: Request, user: CurrentUser) -> Any:
    """Store a finished visit's visit.json. 201 stored, 200 already there unchanged, 409 the
    same id with another digest, 403 another engineer's visit, 422 not a valid finished
    record (the reason says why)."""
    _check_visit_id(visit_id)
    settings = request.app.state.settings
    body = await read_bounded(request, settings.max_record_bytes)
    try:
        stored = await run_in_threadpool(
            ingest_visit, request.app.state.engine, request.app.state.levels, user, visit_id, body
        )
    except Refused as refusal:
        raise HTTPException(refusal.status, refusal.reason) from None
    result = "stored" if stored else "unchanged"
    return Response(
        content=f'{{"visit_id":"{visit_id}","result":"{result}"}}',
        status_code=201 if stored else 200,
        media_type="application/json",
    )


class PushedVisit(BaseModel):
    visit_id: str
    status: int
    detail: str


class PushedBatch(BaseModel):
    results: list[PushedVisit]


@router.post("/visits")
async def push_visits(request: Request, user: CurrentUser) -> PushedBatch:
    """Store a batch of finished visits, `{"visits": [visit.json content, ...]}` (at most 200,
    the body no larger than one visit's limit), in one transaction. Each visit gets the status
    `PUT /visits/{id}` would have answered (201, 200, 403, 409, 422) and its reason; the batch
    itself is 413 too large, 422 not such an object."""
    settings = request.app.state.settings
    body = await read_bounded(request, settings.max_record_bytes)
    try:
        found = await run_in_threadpool(
            ingest_batch, request.app.state.engine, request.app.state.levels, user, body
        )
    except Refused as refusal:
        raise HTTPException(refusal.status, refusal.reason) from None
    return PushedBatch(results=[PushedVisit(visit_id=pushed.visit_id, status=pushed.status,
                                            detail=pushed.detail) for pushed in found])  # fmt: skip


class VisitDigest(BaseModel):
    visit_id: str
    digest: str


@router.get("/visits")
def list_visits(request: Request, user: CurrentUser) -> list[VisitDigest]:
    """The visits this token may read: id and digest."""
    with request.app.state.engine.connect() as conn:
        return [
            VisitDigest(visit_id=visit_id, digest=digest)
            for visit_id, digest in db.visit_digests(conn, db.VisitScope.of(user))
        ]


def _not_found() -> HTTPException:
    # The same answer for a visit that does not exist and one this token may not read.
    return HTTPException(404, "no such visit")


@router.get("/visits/{visit_id}")
def get_visit(visit_id: str, request: Request, user: CurrentUser) -> Any:
    with request.app.state.engine.connect() as conn:
        content = db.visit_content(conn, visit_id, db.VisitScope.of(user))
    if content is None:
        raise _not_found()
    return content


@router.get("/visits/{visit_id}/attachments/{stored_path:path}")
def get_attachment(visit_id: str, stored_path: str, request: Request, user: CurrentUser) -> Any:
    with request.app.state.engine.connect() as conn:
        if db.visit_content(conn, visit_id, db.VisitScope.of(user)) is None:
            raise _not_found()
        content = db.blob_for_visit(conn, visit_id, stored_path)
    if content is None:
        raise _not_found()
    return Response(content, media_type="application/octet-stream")


class BlobQuery(BaseModel):
    sha256: list[str]


@router.post("/blobs/missing")
def missing_blobs(query: BlobQuery, request: Request, user: CurrentUser) -> dict[str, list[str]]:
    """Which of these attachment contents the centre does not hold yet."""
    wanted = {digest for digest in query.sha256 if _SHA256.match(digest)}
    with request.app.state.engine.connect() as conn:
        return {"missing": sorted(db.missing_blobs(conn, wanted))}


@router.put("/blobs/{sha256}", status_code=201)
async def put_blob(sha256: str, request: Request, user: CurrentUser) -> dict[str, str]:
    """An attachment's bytes, streamed; kept only when they hash to `sha256`. Nothing is
    stored until the whole body has arrived and matched, so a cut upload leaves nothing."""
    if not _SHA256.match(sha256):
        raise HTTPException(422, "an attachment is named by its sha256 (64 hex digits)")
    limit = request.app.state.settings.max_attachment_bytes
    _declared_size(request, limit)
    hasher = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK) as spool:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            hasher.update(chunk)
            spool.write(chunk)
        if hasher.hexdigest() != sha256:
            raise HTTPException(422, "the attachment's bytes do not match its sha256")
        spool.seek(0)
        content = spool.read()

    def store() -> None:
        with request.app.state.engine.begin() as conn:
            db.insert_blob(conn, sha256, content)

    await run_in_threadpool(store)
    return {"sha256": sha256}
