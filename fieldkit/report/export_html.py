"""HTML: one self-contained page (no network, no external files) that prints on A4.

KPI tiles, charts as inline SVG, and tables with a small inline script for sorting (click a
heading) and filtering (type in the box above). The visit table holds the newest
`HTML_VISIT_ROWS` visits (kept in a bounded heap while reading), so the page stays small and
memory stays flat however many records there are; the CSV and XLSX exports hold every visit.
"""

from __future__ import annotations

import heapq
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from fieldkit.records.sources import SourceReport, Visit
from fieldkit.report.labels import label
from fieldkit.report.pipeline import ExportContext, Needs, PreparedVisit
from fieldkit.report.rows import VISIT_COLUMNS, Cell
from fieldkit.report.summary import Summary
from fieldkit.report.tables import (
    SummaryTable,
    as_text,
    display_value,
    notes_table,
    repairs_within_notes,
    summary_tables,
)

HTML_VISIT_ROWS = 2000
_VISIT_TABLE_COLUMNS = [
    "visit_id", "checklist_id", "engineer", "customer", "status", "outcome", "started_at",
    "onsite_minutes", "failed_steps", "ping_last_verdict", "first_time_pass",
]
# The summary tables shown as tables (ping verdicts and visits per week are charts here).
_TABLES_SHOWN = [
    "by_checklist", "top_failing", "windows", "repair_limits", "order_mix",
    "satisfaction_by_month", "satisfaction_by_engineer", "followups", "followups_closed",
    "engineers"
]
_COLUMN_INDEX = {column.name: index for index, column in enumerate(VISIT_COLUMNS)}

_CSS = """
:root{--ink:#1d2733;--muted:#5b6875;--line:#d5dbe3;--accent:#2f6db5;--bad:#b8412c;--ok:#2e8540}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Microsoft YaHei","PingFang SC",
 "Noto Sans CJK SC",sans-serif;color:var(--ink);margin:24px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;
 border-bottom:2px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px}
.tile{border:1px solid var(--line);border-radius:6px;padding:10px 12px;break-inside:avoid}
.tile .v{font-size:24px;font-weight:600}.tile .k{color:var(--muted);font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px;break-inside:avoid}
figcaption{font-weight:600;margin-bottom:4px}
svg text{font-size:11px;fill:var(--ink)}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin-top:4px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}
th{background:#eef2f7;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.overdue td{color:var(--bad)}
input.filter{margin:4px 0;padding:4px 6px;width:260px;border:1px solid var(--line);
 border-radius:4px}
.note{color:var(--muted);font-size:12px}
@media print{
 @page{size:A4;margin:12mm}
 body{margin:0;max-width:none;font-size:10.5px}
 input.filter{display:none}
 th{cursor:auto}th::after{content:""!important}
 thead{display:table-header-group}
 tr,figure,.tile{break-inside:avoid}
 h2{break-after:avoid}
 .charts{grid-template-columns:1fr 1fr}
}
"""

_SCRIPT = """
(function(){
 function key(cell){var v=cell.getAttribute('data-v');if(v===null)v=cell.textContent;
  var n=parseFloat(v);return(v!==''&&!isNaN(n)&&isFinite(v))?[0,n]:[1,v.toLowerCase()];}
 document.querySelectorAll('table.data').forEach(function(table){
  var body=table.tBodies[0];
  table.querySelectorAll('th').forEach(function(th,col){
   th.addEventListener('click',function(){
    var asc=th.getAttribute('aria-sort')!=='ascending';
    table.querySelectorAll('th').forEach(function(o){o.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort',asc?'ascending':'descending');
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
     var c=x[0]-y[0]||(x[1]<y[1]?-1:x[1]>y[1]?1:0);return asc?c:-c;});
    rows.forEach(function(r){body.appendChild(r);});
   });
  });
  var box=table.previousElementSibling;
  if(box&&box.classList.contains('filter')){
   box.addEventListener('input',function(){
    var q=box.value.toLowerCase();
    Array.prototype.forEach.call(body.rows,function(r){
     r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});
   });
  }
 });
})();
"""


def _row_value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _sortable_td(value: Any, text: str) -> str:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    sort = ""
    if isinstance(value, datetime):
        sort = f' data-v="{escape(value.isoformat())}"'
    elif isinstance(value, bool):
        sort = f' data-v="{int(value)}"'
    elif numeric:  # shown as "25.0%" or rounded, sorted by the number itself
        sort = f' data-v="{value!r}"'
    css = ' class="n"' if numeric else ""
    return f"<td{css}{sort}>{escape(text)}</td>"


