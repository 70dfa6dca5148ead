"""CSV: one row per visit (`--level visit`), per answer (`--level step`) or per follow-up
item (`--level followup`), streamed; or the satisfaction shares (`--level satisfaction`),
written at the end.

UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; ISO 8601
timestamps with the engineer's offset; true/false for booleans; empty for missing values;
text that a spreadsheet would run as a formula starts with `'` (formulas.py).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from fieldkit.records.sources import SourceReport, Visit
from fieldkit.report.formulas import as_inert_text
from fieldkit.report.pipeline import ExportContext, Needs, PreparedVisit
from fieldkit.report.rows import (
    FOLLOWUP_COLUMNS,
    SATISFACTION_COLUMNS,
    STEP_COLUMNS,
    VISIT_COLUMNS,
    Cell,
    satisfaction_rows,
)
from fieldkit.report.summary import Summary


def csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return as_inert_text(value)  # see formulas.py
    return str(value)


class CsvExporter:
    def __init__(self, path: Path, context: ExportContext) -> None:
        self.context = context
        self.needs = Needs(steps=context.level == "step")
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        columns = {
            "step": STEP_COLUMNS,
            "followup": FOLLOWUP_COLUMNS,
            "satisfaction": SATISFACTION_COLUMNS,
        }.get(context.level, VISIT_COLUMNS)
        self._writer.writerow([column.name for column in columns])

    def add(self, visit: Visit[PreparedVisit]) -> None:
        mask = self.context.mask
        if self.needs.steps:
            self._writer.writerows(
                [csv_text(mask.cell(value)) for value in row] for row in visit.item.step_rows
            )
        elif self.context.level == "satisfaction":
            return  # the figures are written once every visit is counted
        elif self.context.level == "followup":
            self._writer.writerows(
                [csv_text(mask.cell(value)) for value in row]
                for row in self.context.rows.followup_rows(visit.item.facts)
            )
        else:
            row = self.context.rows.visit_row(
                visit.item.facts, changed=visit.changed, source=visit.origin
            )
            self._writer.writerow([csv_text(mask.cell(value)) for value in row])

    def finish(self, summary: Summary, sources: SourceReport) -> None:
        if self.context.level == "satisfaction":
            self._writer.writerows(
                [csv_text(value) for value in row] for row in satisfaction_rows(summary)
            )
        self._file.close()

    def close(self) -> None:
        self._file.close()
