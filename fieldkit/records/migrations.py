"""Upgrading records written by an older fieldkit to the current schema version.

Each step upgrades the raw JSON of one version to the next one: to add version 2, write
`_v1_to_v2(raw) -> raw`, register it as `UPGRADES[1]`, bump models.SCHEMA_VERSION, and keep a
fixture of each version in tests/fixtures/records/. Steps work on plain dicts, never on models,
so an old step never has to change when the models do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fieldkit.records.models import SCHEMA_VERSION

RawRecord = dict[str, Any]


# Step types that always have a pass/fail; a record step has one only with `expect`, which
# shows in its answer as a `passed` that is not null.
_FAILABLE_TYPES = ("instruction", "check", "tools", "ping")


def _v1_to_v2(raw: RawRecord) -> RawRecord:
    """Version 1 said `passed`/`failed` for every kind and counted every failed step as a
    failure. Version 2 judges by kind (fieldkit/walk/outcome.py), with the rules a version-1
    checklist gets (no step of it says `decides`): a repair is restored when its last step that
    can fail passed; an inspection or a customer visit is completed, its failures findings."""
    raw["findings"] = []
    checklist = raw.get("checklist")
    answers = raw.get("answers")
    if raw.get("outcome") not in ("passed", "failed") or not isinstance(checklist, dict):
        return raw
    if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
        return raw
    failed = [answer.get("step_id") for answer in answers if answer.get("passed") is False]
    kind = checklist.get("kind")
    if kind in ("inspection", "visit"):
        ended_by = [step_id for step_id in failed if _ended_the_visit(step_id, answers)]
        raw.update(
            outcome="not_completed" if ended_by else "completed",
            failed_steps=ended_by,
            findings=[step_id for step_id in failed if step_id not in ended_by],
        )
    elif kind == "repair":
        failable = [
            answer
            for answer in answers
            if answer.get("step_type") in _FAILABLE_TYPES or answer.get("passed") is not None
        ]
        deciding = failable[-1] if failable else {}
        deciding_id = deciding.get("step_id")
        raw.update(
            outcome="restored" if not deciding or deciding.get("passed") is True
            else "not_restored",
            failed_steps=[deciding_id] if deciding.get("passed") is False else [],
            findings=[step_id for step_id in failed if step_id != deciding_id],
        )
    return raw


def _ended_the_visit(step_id: Any, answers: list[dict[str, Any]]) -> bool:
    """Whether the walk skipped a later step because this failed check ended the visit (the
    only trace a version-1 record keeps of it, in either language it was walked in)."""
    reasons = {
        f"the failed check {step_id} ends the visit",
        f"检查 {step_id} 未通过，不能继续，走访结束",
    }
    return any(answer.get("skip_reason") in reasons for answer in answers)


# version n -> the function that turns a version-n record into a version-(n+1) record
UPGRADES: dict[int, Callable[[RawRecord], RawRecord]] = {1: _v1_to_v2}


class UnsupportedVersion(ValueError):
    """The record's schema_version is missing, not a number, or newer than this fieldkit."""


def record_version(raw: RawRecord) -> int:
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise UnsupportedVersion(f"schema_version must be a whole number, not {version!r}")
    return version


def migrate(raw: RawRecord) -> RawRecord:
    """The record upgraded to SCHEMA_VERSION; a current record is returned unchanged."""
    version = record_version(raw)
    if version > SCHEMA_VERSION:
        raise UnsupportedVersion(
            f"schema_version {version} is newer than this fieldkit reads ({SCHEMA_VERSION}); "
            "upgrade fieldkit"
        )
    while version < SCHEMA_VERSION:
        upgrade = UPGRADES.get(version)
        if upgrade is None:
            raise UnsupportedVersion(f"no upgrade from schema_version {version}")
        raw = upgrade(dict(raw))
        version += 1
        raw["schema_version"] = version
    return raw


# Choice ids whose meaning changed in a later version of a built-in checklist: (checklist id,
# version, step id) -> {id as that version wrote it: the id with that meaning today}. A record
# keeps what it wrote (its own checklist copy labels it correctly, so it is never rewritten);
# readers that count answers by id, like the reports, read it through `current_choice`.
RENAMED_CHOICES: dict[tuple[str, str, str], dict[str, str]] = {
    # customer-visit 1.0 stored 满意 as very_satisfied and 基本满意 as satisfied.
    ("customer-visit", "1.0", "satisfaction"): {
        "very_satisfied": "satisfied",
        "satisfied": "mostly_satisfied",
    },
}


def current_choice(checklist_id: str, version: str, step_id: str, value: str) -> str:
    """The id that means today what `value` meant in that checklist version."""
    return RENAMED_CHOICES.get((checklist_id, version, step_id), {}).get(value, value)
