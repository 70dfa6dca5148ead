"""The summary tables every report shows, each defined once: the terminal dashboard, the HTML
page and the XLSX Summary sheet all render these.

A table holds typed values (numbers stay numbers, so XLSX writes them as numbers); each column
says how its values read (`kind`), and titles and headings come from fieldkit.report.labels in
the report's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, cast

from fieldkit.lang import Lang
from fieldkit.records.sources import SourceReport
from fieldkit.report.labels import column_label, label
from fieldkit.report.rows import Cell
from fieldkit.report.summary import Summary

# "verdict": a ping verdict code (ok), shown to people by its name (连接正常; `shown`).
ColumnKind = Literal["text", "int", "number", "percent", "date", "datetime", "bool", "verdict"]


@dataclass(frozen=True)
class TableColumn:
    key: str  # a key of labels.COLUMN_LABELS
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class SummaryTable:
    key: str  # a key of labels.LABELS: the table's title
    columns: list[TableColumn]
    rows: list[list[Cell]]
    marked: list[bool] | None = None  # rows to stand out (overdue follow-ups)

    def title(self, lang: Lang) -> str:
        return label(self.key, lang)

    def headers(self, lang: Lang) -> list[str]:
        return [column_label(column.key, lang) for column in self.columns]

    def index(self, column_key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == column_key)


def _columns(*specs: str) -> list[TableColumn]:
    """"visits:int" -> TableColumn("visits", "int"); no kind means text."""
    columns = []
    for spec in specs:
        key, _, kind = spec.partition(":")
        columns.append(TableColumn(key, cast(ColumnKind, kind or "text")))
    return columns


def summary_tables(summary: Summary) -> dict[str, SummaryTable]:
    """Every table of the summary, by key, in the order a report shows them."""
    tables = [
        SummaryTable(
            "ping_verdicts",
            _columns("verdict:verdict", "count:int", "share:percent"),
            [[v.verdict, v.count, v.share] for v in summary.ping_verdicts],
        ),
        SummaryTable(
            "visits_per_week",
            _columns("week", "visits:int"),
            [[week, count] for week, count in summary.visits_per_week.items()],
        ),
        SummaryTable(
            "top_failing",
            _columns("checklist", "step", "title", "count:int"),
            [[s.checklist_id, s.step_id, s.title, s.count] for s in summary.top_failing_steps],
        ),
        SummaryTable(
            "by_checklist",
            _columns("checklist", "kind", "visits:int", "completed:int", "in_progress:int",
                     "aborted:int", "median_min:number", "p90_min:number"),
            [[c.checklist_id, c.kind, c.counts.visits, c.counts.completed, c.counts.in_progress,
              c.counts.aborted, c.onsite_median_min, c.onsite_p90_min]
             for c in summary.checklists],
        ),
        SummaryTable(
            "windows",
            _columns("window", "minutes:int", "measured:int", "within:int",
                     "within_rate:percent"),
            [[w.label, w.minutes, w.measured, w.within, w.within_rate]
             for w in summary.repairs.windows],
        ),
        SummaryTable(
            "repair_limits",
            _columns("applies_to", "limit", "limit_source", "repairs:int", "within:int",
                     "within_rate:percent"),
            [[r.applies_to, r.limit, r.source, r.repairs, r.within, r.within_rate]
             for r in summary.repairs.by_limit],
        ),
        SummaryTable(
            "order_mix",
            _columns("order_type", "visits:int", "share:percent", "reference_share:percent"),
            [[o.label, o.visits, o.share, o.reference_share] for o in summary.order_mix],
        ),
        *(
            SummaryTable(
                key,
                _columns(first_column, "rated:int", "satisfied:int", "mostly_satisfied:int",
                         "dissatisfied:int", "satisfied_share:percent",
                         "dissatisfied_share:percent"),
                [[f.group, f.rated, f.satisfied, f.mostly_satisfied, f.dissatisfied,
                  f.satisfied_share, f.dissatisfied_share] for f in groups],
            )
            for key, first_column, groups in (
                ("satisfaction_by_month", "month", summary.satisfaction_by_month),
                ("satisfaction_by_engineer", "engineer", summary.satisfaction_by_engineer),
            )
        ),
        SummaryTable(
            "followups",
            _columns("due:date", "overdue:bool", "owner", "problem", "customer", "engineer",
                     "item"),
            [[f.due, f.overdue, f.owner, f.problem, f.customer, f.engineer, f.item_id]
             for f in summary.followups_most_urgent],
            marked=[f.overdue for f in summary.followups_most_urgent],
        ),
        SummaryTable(
            "followups_closed",
            _columns("closed_at:datetime", "closing_note", "closed_by", "due:date", "owner",
                     "problem", "customer", "item"),
            [[f.closed_at, f.closing_note, f.closed_by, f.due, f.owner, f.problem, f.customer,
              f.item_id] for f in summary.followups_recently_closed],
        ),
        SummaryTable(
            "engineers",
            _columns("engineer", "visits:int", "completed:int", "in_progress:int", "aborted:int",
                     "turnups_decided:int", "first_time_pass:int",
                     "first_time_pass_rate:percent", "failed_steps:int", "median_min:number",
                     "repairs_measured:int", "repairs_within:int", "repairs_assumed:int"),
            [[e.engineer, e.counts.visits, e.counts.completed, e.counts.in_progress,
              e.counts.aborted, e.turnups_decided, e.first_time_pass, e.first_time_pass_rate,
              e.failed_steps, e.onsite_median_min, e.repairs_measured, e.repairs_within_limit,
              e.repairs_measured_assumed]
             for e in summary.engineers],
        ),
    ]
    return {table.key: table for table in tables}


def repairs_within_notes(summary: Summary, lang: Lang) -> list[str]:
    """What goes next to "repairs within the limit": how many were measured against assumed
    limits, and how many had no limit known (the figure never stands without them)."""
    repairs = summary.repairs
    notes = []
    if repairs.measured_assumed:
        notes.append(label("against_assumed", lang).format(n=repairs.measured_assumed))
    if repairs.no_limit_known:
        notes.append(f"{label('no_limit_known', lang)}: {repairs.no_limit_known}")
    return notes


def satisfaction_text(summary: Summary, lang: Lang) -> str:
    """`satisfied 90.0% · dissatisfied 10.0% (10 rated)`."""
    figures = summary.satisfaction
    return label("satisfaction_value", lang).format(
        satisfied=as_text(figures.satisfied_share, "percent"),
        dissatisfied=as_text(figures.dissatisfied_share, "percent"),
        rated=figures.rated,
    )


def notes_table(sources: SourceReport) -> SummaryTable:
    """What reading the sources noted: duplicates, changed records, unreadable files."""
    return SummaryTable(
        "notes",
        _columns("note_kind", "where", "message"),
        [[n.kind.value, n.where, n.message] for n in sources.notes],
    )


def display_value(value: Cell, kind: ColumnKind, lang: Lang) -> Cell:
    """A value as a person reads it in `lang`: a ping verdict by its name, not its code."""
    if kind == "verdict" and isinstance(value, str):
        from fieldkit.ping.catalogue import load_catalogue

        return load_catalogue().verdict_name(value, lang)
    return value


def as_text(value: Cell, kind: ColumnKind) -> str:
    """A value as text for a person (terminal, HTML): percent with one decimal, "–" if none."""
    if value is None:
        return "–"
    if kind == "percent" and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
