"""XLSX: sheets Summary (KPIs and native charts), Visits, Steps, Pings, Follow-ups.

XlsxWriter in constant-memory mode: each row goes to disk as soon as the next one starts,
so the workbook's size does not grow memory. Every cell is written with its real type
(numbers, booleans, dates); text is always written as text, never as a formula. Times are
the engineer's local wall-clock time (Excel has no time zones); the ISO value with its
offset is in the CSV and JSON exports. A sheet that reaches Excel's row limit continues in
"Steps (2)" and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from fieldkit.report.kpi import Summary
from fieldkit.report.pipeline import ExportContext, Needs, PreparedVisit
from fieldkit.report.rows import (
    FOLLOWUP_COLUMNS,
    PING_COLUMNS,
    STEP_COLUMNS,
    VISIT_COLUMNS,
    Cell,
    Column,
)
from fieldkit.report.sources import SourceReport, Visit

EXCEL_MAX_ROWS = 1_048_576
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()

CellWriter = Callable[[int, int, Any, "Format | None"], object]


class _Sheet:
    """A data sheet written row by row, with frozen header, filter and widths."""

    def __init__(self, book: _Book, name: str, columns: list[Column]) -> None:
        self.book = book
        self.name = name
        self.columns = columns
        self._formats = [book.formats.get(column.kind) for column in columns]
        self.part = 0
        self._open_part()

    def _open_part(self) -> None:
        self.part += 1
        title = self.name if self.part == 1 else f"{self.name} ({self.part})"
        sheet = self.book.workbook.add_worksheet(title)
        for index, column in enumerate(self.columns):
            sheet.set_column(index, index, column.width)
        for index, column in enumerate(self.columns):
            sheet.write_string(0, index, column.name, self.book.header)
        sheet.freeze_panes(1, 0)
        self.sheet = sheet
        self._writers = self.book.cell_writers(sheet)
        self.row = 0

    def add(self, cells: list[Cell]) -> None:
        if self.row + 1 >= EXCEL_MAX_ROWS:
            self._close_part()
            self._open_part()
        self.row += 1
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.name}: {len(cells)} cells for {len(self.columns)} columns")
        # A report writes millions of cells: each goes straight to its typed writer (the generic
        # write() dispatch costs more than the write), and empty cells are not written at all.
        row, writers, formats = self.row, self._writers, self._formats
        for index, value in enumerate(cells):
            if value is not None and value != "":
                writers[type(value)](row, index, value, formats[index])

    def _close_part(self) -> None:
        self.sheet.autofilter(0, 0, max(self.row, 1), len(self.columns) - 1)

    def close(self) -> None:
        self._close_part()


class _Book:
    def __init__(self, path: Path) -> None:
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "remove_timezone": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        add = self.workbook.add_format
        self.header = add({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        self.title = add({"bold": True, "font_size": 14})
        self.section = add({"bold": True, "font_size": 12})
        self.formats = {
            "datetime": add({"num_format": "yyyy-mm-dd hh:mm"}),
            "date": add({"num_format": "yyyy-mm-dd"}),
            "number": add({"num_format": "0.00"}),
            "percent": add({"num_format": "0.0%"}),
            "int": add({"num_format": "0"}),
        }

    def cell_writers(self, sheet: Worksheet) -> dict[type, CellWriter]:
        """The writer for each Python type of cell; a cell's format is its column's."""
        datetime_format, date_format = self.formats["datetime"], self.formats["date"]

        def write_datetime(row: int, col: int, value: datetime, _: Format | None) -> None:
            sheet.write_number(row, col, excel_serial(value), datetime_format)

        def write_date(row: int, col: int, value: date, _: Format | None) -> None:
            sheet.write_number(row, col, excel_serial(value), date_format)

        return _WritersByType({
            str: sheet.write_string,  # text and bool columns have no format (None)
            int: sheet.write_number,
            float: sheet.write_number,
            bool: sheet.write_boolean,
            datetime: write_datetime,
            date: write_date,
        })

    def write(self, sheet: Worksheet, row: int, col: int, value: Any, kind: str = "text") -> None:
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, datetime):
            sheet.write_number(row, col, excel_serial(value), self.formats["datetime"])
        elif isinstance(value, date):
            sheet.write_number(row, col, excel_serial(value), self.formats["date"])
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value, self.formats.get(kind))
        else:
            sheet.write_string(row, col, str(value))


class _WritersByType(dict[type, CellWriter]):
    """A subclass (a str enum, say) gets its base type's writer, found once."""

    def __missing__(self, kind: type) -> CellWriter:
        base = next((base for base in kind.__mro__ if base in self), None)
        if base is None:
            raise TypeError(f"no XLSX writer for a {kind.__name__} cell")
        self[kind] = self[base]
        return self[base]


