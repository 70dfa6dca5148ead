"""Published checklists, for every laptop to pull (publishing is `fieldkit server checklists
publish`, on the server)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from fieldkit.server import db
from fieldkit.server.auth import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["checklists"])


class PublishedChecklist(BaseModel):
    id: str
    version: str
    sha256: str
    file_name: str


@router.get("/checklists")
def list_checklists(request: Request, user: CurrentUser) -> list[PublishedChecklist]:
    with request.app.state.engine.connect() as conn:
        return [
            PublishedChecklist(
                id=item.checklist_id, version=item.version, sha256=item.sha256,
                file_name=item.file_name,
            )
            for item in db.published_checklists(conn)
        ]  # fmt: skip


@router.get("/checklists/{checklist_id}/{version}")
def get_checklist(checklist_id: str, version: str, request: Request, user: CurrentUser) -> Any:
    with request.app.state.engine.connect() as conn:
        content = db.checklist_content(conn, checklist_id, version)
    if content is None:
        raise HTTPException(404, "no such checklist version")
    return Response(content, media_type="application/yaml")
