"""The API: `create_app(settings)` builds it; there is no global app object.

Routers live in api/; every SQL statement lives in db.py, listings.py (what is listed or exported)
or reports.py (the KPIs), over the schema in tables.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from fieldkit import __version__
from fieldkit.server import db
from fieldkit.server.auth import CurrentUser
from fieldkit.server.derived import Derived
from fieldkit.server.service_levels import Current
from fieldkit.sla import Sla, load_sla

# A 500-step record with its checklist is well under 1 MB.
MAX_RECORD_BYTES = 16 * 1024 * 1024
# As the laptop's store allows (records/stored_attachments.py MAX_ATTACHMENT_BYTES).
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
RETRY_AFTER_S = 30


@dataclass
class Settings:
    database_url: str
    max_record_bytes: int = MAX_RECORD_BYTES
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES
    sla: Sla = field(default_factory=load_sla)  # until the centre publishes its own


def create_app(settings: Settings) -> FastAPI:
    from fieldkit.server.api import checklists, followups, pages, reports, service_levels, visits

    app = FastAPI(title="fieldkit server", version=__version__)
    app.state.settings = settings
    app.state.engine = db.make_engine(settings.database_url)
    app.state.levels = Current(Derived(settings.sla))
    app.include_router(visits.router)
    app.include_router(checklists.router)
    app.include_router(service_levels.router)
    app.include_router(followups.router)
    app.include_router(reports.router)
    app.include_router(pages.router)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_unavailable(_request: Request, error: Exception) -> JSONResponse:
        # The database went away (restart, network): the laptop keeps its visits and retries.
        return JSONResponse(
            {"detail": "the database is not available; try again later"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.get("/api/v1/me")
    def me(user: CurrentUser) -> dict[str, str | None]:
        """Who this token is: a laptop checks it before pushing anything."""
        return {"name": user.name, "role": user.role, "team": user.team, "fieldkit": __version__}

    return app