def excel_serial(value: date) -> float:
    """Days since Excel's epoch, as Excel stores a date (write_datetime does the same, slower).

    A datetime keeps its wall-clock time and drops its offset (Excel has no time zones). The
    epoch 1899-12-30 makes every serial from 1 March 1900 on right (Excel counts a 29 February
    1900 that never was); field visits are all later than that."""
    days = value.toordinal() - _EXCEL_EPOCH_ORDINAL
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return days + (seconds + value.microsecond / 1e6) / 86400
    return days


class XlsxExporter:
    def __init__(self, path: Path, context: ExportContext) -> None:
        self.context = context
        self.needs = Needs(steps=True, pings=True)
        self.book = _Book(path)
        # Summary first so that it is the sheet a reader sees; it is filled in at the end.
        self.summary_sheet = self.book.workbook.add_worksheet("Summary")
        self.visits = _Sheet(self.book, "Visits", VISIT_COLUMNS)
        self.steps = _Sheet(self.book, "Steps", STEP_COLUMNS)
        self.pings = _Sheet(self.book, "Pings", PING_COLUMNS)
        self.followups = _Sheet(self.book, "Follow-ups", FOLLOWUP_COLUMNS)
        self._closed = False

    def add(self, visit: Visit[PreparedVisit]) -> None:
        rows = self.context.rows
        mask = self.context.mask
        facts = visit.item.facts
        self.visits.add(mask.row(rows.visit_row(facts, changed=visit.changed, source=visit.origin)))
        for row in visit.item.step_rows:
            self.steps.add(mask.row(row))
        for row in visit.item.ping_rows:
            self.pings.add(mask.row(row))
        for row in rows.followup_rows(facts):
            self.followups.add(mask.row(row))

    def finish(self, summary: Summary, sources: SourceReport) -> None:
        for sheet in (self.visits, self.steps, self.pings, self.followups):
            sheet.close()
        _SummaryWriter(self.book, self.summary_sheet, self.context).write(summary, sources)
        self.book.workbook.close()
        self._closed = True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.book.workbook.close()


