"""`report summary` on the terminal: the headline figures, then every summary table.

The tables are the ones HTML and XLSX show (fieldkit.report.tables), laid out by
fieldkit.ui.tables: they fit 80 columns, and piped they are tab-separated sections.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from fieldkit.lang import Lang
from fieldkit.report.labels import label
from fieldkit.report.summary import Summary
from fieldkit.report.tables import (
    SummaryTable,
    as_text,
    display_value,
    repairs_within_notes,
    satisfaction_text,
    summary_tables,
)
from fieldkit.ui.tables import Column, FitTable, print_tables

_NUMERIC = ("int", "number", "percent")
# Columns left out first when a table is too wide (the rest stay, or the rows are stacked).
_OPTIONAL = frozenset({"in_progress", "aborted", "p90_min", "measured", "turnups_decided",
                       "failed_steps", "repairs_measured", "engineer", "visit", "kind",
                       "item", "closed_by", "due", "customer"})
_ORDER = ("totals", "by_checklist", "ping_verdicts", "top_failing", "windows", "repair_limits",
          "order_mix", "satisfaction_by_month", "satisfaction_by_engineer", "followups",
          "followups_closed", "engineers")


def fit_table(figures: SummaryTable, lang: Lang) -> FitTable:
    """A summary table for the terminal; ping verdicts by their names (`连接正常`, not `ok`)."""
    columns = [
        Column(column.key, header, keep=index == 0 or column.key not in _OPTIONAL,
               wrap=column.kind == "text" and column.key not in ("visit", "item"),
               justify="right" if column.kind in _NUMERIC else "left")
        for index, (column, header) in enumerate(
            zip(figures.columns, figures.headers(lang), strict=True))
    ]
    table = FitTable(columns, title=figures.title(lang), lang=lang, key=figures.key)
    for index, row in enumerate(figures.rows):
        typed = list(zip(row, figures.columns, strict=True))
        cells = [as_text(display_value(value, column.kind, lang), column.kind)
                 for value, column in typed]
        piped = [as_text(value, column.kind) for value, column in typed]
        marked = figures.marked is not None and figures.marked[index]
        # Text, not markup: a customer's "[...]" is shown as typed.
        table.add_row(*(Text(cell) for cell in cells), style="red" if marked else "",
                      piped=piped)
    return table


def _totals(summary: Summary, lang: Lang) -> FitTable:
    """The headline figures, one per row (a figure and its name never part)."""
    totals = summary.totals
    ok_share = next((v.share for v in summary.ping_verdicts if v.verdict == "ok"), None)
    figures = [
        ("visits", str(totals.visits)),
        ("completed", str(totals.completed)),
        ("in_progress", str(totals.in_progress)),
        ("aborted", str(totals.aborted)),
        ("first_time_pass", f"{as_text(summary.first_time_pass_rate, 'percent')} "
                            f"({summary.first_time_pass}/{summary.turnups_decided})"),
        ("ping_ok_share", as_text(ok_share, "percent")),
        ("repairs_within", f"{as_text(summary.repairs.within_limit_rate, 'percent')} "
                           f"({summary.repairs.within_limit}/{summary.repairs.measured})"),
        *(("", note) for note in repairs_within_notes(summary, lang)),
        ("mean_repair_hours", as_text(summary.repairs.mean_repair_hours, "number")),
        ("satisfaction", satisfaction_text(summary, lang)),
        ("open_followups", label("open_followups_value", lang).format(
            open=summary.followups_open, overdue=summary.followups_overdue,
            closed=summary.followups_closed)),
        ("sla_version", summary.sla_version or "-"),
    ]
    heading = f"{label('report', lang)}  {summary.generated_on.isoformat()}"
    table = FitTable([Column("figure", "", keep=True, wrap=True),
                      Column("value", "", keep=True)], title=heading, lang=lang,
                      show_header=False, key="totals")
    for key, value in figures:
        name = label(key, lang) if key else ""
        table.add_row(Text(name), Text(value, style="bold" if key else "yellow"),
                      piped=[key or "note", value])
    return table


def summary_screen(summary: Summary, lang: Lang) -> list[FitTable]:
    """The headline figures and every summary table, in the order they are shown."""
    tables = summary_tables(summary)
    return [_totals(summary, lang),
            *(fit_table(tables[key], lang) for key in _ORDER[1:])]


def print_summary(summary: Summary, lang: Lang, console: Console,
                  piped: bool | None = None) -> None:
    print_tables(summary_screen(summary, lang), console, piped=piped)
    if piped is False or (piped is None and console.is_terminal):
        console.print(Text(label("turnup_on_time", lang), style="dim"))
