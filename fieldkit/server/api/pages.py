"""The HTML report for a supervisor: `/reports?from=…&to=…&engineer=…`, the same
self-contained page as `report export --format html` (report/export_html.py renders it), with
the figures computed in SQL and the table of the newest visits read from their records."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fieldkit.report.export_html import HTML_VISIT_ROWS, HtmlExporter
from fieldkit.report.pipeline import ExportContext, Masking, PreparedVisit
from fieldkit.report.rows import RowMaker
from fieldkit.report.sources import Visit
from fieldkit.report.titles import StepTitles
from fieldkit.server import db, reports
from fieldkit.server.api.reports import parse_filters, parse_lang
from fieldkit.server.auth import CurrentUser, require_role
from fieldkit.server.exports import ORIGIN, stored_record

router = APIRouter(tags=["reports"])


@router.get("/reports", response_class=HTMLResponse)
def html_report(
    request: Request,
    user: CurrentUser,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
    engineer: Annotated[list[str] | None, Query()] = None,
    lang: str = "zh",
) -> HTMLResponse:
    """The HTML report of the visits a supervisor (their team's) or an admin (all) may read."""
    require_role(user, "supervisor", "admin")
    filters = parse_filters(since, until, engineer, None, None, None, None, None, None)
    shown = parse_lang(lang)
    settings = request.app.state.settings
    today = date.today()
    scope = db.VisitScope.of(user)
    rows = RowMaker(StepTitles(shown), settings.sla, today)
    exporter = HtmlExporter(Path("unused.html"), ExportContext(rows, Masking(None), shown, "visit"))
    with request.app.state.engine.connect() as conn:
        summary = reports.summary(conn, filters, scope, settings.sla, shown, today)
        where = reports.filtered(filters, scope)
        for content in db.newest_records(conn, where, HTML_VISIT_ROWS):
            record = stored_record(content)
            exporter.add(Visit(PreparedVisit(rows.facts(record)), ORIGIN))
        sources = reports.source_report(conn, scope, summary)
    return HTMLResponse(exporter.render(summary, sources))
