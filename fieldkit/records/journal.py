"""The answer journal: what changed since visit.json was last written whole.

Rewriting a 500-step record (with its checklist) on every answer writes ~100 MB over a visit and
its cost grows with every step; appending the change is a few hundred bytes and one fsync.

visit.journal holds JSON lines. The first names the visit.json it continues:
    {"journal": 1, "base_sha256": "<sha256 of the visit.json bytes>"}
then one line per save, each with the record's top-level fields that changed and the answers
that changed (by index), plus the new number of answers:
    {"seq": 1, "fields": {...}, "answers_len": 4, "answers": {"3": {...StepAnswer...}}}
A line counts only when it is complete (ends in a newline, parses, carries the next seq): a
process killed while appending leaves at most one torn last line, whose save never returned.
A journal whose base is not the current visit.json is left over from a rewrite that the crash
interrupted just before the journal was deleted; its changes are in visit.json already.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeGuard

from fieldkit.safeio import JsonProblem, parse_json

JOURNAL_FILE = "visit.journal"
_FORMAT = 1
# What a save never changes: a line that does is another visit's, or was edited.
_FIXED_FIELDS = ("visit_id", "schema_version", "checklist")
# An answer's index: ASCII digits only (`"²".isdigit()` is true), and few of them.
_INDEX = re.compile(r"[0-9]{1,9}")


class JournalProblem(ValueError):
    """A complete journal line that contradicts its visit.json; `line` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def header(base_sha256: str) -> bytes:
    return _json_line({"journal": _FORMAT, "base_sha256": base_sha256})


def entry(seq: int, fields: dict[str, Any], answers_len: int, answers: dict[int, Any]) -> bytes:
    return _json_line(
        {
            "seq": seq,
            "fields": fields,
            "answers_len": answers_len,
            "answers": {str(index): answer for index, answer in answers.items()},
        }
    )


def _json_line(content: dict[str, Any]) -> bytes:
    return (
        json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
            "utf-8"
        )
        + b"\n"
    )


def replay(raw: dict[str, Any], journal: bytes, base_sha256: str) -> tuple[dict[str, Any], int]:
    """`raw` (the visit.json content) with the journal's complete entries applied, and their count.

    A journal for another base, or one without a readable header, applies nothing. A line
    that changes the visit's id, schema or checklist raises JournalProblem: fieldkit never
    writes one, so the file was put there or edited.
    """
    lines = journal.split(b"\n")[:-1]  # the part after the last newline is torn or empty
    if not lines or _parse(lines[0]) != {"journal": _FORMAT, "base_sha256": base_sha256}:
        return raw, 0
    record = dict(raw)
    answers = list(record.get("answers") or [])
    applied = 0
    for number, line in enumerate(lines[1:], start=2):
        change = _parse(line)
        if not _is_entry(change, applied + 1, len(answers)):
            break
        for name in _FIXED_FIELDS:
            if name in change["fields"] and change["fields"][name] != raw.get(name):
                raise JournalProblem(
                    f"changes {name} to {change['fields'][name]!r}: this journal line is not "
                    f"this visit's ({raw.get('visit_id')!r})",
                    number,
                )
        record.update(change["fields"])
        answers = answers[: change["answers_len"]]
        answers.extend([None] * (change["answers_len"] - len(answers)))
        for index, answer in change["answers"].items():
            answers[int(index)] = answer
        applied += 1
    if applied:
        record["answers"] = answers
    return record, applied


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        content = parse_json(line)
    except JsonProblem:
        return None
    return content if isinstance(content, dict) else None


def _is_entry(
    change: dict[str, Any] | None, seq: int, answers_before: int
) -> TypeGuard[dict[str, Any]]:
    if change is None or change.get("seq") != seq:
        return False
    fields, length, answers = change.get("fields"), change.get("answers_len"), change.get("answers")
    if not isinstance(fields, dict) or not isinstance(answers, dict):
        return False
    # a new answer is given for every position past the old end, so a larger length is torn
    # or tampered with (and would allocate that many slots)
    if not isinstance(length, int) or not 0 <= length <= answers_before + len(answers):
        return False
    indices = [int(key) for key in answers if _INDEX.fullmatch(key)]
    # every answer past the old end must be given, so the list has no holes
    new_positions = set(range(min(answers_before, length), length))
    return (
        len(indices) == len(answers)
        and all(i < length for i in indices)
        and (new_positions <= set(indices))
    )