class HtmlExporter:
    def __init__(self, path: Path, context: ExportContext) -> None:
        self.path = path
        self.context = context
        self.needs = Needs()
        self.lang = context.lang
        # (start instant, order seen, row): a min-heap that keeps the newest visits.
        self._newest: list[tuple[float, int, list[Cell]]] = []
        self._seen = 0

    def add(self, visit: Visit[PreparedVisit]) -> None:
        self._seen += 1
        facts = visit.item.facts
        started = facts.started_at.timestamp()
        if len(self._newest) >= HTML_VISIT_ROWS and (started, self._seen) <= self._newest[0][:2]:
            return
        row = self.context.rows.visit_row(facts, changed=visit.changed, source=visit.origin)
        row = self.context.mask.row(row)
        entry = (started, self._seen, [row[_COLUMN_INDEX[name]] for name in _VISIT_TABLE_COLUMNS])
        if len(self._newest) < HTML_VISIT_ROWS:
            heapq.heappush(self._newest, entry)
        else:
            heapq.heapreplace(self._newest, entry)

    def close(self) -> None:
        """Nothing is open until finish() writes the page in one go."""

    def finish(self, summary: Summary, sources: SourceReport) -> None:
        self.path.write_text(self.render(summary, sources), encoding="utf-8")

    # -- rendering -------------------------------------------------------------------------

    def html_label(self, key: str) -> str:
        """The label for `key` in the report's language, escaped for HTML."""
        return escape(label(key, self.lang))

    def render(self, summary: Summary, sources: SourceReport) -> str:
        totals = summary.totals
        ok_share = next((v.share for v in summary.ping_verdicts if v.verdict == "ok"), None)
        tiles = [
            (self.html_label("visits"), str(totals.visits)),
            (self.html_label("completed"), str(totals.completed)),
            (self.html_label("in_progress"), str(totals.in_progress)),
            (self.html_label("aborted"), str(totals.aborted)),
            (self.html_label("first_time_pass"), as_text(summary.first_time_pass_rate, "percent")),
            (self.html_label("ping_ok_share"), as_text(ok_share, "percent")),
            (self.html_label("repairs_within") + "".join(
                f'<div class="note">{escape(note)}</div>'
                for note in repairs_within_notes(summary, self.lang)),
             as_text(summary.repairs.within_limit_rate, "percent")),
            (self.html_label("mean_repair_hours"),
             as_text(summary.repairs.mean_repair_hours, "number")),
            (self.html_label("satisfied_share"),
             as_text(summary.satisfaction.satisfied_share, "percent")),
            (self.html_label("dissatisfied_share"),
             as_text(summary.satisfaction.dissatisfied_share, "percent")),
            (self.html_label("open_followups"), str(summary.followups_open)),
            (self.html_label("overdue"), str(summary.followups_overdue)),
            (self.html_label("closed_followups"), str(summary.followups_closed)),
        ]
        tables = summary_tables(summary)
        read_kept = escape(label("records_read_kept", self.lang).format(
            read=sources.files_read, kept=sources.visits_kept))
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{"zh-CN" if self.lang == "zh" else "en"}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            f"<title>{self.html_label('report')}</title><style>{_CSS}</style></head><body>",
            f"<h1>{self.html_label('report')}</h1>",
            f'<p class="meta">{self.html_label("report_date")}: '
            f"{summary.generated_on.isoformat()} · {read_kept}</p>",
            '<section class="tiles">',
            *(f'<div class="tile"><div class="v">{v}</div><div class="k">{k}</div></div>'
              for k, v in tiles),
            "</section>",
            f'<p class="note">{self.html_label("turnup_on_time")}</p>',
            '<section class="charts">',
            self.figure(
                self.html_label("ping_verdicts"),
                horizontal_bars([(str(display_value(v.verdict, "verdict", self.lang)), v.count,
                       as_text(v.share, "percent")) for v in summary.ping_verdicts]),
            ),
            self.figure(
                self.html_label("visits_per_week"),
                columns(list(summary.visits_per_week.items())),
            ),
            self.figure(
                self.html_label("top_failing"),
                horizontal_bars([(f"{s.checklist_id}/{s.step_id}", s.count, str(s.count))
                      for s in summary.top_failing_steps]),
            ),
            "</section>",
            *(self.table(tables[key]) for key in _TABLES_SHOWN),
            self.visit_section(),
            self.table(notes_table(sources)),
            f"<script>{_SCRIPT}</script></body></html>",
        ]
        return "\n".join(parts)

    def figure(self, caption: str, svg: str) -> str:
        return f"<figure><figcaption>{caption}</figcaption>{svg}</figure>"

    def table(self, table: SummaryTable) -> str:
        mask = self.context.mask
        kinds = [column.kind for column in table.columns]
        rows = [
            "".join(_sortable_td(cell, as_text(display_value(cell, kind, self.lang), kind))
                    for cell, kind in zip(map(mask.cell, row), kinds, strict=True))
            for row in table.rows
        ]
        numeric = [kind in ("int", "number", "percent") for kind in kinds]
        return self.section(table.title(self.lang), table.headers(self.lang), rows,
                            marked=table.marked, numeric=numeric)

    def section(
        self,
        title: str,
        header: list[str],
        rows: list[str],
        *,
        marked: list[bool] | None = None,
        numeric: list[bool] | None = None,
        note: str = "",
    ) -> str:
        """A titled, sortable, filterable table of rows already rendered as <td> cells."""
        body = []
        for index, cells in enumerate(rows):
            css = ' class="overdue"' if marked and marked[index] else ""
            body.append(f"<tr{css}>{cells}</tr>")
        if not rows:
            body.append(f'<tr><td colspan="{len(header)}">{self.html_label("none")}</td></tr>')
        right = numeric or [False] * len(header)  # headings of number columns sit right
        th_class = {True: ' class="n"', False: ""}
        head = "".join(f"<th{th_class[r]}>{escape(name)}</th>"
                       for name, r in zip(header, right, strict=True))
        return (
            f"<section><h2>{escape(title)}</h2>{note}"
            f'<input class="filter" type="search" placeholder="{self.html_label("filter")}">'
            f'<table class="data"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></section>"
        )

    def visit_section(self) -> str:
        rows = [row for _, _, row in sorted(self._newest, reverse=True)]
        note = ""
        if self._seen > len(rows):
            text = label("shown_of", self.lang).format(shown=len(rows), total=self._seen)
            note = f'<p class="note">{escape(text)}</p>'
        cells = [
            "".join(_sortable_td(value, _row_value_text(value)) for value in row) for row in rows
        ]
        return self.section(label("visit_list", self.lang), _VISIT_TABLE_COLUMNS, cells,
                            note=note)


