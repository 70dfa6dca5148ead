"""One pass over the sources: every kept visit goes to the summary and to the exporter.

The exporter writes to a temporary file next to the output and renames it at the end, so
an interrupted export never leaves a half-written report behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from fieldkit.errors import UserInputError
from fieldkit.followups.closures import read_closures
from fieldkit.followups.service import note_closure_problems
from fieldkit.lang import Lang
from fieldkit.paths import records_dir
from fieldkit.records.models import VisitRecord
from fieldkit.records.sources import Item, Progress, SourceReport, Visit, VisitReader
from fieldkit.records.workers import default_workers
from fieldkit.report.facts import VisitFacts
from fieldkit.report.filters import Filters
from fieldkit.report.kpi import SummaryBuilder
from fieldkit.report.redact import Redactor, sensitive_values
from fieldkit.report.rows import Cell, RowMaker
from fieldkit.report.summary import Summary
from fieldkit.report.titles import StepTitles
from fieldkit.safeio import check_output_path
from fieldkit.safezip import ZipLimits
from fieldkit.sla import Sla, load_sla

FORMATS = ("csv", "xlsx", "html", "json")
LEVELS = ("visit", "step", "followup", "satisfaction")


@dataclass
class ReportOptions:
    sources: list[Path]
    filters: Filters = field(default_factory=Filters)
    include_changed: bool = False
    lang: Lang = "en"
    today: date = field(default_factory=date.today)
    sla: Sla | None = None  # None: the built-in data/sla.yaml
    limits: ZipLimits = field(default_factory=ZipLimits)
    on_file: Progress | None = None  # called after each record file, with the count so far
    workers: int | None = None  # processes reading records; None: one per CPU (records/workers.py)


class Masking:
    """What an exporter runs every cell and JSON value through: identity, or a Redactor."""

    def __init__(self, redactor: Redactor | None) -> None:
        self.redactor = redactor

    def cell(self, value: Cell) -> Cell:
        return self.redactor.cell(value) if self.redactor else value

    def row(self, row: list[Cell]) -> list[Cell]:
        return [self.redactor.cell(value) for value in row] if self.redactor else row

    def deep(self, value: Any) -> Any:
        return self.redactor.deep(value) if self.redactor else value


@dataclass
class ExportContext:
    """What every exporter is given."""

    rows: RowMaker
    mask: Masking
    lang: Lang
    level: str


@dataclass(frozen=True)
class Needs:
    """Which tables an exporter writes besides the visit rows (made from the facts)."""

    steps: bool = False
    pings: bool = False
    content: bool = False  # the record itself, as its visit.json content


@dataclass
class PreparedVisit:
    """What the report keeps of one record: its facts, and the rows the exporter needs."""

    facts: VisitFacts
    step_rows: list[list[Cell]] = field(default_factory=list)
    ping_rows: list[list[Cell]] = field(default_factory=list)
    content: dict[str, Any] | None = None


@dataclass
class Preparer:
    """Runs where a record is read (possibly a worker process): record -> PreparedVisit."""

    rows: RowMaker
    needs: Needs

    def __call__(self, record: VisitRecord) -> PreparedVisit:
        return PreparedVisit(
            facts=self.rows.facts(record),
            step_rows=self.rows.step_rows(record) if self.needs.steps else [],
            ping_rows=self.rows.ping_rows(record) if self.needs.pings else [],
            content=record.model_dump(mode="json") if self.needs.content else None,
        )


class Exporter(Protocol):
    needs: Needs

    def add(self, visit: Visit[PreparedVisit]) -> None: ...

    def finish(self, summary: Summary, sources: SourceReport) -> None: ...

    def close(self) -> None:
        """Release the file even when the export failed half-way (idempotent)."""


@dataclass
class ReportResult:
    summary: Summary
    sources: SourceReport


def _reader(
    options: ReportOptions, prepare: Callable[[VisitRecord], Item], on_file: Progress | None
) -> VisitReader[Item]:
    return VisitReader(
        options.sources,
        filters=options.filters,
        include_changed=options.include_changed,
        limits=options.limits,
        on_file=on_file,
        prepare=prepare,
        workers=default_workers() if options.workers is None else options.workers,
    )


def _read_and_summarize(
    options: ReportOptions,
    needs: Needs,
    consume: Callable[[Visit[PreparedVisit]], None] | None = None,
) -> ReportResult:
    sla = options.sla or load_sla()
    today = options.today
    builder = SummaryBuilder(sla, options.lang, today)
    prepare = Preparer(RowMaker(StepTitles(options.lang), sla, today), needs)
    closures = read_closures(options.sources, options.limits)
    reader = _reader(options, prepare, options.on_file)
    for visit in reader:
        facts = visit.item.facts
        if facts.followups:
            visit.item.facts = replace(facts, followups=closures.apply(facts.followups))
        builder.add_facts(visit.item.facts)
        if consume is not None:
            consume(visit)
    note_closure_problems(closures, reader.report)
    return ReportResult(builder.build(), reader.report)


def summarize(options: ReportOptions) -> ReportResult:
    """The KPIs of the visits the sources hold, after filters."""
    return _read_and_summarize(options, Needs())


def learn_redactions(options: ReportOptions) -> Redactor:
    """A first pass that learns every customer, site and contact name (see redact.py)."""
    redactor = Redactor()
    for visit in _reader(options, sensitive_values, None):
        redactor.learn_values(visit.item)
    return redactor


def export(
    options: ReportOptions,
    fmt: str,
    output: Path,
    *,
    level: str = "visit",
    redact: bool = False,
) -> ReportResult:
    """Write the report in `fmt` to `output` and return its summary."""
    if fmt not in FORMATS:
        raise UserInputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if level not in LEVELS:
        raise UserInputError(f"--level {level!r}: expected one of {', '.join(LEVELS)}")
    check_output_path(output, [*options.sources, records_dir()])
    try:  # before any reading: a folder we cannot write to fails at once
        handle, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    except OSError as error:
        raise UserInputError(f"cannot write {output}: {error.strerror or error}") from None
    os.close(handle)
    temp = Path(temp_name)
    try:
        sla = options.sla or load_sla()
        options = ReportOptions(**{**options.__dict__, "sla": sla})
        masking = Masking(learn_redactions(options) if redact else None)
        context = ExportContext(
            rows=RowMaker(StepTitles(options.lang), sla, options.today),
            mask=masking,
            lang=options.lang,
            level=level,
        )
        exporter = make_exporter(fmt, temp, context)
        try:
            result = _read_and_summarize(options, exporter.needs, exporter.add)
            exporter.finish(result.summary, result.sources)
        finally:
            exporter.close()
        os.replace(temp, output)
    finally:
        temp.unlink(missing_ok=True)
    return result


def make_exporter(fmt: str, path: Path, context: ExportContext) -> Exporter:
    """The exporter of `fmt` writing to `path` (the server uses it too: server/exports.py)."""
    if fmt == "csv":
        from fieldkit.report.export_csv import CsvExporter

        return CsvExporter(path, context)
    if fmt == "xlsx":
        from fieldkit.report.export_xlsx import XlsxExporter

        return XlsxExporter(path, context)
    if fmt == "html":
        from fieldkit.report.export_html import HtmlExporter

        return HtmlExporter(path, context)
    from fieldkit.report.export_json import JsonExporter

    return JsonExporter(path, context)
