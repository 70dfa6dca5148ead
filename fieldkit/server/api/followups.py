"""Follow-ups: closures pushed by laptops (idempotent by item id and digest)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from fieldkit.server.api.visits import read_bounded
from fieldkit.server.auth import CurrentUser
from fieldkit.server.ingest import Refused, ingest_closure

router = APIRouter(prefix="/api/v1", tags=["followups"])
MAX_CLOSURE_BYTES = 256 * 1024


@router.post("/closures")
async def push_closure(request: Request, user: CurrentUser) -> Response:
    """A closure file: 201 stored, 200 already there, 409 another closure of the same item,
    404 an item this token cannot see, 422 not a valid closure."""
    body = await read_bounded(request, MAX_CLOSURE_BYTES)
    try:
        stored = await run_in_threadpool(ingest_closure, request.app.state.engine, user, body)
    except Refused as refusal:
        raise HTTPException(refusal.status, refusal.reason) from None
    return Response(
        content='{"result":"stored"}' if stored else '{"result":"unchanged"}',
        status_code=201 if stored else 200,
        media_type="application/json",
    )