# -- inline SVG charts -------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    """Keep the end (the step id), which tells bars apart: "…ction/room_temperature"."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def horizontal_bars(items: list[tuple[str, int, str]], width: int = 420) -> str:
    """Horizontal bars: label, value, the text shown at the bar's end."""
    if not items:
        return "<p class='note'>–</p>"
    bar_h, gap, label_w = 16, 6, 190
    height = len(items) * (bar_h + gap) + gap
    top = max(value for _, value, _ in items) or 1
    shapes = []
    for index, (name, value, shown) in enumerate(items):
        y = gap + index * (bar_h + gap)
        length = (width - label_w - 60) * value / top
        shapes.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">'
            f"{escape(_shorten(name, 28))}</text>"
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_h}" '
            f'fill="#2f6db5"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + 12}">{escape(shown)}</text>'
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="100%" role="img">{"".join(shapes)}</svg>'
    )


def columns(items: list[tuple[str, int]], width: int = 360, height: int = 160) -> str:
    """Vertical bars (one per week), labelled at the first, middle and last bar."""
    if not items:
        return "<p class='note'>–</p>"
    base, left = height - 22, 30
    top = max(value for _, value in items) or 1
    step = (width - left - 4) / len(items)
    shapes = [
        f'<text x="{left - 4}" y="12" text-anchor="end">{top}</text>',
        f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#d5dbe3"/>',
    ]
    marks = {0, len(items) // 2, len(items) - 1}
    for index, (name, value) in enumerate(items):
        bar = (base - 8) * value / top
        x = left + index * step
        shapes.append(
            f'<rect x="{x + 1:.1f}" y="{base - bar:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="#2f6db5"><title>{escape(name)}: {value}</title></rect>'
        )
        if index in marks:
            anchor = "end" if index == len(items) - 1 else "start"
            x_text = x + step if anchor == "end" else x
            shapes.append(
                f'<text x="{x_text:.1f}" y="{height - 6}" text-anchor="{anchor}">'
                f"{escape(name)}</text>"
            )
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="100%" role="img">{"".join(shapes)}</svg>'
    )
