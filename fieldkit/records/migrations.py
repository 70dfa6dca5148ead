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

# version n -> the function that turns a version-n record into a version-(n+1) record
UPGRADES: dict[int, Callable[[RawRecord], RawRecord]] = {}


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
