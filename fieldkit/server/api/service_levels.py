"""The service levels the centre published, for every laptop to pull (publishing is `fieldkit
server sla publish`, on the server)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from fieldkit.server import service_levels
from fieldkit.server.auth import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["service levels"])


class PublishedLevels(BaseModel):
    version: str
    sha256: str


@router.get("/sla")
def current_levels(request: Request, user: CurrentUser) -> PublishedLevels:
    """The current published service levels (404: none published; laptops keep the built-in)."""
    with request.app.state.engine.connect() as conn:
        found = service_levels.published(conn)
    if found is None:
        raise HTTPException(404, "the centre has published no service levels")
    return PublishedLevels(version=found.version, sha256=found.sha256)


@router.get("/sla/{version}")
def levels_file(version: str, request: Request, user: CurrentUser) -> Response:
    """One published sla.yaml, as published."""
    with request.app.state.engine.connect() as conn:
        content = service_levels.content(conn, version)
    if content is None:
        raise HTTPException(404, "no such service levels version")
    return Response(content, media_type="application/yaml")
