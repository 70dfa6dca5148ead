"""Step titles as the engineer saw them, read from the checklist snapshot inside each record.

A record carries the checklist YAML exactly as run, so a report names a step by the title of
that version even after the checklist was edited. Snapshots are parsed once per distinct
checklist (by sha256): a hundred thousand records of five checklists parse five files.
"""

from __future__ import annotations

from pydantic import ValidationError

from fieldkit.checklist.step_refs import STEP_REFERENCE
from fieldkit.errors import FieldkitError
from fieldkit.lang import Lang
from fieldkit.records.models import ChecklistSnapshot
from fieldkit.text import Text
from fieldkit.yamlsafe import parse_yaml


class StepTitles:
    """step id -> title for each checklist snapshot seen; unknown steps fall back to the id."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._by_snapshot: dict[str, tuple[dict[str, str], frozenset[str]]] = {}

    def for_snapshot(self, snapshot: ChecklistSnapshot) -> dict[str, str]:
        return self._parsed(snapshot)[0]

    def findings_only(self, snapshot: ChecklistSnapshot) -> frozenset[str]:
        """The ids of the steps the checklist marks `decides: false`: their failures are
        findings whatever the kind."""
        return self._parsed(snapshot)[1]

    def _parsed(self, snapshot: ChecklistSnapshot) -> tuple[dict[str, str], frozenset[str]]:
        parsed = self._by_snapshot.get(snapshot.sha256)
        if parsed is None:
            parsed = self._parse(snapshot)
            self._by_snapshot[snapshot.sha256] = parsed
        return parsed

    def title(self, snapshot: ChecklistSnapshot, step_id: str) -> str:
        return self.for_snapshot(snapshot).get(step_id, step_id)

    def _parse(self, snapshot: ChecklistSnapshot) -> tuple[dict[str, str], frozenset[str]]:
        # Plain data rather than the checklist model: a snapshot of an older checklist version
        # must still give its titles even if today's language would reject it.
        try:
            data = parse_yaml(snapshot.source_text, f"{snapshot.id}@{snapshot.version}").data
        except FieldkitError:
            return {}, frozenset()
        steps = data.get("steps") if isinstance(data, dict) else None
        titles: dict[str, str] = {}
        findings: set[str] = set()
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict) or not isinstance(step.get("id"), str):
                continue
            if step.get("decides") is False:
                findings.add(step["id"])
            try:
                titles[step["id"]] = Text.model_validate(step.get("title")).get(self.lang)
            except ValidationError:
                titles[step["id"]] = step["id"]
        numbers = {
            step["id"]: str(number)
            for number, step in enumerate(steps if isinstance(steps, list) else [], start=1)
            if isinstance(step, dict) and isinstance(step.get("id"), str)
        }
        return _with_step_numbers(titles, numbers), frozenset(findings)


def _with_step_numbers(titles: dict[str, str], numbers: dict[str, str]) -> dict[str, str]:
    """Titles with their `{step:id}` references shown as the walk numbered them (as the
    checklist loader does, checklist/step_refs.py); an unknown id stays as written."""
    return {
        step_id: STEP_REFERENCE.sub(lambda match: numbers.get(match[1], match[0]), title)
        for step_id, title in titles.items()
    }
