"""JSON: every kept record (as its visit.json content) and the summary, for other tools.

Streamed: records are written as they are read, the summary and the source notes last:
{"format": "fieldkit.report/1",
 "records": [{"source", "changed", "record", "followups": [item, ...]}, ...],
 "summary": {...}, "sources": {...}}.
"""

from __future__ import annotations

import json
from pathlib import Path

from fieldkit.records.sources import SourceReport, Visit
from fieldkit.report.pipeline import ExportContext, Needs, PreparedVisit
from fieldkit.report.summary import Summary

FORMAT = "fieldkit.report/1"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


class JsonExporter:
    def __init__(self, path: Path, context: ExportContext) -> None:
        self.context = context
        self.needs = Needs(content=True)
        self._file = path.open("w", encoding="utf-8")
        self._file.write(f'{{"format": {_dumps(FORMAT)},\n"records": [')
        self._first = True

    def add(self, visit: Visit[PreparedVisit]) -> None:
        entry = {
            "source": visit.origin,
            "changed": visit.changed,
            "record": visit.item.content,
            # Each item with its id and status, closed ones with their closure (the record
            # itself never holds closures).
            "followups": [item.to_json() for item in visit.item.facts.followups],
        }
        self._file.write(("\n" if self._first else ",\n") + _dumps(self.context.mask.deep(entry)))
        self._first = False

    def finish(self, summary: Summary, sources: SourceReport) -> None:
        mask = self.context.mask
        self._file.write("\n],\n")
        self._file.write(f'"summary": {_dumps(mask.deep(summary.to_json()))},\n')
        self._file.write(f'"sources": {_dumps(mask.deep(sources.to_json()))}\n}}\n')
        self._file.close()

    def close(self) -> None:
        self._file.close()
