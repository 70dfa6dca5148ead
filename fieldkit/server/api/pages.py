"""The HTML report for a supervisor: `/reports?from=…&to=…&engineer=…`, the same
self-contained page as `report export --format html` (report/export_html.py renders it), with
the figures computed in SQL and the table of the newest visits read from their records."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from fieldkit.records.sources import Visit
from fieldkit.report.export_html import HTML_VISIT_ROWS, HtmlExporter
from fieldkit.report.pipeline import ExportContext, Masking, PreparedVisit
from fieldkit.report.rows import RowMaker
from fieldkit.report.titles import StepTitles
from fieldkit.server import db, listings, reports
from fieldkit.server.api.reports import parse_lang, report_filters
from fieldkit.server.auth import COOKIE, PageUser, require_role, user_of
from fieldkit.server.exports import ORIGIN, stored_record

router = APIRouter(tags=["reports"])


@router.get("/reports", response_class=HTMLResponse)
def html_report(
    request: Request,
    user: PageUser,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
    engineer: Annotated[list[str] | None, Query()] = None,
    lang: str = "zh",
) -> HTMLResponse:
    """The HTML report of the visits a supervisor (their team's) or an admin (all) may read."""
    require_role(user, "supervisor", "admin")
    filters = report_filters(since=since, until=until, engineer=engineer)
    shown = parse_lang(lang)
    today = date.today()
    scope = db.VisitScope.of(user)
    with request.app.state.engine.connect() as conn:
        sla = request.app.state.levels.sla(conn)
        rows = RowMaker(StepTitles(shown), sla, today)
        exporter = HtmlExporter(Path("unused.html"),
                                ExportContext(rows, Masking(None), shown, "visit"))  # fmt: skip
        summary = reports.summary(conn, filters, scope, sla, shown, today)
        where = listings.filtered(filters, scope)
        for content in listings.newest_records(conn, where, HTML_VISIT_ROWS):
            record = stored_record(content)
            exporter.add(Visit(PreparedVisit(rows.facts(record)), ORIGIN))
        sources = reports.source_report(conn, scope, summary)
    return HTMLResponse(exporter.render(summary, sources))


_LOGIN_PAGE = """<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>fieldkit 登录 / log in</title></head>
<body><form method="post" action="/login">
<label>令牌 / token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">登录 / log in</button></form></body></html>
"""


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    """A form for the token, so that a supervisor can open /reports in a browser."""
    return HTMLResponse(_LOGIN_PAGE)


@router.post("/login")
async def login(request: Request) -> RedirectResponse:
    """Check the token and keep it in an HttpOnly cookie that only the report pages read."""
    from urllib.parse import parse_qs

    body = (await request.body())[:4096].decode("utf-8", "replace")
    token = (parse_qs(body).get("token") or [""])[0].strip()
    user = await run_in_threadpool(user_of, request, token)
    require_role(user, "supervisor", "admin")
    answer = RedirectResponse("/reports", status_code=303)
    answer.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                      secure=request.url.scheme == "https", path="/reports")  # fmt: skip
    return answer
