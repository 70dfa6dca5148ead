"""The service levels the centre publishes (`fieldkit server sla publish`): stored per version
with their sha256, pulled by every laptop, and measured against by the server's own KPIs.

The highest published version is current; with none published the built-in data/sla.yaml is.
A repair's limit and windows are derived rows (server/derived.py), so publishing recomputes
them for every stored repair in the same transaction; a visit pushed meanwhile, derived with
the old levels, is refused as "try again" (503) rather than stored with stale rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.server import db
from fieldkit.server.derived import Derived
from fieldkit.server.tables import records, repair_windows, service_levels, visits
from fieldkit.sla import Sla, parse_sla
from fieldkit.versions import version_key

# The visit columns that depend on the service levels (a repair's limit, as derived.py sets).
SLA_COLUMNS = ("repair_hours", "limit_row", "limit_source", "within_limit", "repair_measured")
PAGE = 500


@dataclass(frozen=True)
class Published:
    version: str
    sha256: str


def published(conn: Connection) -> Published | None:
    """The current published service levels: the highest version (None: none published)."""
    rows = [Published(row.version, row.sha256) for row in conn.execute(
        sa.select(service_levels.c.version, service_levels.c.sha256))]  # fmt: skip
    return max(rows, key=lambda item: version_key(item.version), default=None)


def content(conn: Connection, version: str) -> bytes | None:
    row = conn.execute(
        sa.select(service_levels.c.content).where(service_levels.c.version == version)
    ).first()
    return None if row is None else bytes(row.content)


class Current:
    """The service levels in force and the derived-row maker that uses them, read from the
    database per transaction and parsed once per published file."""

    def __init__(self, builtin: Derived) -> None:
        self.builtin = builtin
        self._parsed: dict[str, Derived] = {}

    def derived(self, conn: Connection) -> Derived:
        found = published(conn)
        if found is None:
            return self.builtin
        known = self._parsed.get(found.sha256)
        if known is None:
            text = (content(conn, found.version) or b"").decode("utf-8")
            known = Derived(parse_sla(text, f"published sla.yaml {found.version}"))
            self._parsed = {found.sha256: known}
        return known

    def sla(self, conn: Connection) -> Sla:
        return self.derived(conn).sla


def publish(conn: Connection, sla: Sla, body: bytes) -> bool:
    """Store `body` (already validated as `sla`) under its version and recompute every stored
    repair's limit against it when it becomes current; False when it was there already."""
    assert sla.version is not None
    if conn.dialect.name == "postgresql":
        # No visit is stored while the repairs are recomputed: a push waits, then sees the
        # new levels (ingest.py checks them again before it commits).
        conn.execute(sa.text("LOCK TABLE records IN EXCLUSIVE MODE"))
    new = db.publish_once(conn, service_levels, {"version": sla.version}, body,
                          f"service levels {sla.version}")  # fmt: skip
    current = published(conn)
    if new and current is not None and current.version == sla.version:
        recompute_repairs(conn, Derived(sla))
    return new


def recompute_repairs(conn: Connection, derived: Derived) -> int:
    """Derive again the limit and windows of every stored repair; how many were done. The
    records are read a page at a time: a centre holds hundreds of thousands of repairs."""
    from fieldkit.server.exports import stored_record

    repairs = conn.execute(
        sa.select(visits.c.visit_id).where(visits.c.kind == "repair").order_by(visits.c.visit_id)
    ).scalars().all()
    for start in range(0, len(repairs), PAGE):
        page = conn.execute(
            sa.select(records.c.content, visits.c.team)
            .join(visits, visits.c.visit_id == records.c.visit_id)
            .where(records.c.visit_id.in_(repairs[start:start + PAGE]))
        ).all()  # fmt: skip
        for row in page:
            record = stored_record(dict(row.content))
            rows = derived.rows(record, row.team)
            visit_row: dict[str, Any] = rows[visits][0]
            conn.execute(
                visits.update().where(visits.c.visit_id == record.visit_id).values(
                    **{name: visit_row[name] for name in SLA_COLUMNS})
            )  # fmt: skip
            conn.execute(
                repair_windows.delete().where(repair_windows.c.visit_id == record.visit_id)
            )
            if rows[repair_windows]:
                conn.execute(repair_windows.insert(), rows[repair_windows])
    return len(repairs)
