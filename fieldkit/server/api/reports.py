"""Reports: the summary's KPIs computed in SQL (reports.py), with the file path's filters and
JSON shape; each token sees the visits its role may read."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, HTTPException, Query, Request

from fieldkit.errors import UserInputError
from fieldkit.lang import Lang
from fieldkit.report.filters import Filters
from fieldkit.report.sources import SourceReport
from fieldkit.server import db, reports
from fieldkit.server.auth import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["reports"])
Many = Annotated[list[str] | None, Query()]


def parse_filters(
    since: str | None, until: str | None, engineer: list[str] | None,
    checklist: list[str] | None, kind: list[str] | None, status: list[str] | None,
    outcome: list[str] | None, grade: list[str] | None, customer: str | None,
) -> Filters:  # fmt: skip
    try:
        return Filters.from_options(
            since=since, until=until, engineers=engineer or (), checklists=checklist or (),
            kinds=kind or (), statuses=status or (), outcomes=outcome or (),
            grades=grade or (), customer=customer,
        )  # fmt: skip
    except UserInputError as error:
        raise HTTPException(422, str(error)) from None


def parse_lang(lang: str) -> Lang:
    if lang not in ("en", "zh"):
        raise HTTPException(422, f"lang {lang!r}: expected en or zh")
    return cast(Lang, lang)


@router.get("/reports/summary")
def summary(
    request: Request,
    user: CurrentUser,
    since: str | None = None,
    until: str | None = None,
    engineer: Many = None,
    checklist: Many = None,
    kind: Many = None,
    status: Many = None,
    outcome: Many = None,
    grade: Many = None,
    customer: str | None = None,
    lang: str = "en",
    today: date | None = None,
) -> dict[str, Any]:
    """`report summary --json` over the visits this token may read: {"summary", "sources"}."""
    filters = parse_filters(since, until, engineer, checklist, kind, status, outcome, grade,
                            customer)  # fmt: skip
    settings = request.app.state.settings
    with request.app.state.engine.connect() as conn:
        found = reports.summary(
            conn, filters, db.VisitScope.of(user), settings.sla, parse_lang(lang),
            today or date.today(),
        )
    sources = SourceReport(files_read=found.totals.visits, visits_kept=found.totals.visits)
    return {"summary": found.to_json(), "sources": sources.to_json()}