class _SummaryWriter:
    """The Summary sheet: KPI table, then each figure's table with its chart beside it."""

    def __init__(self, book: _Book, sheet: Worksheet, context: ExportContext) -> None:
        self.book = book
        self.sheet = sheet
        self.mask = context.mask
        self.row = 0
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 6, 14)

    def line(self, *values: Any, fmt: str | None = None, style: Any = None) -> int:
        for col, value in enumerate(values):
            if style is not None:
                self.sheet.write(self.row, col, self.mask.cell(value), style)
            else:
                self.book.write(self.sheet, self.row, col, self.mask.cell(value), fmt or "text")
        self.row += 1
        return self.row - 1

    def table(self, title: str, header: list[str], rows: list[list[Any]]) -> tuple[int, int]:
        """Write a titled table; return the first and last data row (first > last when empty)."""
        self.row += 1
        self.line(title, style=self.book.section)
        self.line(*header, style=self.book.header)
        first = self.row
        for values in rows:
            for col, value in enumerate(values):
                if isinstance(value, float):
                    kind = "percent" if header[col].endswith("%") else "number"
                else:
                    kind = "int"
                self.book.write(self.sheet, self.row, col, self.mask.cell(value), kind)
            self.row += 1
        return first, self.row - 1

    def chart(self, kind: str, title: str, first: int, last: int, value_col: int = 1) -> None:
        if last < first:
            return
        chart = self.book.workbook.add_chart({"type": kind})
        chart.add_series(
            {
                "name": title,
                "categories": ["Summary", first, 0, last, 0],
                "values": ["Summary", first, value_col, last, value_col],
            }
        )
        chart.set_title({"name": title})
        chart.set_legend({"none": kind != "pie"})
        self.sheet.insert_chart(first - 2, 8, chart, {"x_scale": 1.1, "y_scale": 1.0})

    def write(self, summary: Summary, sources: SourceReport) -> None:
        totals = summary.totals
        self.line("fieldkit report", style=self.book.title)
        self.line("Report date", summary.generated_on)
        kpis: list[tuple[str, Any, str]] = [
            ("Visits", totals.visits, "int"),
            ("Completed", totals.completed, "int"),
            ("In progress", totals.in_progress, "int"),
            ("Aborted", totals.aborted, "int"),
            ("Passed", totals.passed, "int"),
            ("Failed", totals.failed, "int"),
            ("Turn-ups decided (completed + aborted)", summary.turnups_decided, "int"),
            ("First-time pass", summary.first_time_pass, "int"),
            ("First-time pass rate", summary.first_time_pass_rate, "percent"),
            ("Ping attempts", summary.ping_attempts, "int"),
            ("Repairs completed", summary.repairs.completed_repairs, "int"),
            ("Repairs within grade limit", summary.repairs.within_limit, "int"),
            ("Repairs within limit rate", summary.repairs.within_limit_rate, "percent"),
            ("Mean repair hours", summary.repairs.mean_repair_hours, "number"),
            ("Open follow-ups", summary.followups_open, "int"),
            ("Overdue follow-ups", summary.followups_overdue, "int"),
            ("Records read", sources.files_read, "int"),
            ("Left out or noted (see Notes)", sum(sources.counts.values()), "int"),
        ]
        for label, value, kind in kpis:
            self.line(label, value, fmt=kind)

        first, last = self.table(
            "Ping verdicts",
            ["verdict", "count", "share %"],
            [[v.verdict, v.count, v.share] for v in summary.ping_verdicts],
        )
        self.chart("pie", "Ping verdicts", first, last)
        self.row = max(self.row, first + 14)
        first, last = self.table(
            "Visits per week",
            ["week", "visits"],
            [[week, count] for week, count in summary.visits_per_week.items()],
        )
        self.chart("column", "Visits per week", first, last)
        self.row = max(self.row, first + 14)
        first, last = self.table(
            "Top failing steps",
            ["step", "title", "checklist", "count"],
            [[s.step_id, s.title, s.checklist_id, s.count] for s in summary.top_failing_steps],
        )
        self.chart("bar", "Top failing steps", first, last, value_col=3)
        self.row = max(self.row, first + 14)
        self.table(
            "Visits by checklist",
            ["checklist", "kind", "visits", "completed", "in progress", "aborted",
             "median min", "p90 min"],
            [
                [c.checklist_id, c.kind, c.counts.visits, c.counts.completed,
                 c.counts.in_progress, c.counts.aborted, c.onsite_median_min, c.onsite_p90_min]
                for c in summary.checklists
            ],
        )
        self.table(
            "Fault-process windows",
            ["window", "minutes", "measured", "within", "within %"],
            [[w.label, w.minutes, w.measured, w.within, w.within_rate]
             for w in summary.repairs.windows],
        )
        self.table(
            "Engineers",
            ["engineer", "visits", "completed", "in progress", "aborted", "first-time pass",
             "FTP %", "failed steps", "median min", "repairs within", "repairs measured"],
            [
                [e.engineer, e.counts.visits, e.counts.completed, e.counts.in_progress,
                 e.counts.aborted, e.first_time_pass, e.first_time_pass_rate, e.failed_steps,
                 e.onsite_median_min, e.repairs_within_limit, e.repairs_measured]
                for e in summary.engineers
            ],
        )
        self.table(
            "Most urgent follow-ups",
            ["problem", "owner", "due", "overdue", "customer", "visit"],
            [[f.problem, f.owner, f.due, f.overdue, f.customer, f.visit_id]
             for f in summary.followups_most_urgent],
        )
        self.table(
            "Notes",
            ["kind", "where", "message"],
            [[n.kind.value, n.where, n.message] for n in sources.notes],
        )
