"""Follow-ups: the centre's listing, and closures pushed by laptops (idempotent by item id
and digest)."""

from __future__ import annotations

from datetime import date
from typing import Any

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


@router.get("/followups")
def list_followups(
    request: Request,
    user: CurrentUser,
    which: str = "all",
    item: str | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """`followups list --json` over the visits this token may read: overdue first, then
    open, then closed. `which`: all, open (overdue included) or overdue; `item`: one id."""
    from fieldkit.followups.service import listing_order
    from fieldkit.server import db, listings

    wanted = {"all": None, "open": ("open", "overdue"), "overdue": ("overdue",)}
    if which not in wanted:
        raise HTTPException(422, "which is all, open or overdue")
    with request.app.state.engine.connect() as conn:
        items = listings.list_followups(conn, db.VisitScope.of(user), today or date.today(), item)
    statuses = wanted[which]
    kept = [found for found in items if statuses is None or found.status in statuses]
    return [found.to_json() for found in sorted(kept, key=listing_order)]
