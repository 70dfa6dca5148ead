"""XLSX: sheets Summary (KPIs and native charts), Visits, Steps, Pings, Follow-ups.

XlsxWriter in constant-memory mode: each row goes to disk as soon as the next one starts,
so the workbook's size does not grow memory. Every cell is written with its real type
(numbers, booleans, dates); text is always written as text, never as a formula. Times are
the engineer's local wall-clock time (Excel has no time zones); the ISO value with its
offset is in the CSV and JSON exports. A sheet that reaches Excel's row limit continues in
"Steps (2)" and so on.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from fieldkit.records.sources import SourceReport, Visit
from fieldkit.report.formulas import runs_as_formula
from fieldkit.report.labels import label
from fieldkit.report.pipeline import ExportContext, Needs, PreparedVisit
from fieldkit.report.rows import (
    FOLLOWUP_COLUMNS,
    PING_COLUMNS,
    STEP_COLUMNS,
    VISIT_COLUMNS,
    Cell,
    Column,
)
from fieldkit.report.summary import Summary
from fieldkit.report.tables import SummaryTable, display_value, notes_table, summary_tables

EXCEL_MAX_ROWS = 1_048_576
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()

# Excel's text escapes, as XlsxWriter writes them (xmlwriter._escape_control_characters):
# a control character or a non-character (U+FFFE, U+FFFF) becomes _xHHHH_, so a literal
# _xHHHH_ in the text gets its underscore escaped as _x005F_ to read back as itself.
_NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
EXCEL_MAX_TEXT = 32_767  # UTF-16 code units in one cell
_DIMENSION = re.compile(r'<dimension ref="[A-Z0-9:]+"/>')


class _Sheet:
    """A data sheet: XlsxWriter makes the sheet (widths, header, frozen row, filter), and
    its rows are written here as the sheet's XML, to a temporary file.

    XlsxWriter costs about 6 µs a cell and a report has about 2 million of them, all written
    by the one process that owns the workbook; rendered here, with the few cell types a
    report has, a cell costs well under 1 µs. The rows are put into XlsxWriter's sheet when
    the workbook is assembled (`_StreamedBook.save`)."""

    def __init__(self, book: _StreamedBook, name: str, columns: list[Column]) -> None:
        self.book = book
        self.name = name
        self.columns = columns
        self._letters = [xl_col_to_name(index) for index in range(len(columns))]
        self._number_styles = [book.style_attribute(book.formats.get(c.kind)) for c in columns]
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
        self.rows = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _StreamedBook.save
        self.row = 0
        self.book.parts.append(_SheetPart(sheet, self.rows, self._letters[-1]))

    def add(self, cells: list[Cell]) -> None:
        if self.row + 1 >= EXCEL_MAX_ROWS:
            self._close_part()
            self._open_part()
        self.row += 1
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.name}: {len(cells)} cells for {len(self.columns)} columns")
        number = str(self.row + 1)  # XML rows count from 1, below the header
        xml = [f'<row r="{number}">']
        for letter, style, value in zip(self._letters, self._number_styles, cells, strict=True):
            if value is None or value == "":
                continue  # an empty cell is not written at all
            if type(value) is str or isinstance(value, str):
                quoted = self.book.quote_style if runs_as_formula(value) else ""
                text = _inline_string(value)
                xml.append(f'<c r="{letter}{number}"{quoted} t="inlineStr"><is>{text}</is></c>')
            elif isinstance(value, bool):
                xml.append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)):
                if math.isfinite(value):  # NaN and infinity have no cell: left empty
                    xml.append(f'<c r="{letter}{number}"{style}><v>{value!r}</v></c>')
            elif isinstance(value, datetime):
                xml.append(f'<c r="{letter}{number}"{self.book.datetime_style}>'
                           f"<v>{excel_serial(value)!r}</v></c>")
            elif isinstance(value, date):
                xml.append(f'<c r="{letter}{number}"{self.book.date_style}>'
                           f"<v>{excel_serial(value)}</v></c>")
            else:
                raise TypeError(f"{self.name}: no XLSX cell for a {type(value).__name__}")
        xml.append("</row>")
        self.rows.write("".join(xml).encode())

    def _close_part(self) -> None:
        self.sheet.autofilter(0, 0, max(self.row, 1), len(self.columns) - 1)
        self.book.parts[-1].last_row = self.row

    def close(self) -> None:
        self._close_part()


@dataclass
class _SheetPart:
    """One worksheet of a data sheet ("Steps", "Steps (2)", ...) and the file of its rows."""

    sheet: Worksheet
    rows: IO[bytes]
    last_column: str
    last_row: int = 0

    def sheet_xml(self, made_by_xlsxwriter: str) -> tuple[str, str]:
        """XlsxWriter's sheet XML (header row only) split where the data rows go, with the
        dimension that covers them."""
        head, found, tail = made_by_xlsxwriter.partition("</sheetData>")
        if not found:
            raise RuntimeError(f"{self.sheet.name}: no <sheetData> in the sheet XlsxWriter wrote")
        dimension = f'<dimension ref="A1:{self.last_column}{self.last_row + 1}"/>'
        return _DIMENSION.sub(dimension, head, count=1), found + tail


def _inline_string(value: str) -> str:
    """A string as an inline-string <t>, exactly as XlsxWriter's write_string writes one:
    cut to Excel's 32,767 UTF-16 units, Excel's _xHHHH_ escapes, XML-escaped, leading or
    trailing white space kept. One difference on purpose: XlsxWriter passes a string that
    starts with <r> and ends with </r> through unescaped, as rich-text XML; here it is text."""
    if len(value) > EXCEL_MAX_TEXT // 2:
        value = _excel_length(value)
    if "_x" in value or _NEEDS_ESCAPE.search(value):
        if "_x" in value:
            value = _LITERAL_ESCAPE.sub(r"_x005F\1", value)
        value = _UNWRITABLE.sub(lambda match: f"_x{ord(match.group()):04X}_", value)
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value[0].isspace() or value[-1].isspace():  # what XlsxWriter's ^\s and \s$ match
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


def _excel_length(value: str) -> str:
    """`value` cut to what one Excel cell holds, never inside a character above U+FFFF."""
    if len(value) <= EXCEL_MAX_TEXT // 2:
        return value  # even if every character took two units
    units = 0
    for index, char in enumerate(value):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > EXCEL_MAX_TEXT:
            return value[:index]
    return value


class _StreamedBook:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts: list[_SheetPart] = []
        # Small: the Summary and the data sheets' headers; save() adds the rows.
        self.made_by_xlsxwriter = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self.made_by_xlsxwriter,
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
        # Text that a spreadsheet would run as a formula: shown and kept as text (formulas.py).
        self.quoted = add({"quote_prefix": True})
        self.quote_style = self.style_attribute(self.quoted)
        self.datetime_style = self.style_attribute(self.formats["datetime"])
        self.date_style = self.style_attribute(self.formats["date"])

    @staticmethod
    def style_attribute(cell_format: Format | None) -> str:
        """The s="N" attribute of a cell in this format. XlsxWriter numbers a format when a
        cell first uses it and keeps that number (its own constant-memory rows rely on it)."""
        return "" if cell_format is None else f' s="{cell_format._get_xf_index()}"'

    def save(self) -> None:
        """Close XlsxWriter's workbook, then write the file: its parts as they are, each data
        sheet with its rows put in."""
        self.workbook.close()
        sheets = {f"xl/worksheets/sheet{part.sheet.index + 1}.xml": part for part in self.parts}
        with zipfile.ZipFile(self.made_by_xlsxwriter) as made, zipfile.ZipFile(
            self.path, "w", zipfile.ZIP_DEFLATED
        ) as final:
            for entry in made.infolist():
                part = sheets.get(entry.filename)
                if part is None:
                    final.writestr(entry, made.read(entry))
                    continue
                head, tail = part.sheet_xml(made.read(entry).decode("utf-8"))
                with final.open(entry.filename, "w", force_zip64=True) as sheet:
                    sheet.write(head.encode())
                    part.rows.seek(0)
                    shutil.copyfileobj(part.rows, sheet, 1 << 20)
                    sheet.write(tail.encode())
        self.discard_rows()

    def discard_rows(self) -> None:
        for part in self.parts:
            part.rows.close()

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
            text = str(value)
            _write_text(sheet, row, col, text, self.quoted if runs_as_formula(text) else None)


def _write_text(
    sheet: Worksheet, row: int, col: int, text: str, cell_format: Format | None = None
) -> None:
    """write_string, safe for every text: XlsxWriter writes a string that starts with <r> and
    ends with </r> into the sheet as rich-text XML, unescaped (a customer named so would break
    the workbook); such text goes in as three plain rich-string runs, which are escaped."""
    text = _excel_length(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        runs = [text[:1], text[1:-1], text[-1:]]
        sheet.write_rich_string(row, col, *runs, *([cell_format] if cell_format else []))
    else:
        sheet.write_string(row, col, text, cell_format)


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
        self.book = _StreamedBook(path)
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
        self._closed = True
        self.book.save()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.book.discard_rows()


class _SummaryWriter:
    """The Summary sheet: KPI table, then each figure's table with its chart beside it."""

    def __init__(self, book: _StreamedBook, sheet: Worksheet, context: ExportContext) -> None:
        self.book = book
        self.sheet = sheet
        self.mask = context.mask
        self.lang = context.lang
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

    def table(self, table: SummaryTable) -> tuple[int, int]:
        """Write a titled table; return the first and last data row (first > last when empty)."""
        self.row += 1
        self.line(table.title(self.lang), style=self.book.section)
        self.line(*table.headers(self.lang), style=self.book.header)
        first = self.row
        kinds = [column.kind for column in table.columns]  # names _StreamedBook.formats uses
        for values in table.rows:
            for col, (value, kind) in enumerate(zip(values, kinds, strict=True)):
                self.book.write(self.sheet, self.row, col,
                                self.mask.cell(display_value(value, kind, self.lang)), kind)
            self.row += 1
        return first, self.row - 1

    def chart(self, kind: str, table: SummaryTable, category: str, value: str) -> None:
        """A native chart beside the table just written, over its `category` and `value`
        columns."""
        first, last = self.table(table)
        if last >= first:
            title = table.title(self.lang)
            chart = self.book.workbook.add_chart({"type": kind})
            category_col, value_col = table.index(category), table.index(value)
            chart.add_series(
                {
                    "name": title,
                    "categories": ["Summary", first, category_col, last, category_col],
                    "values": ["Summary", first, value_col, last, value_col],
                }
            )
            chart.set_title({"name": title})
            chart.set_legend({"none": kind != "pie"})
            self.sheet.insert_chart(first - 2, 8, chart, {"x_scale": 1.1, "y_scale": 1.0})
        self.row = max(self.row, first + 14)  # room for the chart before the next table

    def write(self, summary: Summary, sources: SourceReport) -> None:
        totals = summary.totals
        self.line(label("report", self.lang), style=self.book.title)
        self.line(label("report_date", self.lang), summary.generated_on)
        kpis: list[tuple[str, Any, str]] = [
            ("visits", totals.visits, "int"),
            ("completed", totals.completed, "int"),
            ("in_progress", totals.in_progress, "int"),
            ("aborted", totals.aborted, "int"),
            ("passed", totals.passed, "int"),
            ("failed", totals.failed, "int"),
            ("restored", totals.restored, "int"),
            ("not_restored", totals.not_restored, "int"),
            ("kpi_turnups_decided", summary.turnups_decided, "int"),
            ("kpi_first_time_pass", summary.first_time_pass, "int"),
            ("kpi_first_time_pass_rate", summary.first_time_pass_rate, "percent"),
            ("kpi_ping_attempts", summary.ping_attempts, "int"),
            ("kpi_repairs_completed", summary.repairs.completed_repairs, "int"),
            ("kpi_repairs_within", summary.repairs.within_limit, "int"),
            ("kpi_repairs_within_rate", summary.repairs.within_limit_rate, "percent"),
            ("kpi_repairs_assumed", summary.repairs.measured_assumed, "int"),
            ("kpi_repairs_no_limit", summary.repairs.no_limit_known, "int"),
            ("kpi_mean_repair_hours", summary.repairs.mean_repair_hours, "number"),
            ("kpi_rated", summary.satisfaction.rated, "int"),
            ("kpi_satisfied_share", summary.satisfaction.satisfied_share, "percent"),
            ("kpi_dissatisfied_share", summary.satisfaction.dissatisfied_share, "percent"),
            ("open_followups", summary.followups_open, "int"),
            ("kpi_overdue_followups", summary.followups_overdue, "int"),
            ("closed_followups", summary.followups_closed, "int"),
            ("kpi_records_read", sources.files_read, "int"),
            ("kpi_noted", sum(sources.counts.values()), "int"),
        ]
        for key, value, kind in kpis:
            self.line(label(key, self.lang), value, fmt=kind)

        tables = summary_tables(summary)
        self.chart("pie", tables["ping_verdicts"], "verdict", "count")
        self.chart("column", tables["visits_per_week"], "week", "visits")
        self.chart("bar", tables["top_failing"], "step", "count")
        self.chart("column", tables["satisfaction_by_month"], "month", "dissatisfied_share")
        for key in ("by_checklist", "windows", "repair_limits", "order_mix",
                    "satisfaction_by_engineer", "engineers", "followups", "followups_closed"):
            self.table(tables[key])
        self.table(notes_table(sources))
