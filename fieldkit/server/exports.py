"""`report export --server`: the file path's exporters (report/export_*.py) fed from the
store: the summary from SQL (reports.py), the rows from the records of the visits that pass
the filters, read one at a time, with the centre's closures applied as files' are."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from fieldkit.followups.closures import Closure, ClosureSet
from fieldkit.lang import Lang
from fieldkit.records.migrations import migrate
from fieldkit.records.models import VisitRecord
from fieldkit.records.sources import Visit
from fieldkit.report.filters import Filters
from fieldkit.report.pipeline import ExportContext, Masking, Preparer, make_exporter
from fieldkit.report.redact import Redactor, sensitive_values
from fieldkit.report.rows import RowMaker
from fieldkit.report.titles import StepTitles
from fieldkit.server import db, listings, reports
from fieldkit.sla import Sla

ORIGIN = "server"


def export(
    conn: Connection, filters: Filters, scope: db.VisitScope, sla: Sla, lang: Lang, today: date,
    *, fmt: str, level: str, redact: bool, path: Path,
) -> int:  # fmt: skip
    """Write the report to `path`; the number of visits in it."""
    where = listings.filtered(filters, scope)
    summary = reports.summary(conn, filters, scope, sla, lang, today)
    redactor = None
    if redact:
        redactor = Redactor()
        for content in listings.filtered_records(conn, where):
            redactor.learn_values(sensitive_values(stored_record(content)))
    rows = RowMaker(StepTitles(lang), sla, today)
    exporter = make_exporter(fmt, path, ExportContext(rows, Masking(redactor), lang, level))
    closures = ClosureSet()
    for content in listings.filtered_closures(conn, where):
        closures.add(Closure.model_validate(content), ORIGIN)
    prepare = Preparer(rows, exporter.needs)
    try:
        for content in listings.filtered_records(conn, where):
            prepared = prepare(stored_record(content))
            if prepared.facts.followups:
                prepared.facts = replace(
                    prepared.facts, followups=closures.apply(prepared.facts.followups)
                )
            exporter.add(Visit(prepared, ORIGIN))
        exporter.finish(summary, reports.source_report(conn, scope, summary))
    finally:
        exporter.close()
    return summary.totals.visits


def stored_record(content: dict[str, Any]) -> VisitRecord:
    """A stored record's content as the model (upgraded if an older fieldkit wrote it)."""
    return VisitRecord.model_validate(migrate(content))
