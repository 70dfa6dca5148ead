"""Reports: the summary's KPIs computed in SQL (reports.py), with the file path's filters and
JSON shape; each token sees the visits its role may read."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from fieldkit.errors import UserInputError
from fieldkit.lang import Lang
from fieldkit.report.filters import Filters
from fieldkit.server import db, reports
from fieldkit.server.auth import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["reports"])
Many = Annotated[list[str] | None, Query()]


def report_filters(
    since: str | None = None, until: str | None = None, engineer: Many = None,
    checklist: Many = None, kind: Many = None, status: Many = None, outcome: Many = None,
    grade: Many = None, customer: str | None = None,
) -> Filters:  # fmt: skip
    """The report filters as query parameters, shared by every report route."""
    try:
        return Filters.from_options(
            since=since, until=until, engineers=engineer or (), checklists=checklist or (),
            kinds=kind or (), statuses=status or (), outcomes=outcome or (),
            grades=grade or (), customer=customer,
        )  # fmt: skip
    except UserInputError as error:
        raise HTTPException(422, str(error)) from None


ReportFilters = Annotated[Filters, Depends(report_filters)]


def parse_lang(lang: str) -> Lang:
    if lang not in ("en", "zh"):
        raise HTTPException(422, f"lang {lang!r}: expected en or zh")
    return cast(Lang, lang)


@router.get("/reports/summary")
def summary(
    request: Request,
    user: CurrentUser,
    filters: ReportFilters,
    lang: str = "en",
    today: date | None = None,
) -> dict[str, Any]:
    """`report summary --json` over the visits this token may read: {"summary", "sources"}."""
    scope = db.VisitScope.of(user)
    with request.app.state.engine.connect() as conn:
        sla = request.app.state.levels.sla(conn)
        found = reports.summary(conn, filters, scope, sla, parse_lang(lang),
                                today or date.today())  # fmt: skip
        sources = reports.source_report(conn, scope, found)
    return {"summary": found.to_json(), "sources": sources.to_json()}


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}


@router.get("/reports/export")
def export(
    request: Request,
    user: CurrentUser,
    format: str,
    filters: ReportFilters,
    level: str = "visit",
    redact: bool = False,
    lang: str = "en",
    today: date | None = None,
) -> FileResponse:
    """`report export` over the visits this token may read: the file itself."""
    from fieldkit.report.pipeline import FORMATS, LEVELS
    from fieldkit.server.exports import export as write_export

    if format not in FORMATS or level not in LEVELS:
        raise HTTPException(422, f"format is one of {', '.join(FORMATS)}; level one of "
                                 f"{', '.join(LEVELS)}")  # fmt: skip
    handle, name = tempfile.mkstemp(prefix="fieldkit-export-", suffix=f".{format}")
    os.close(handle)
    path = Path(name)
    try:
        with request.app.state.engine.connect() as conn:
            write_export(
                conn, filters, db.VisitScope.of(user), request.app.state.levels.sla(conn),
                parse_lang(lang),
                today or date.today(), fmt=format, level=level, redact=redact, path=path,
            )  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=MEDIA_TYPES[format],
                        background=BackgroundTask(path.unlink, missing_ok=True))  # fmt: skip
