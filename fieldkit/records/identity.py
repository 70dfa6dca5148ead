"""How a visit record is named and sealed: its id, and the digest of its content.

Plain functions on strings and JSON data, below the models (fieldkit/records/models.py) so
that the store, the loader, bundles and closures name and check records without them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timezone
from typing import Any

# Crockford base32: no I, L, O, U, so an id read aloud or copied from paper is unambiguous.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VISIT_ID_RANDOM_CHARS = 10  # 50 random bits: two laptops colliding in one second is negligible
VISIT_ID_PATTERN = r"^\d{8}T\d{6}Z-[0-9A-HJKMNP-TV-Z]{10}$"
_VISIT_ID_RE = re.compile(VISIT_ID_PATTERN)


def new_visit_id(now: datetime | None = None) -> str:
    """`20240512T083012Z-K3M9Q2XAB7`: UTC start second (sorts by time), then random Crockford."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(_VISIT_ID_RANDOM_CHARS))
    return f"{moment:%Y%m%dT%H%M%S}Z-{suffix}"


def is_visit_id(text: str) -> bool:
    return bool(_VISIT_ID_RE.match(text))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(content: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8, no NaN: the same content always gives the same bytes."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


# The version of the record format this fieldkit writes (records.migrations upgrades older ones).
SCHEMA_VERSION = 2


def stored_path_problem(path: str) -> bool:
    """True when an attachment's `stored_path` is not a relative path inside the visit folder
    with '/' (an absolute path, a drive, '..', a backslash): never opened, never stored."""
    parts = path.split("/")
    return path.startswith("/") or "\\" in path or ":" in path or ".." in parts or "" in parts


# Fields added to schema 1 after records were written: left out of the digest while null, so
# that a record written before them still matches its digest.
ADDED_LATER = ("lang",)


def content_digest(content: dict[str, Any]) -> str:
    """sha256 of a record's JSON content, every field except `digest` itself (and a later
    field that is null)."""
    kept = {
        key: value
        for key, value in content.items()
        if key != "digest" and not (key in ADDED_LATER and value is None)
    }
    return sha256_hex(canonical_json(kept))
