"""Every statement the API and the commands run on the store but the reports' (server/reports.py
for the KPIs, server/listings.py for what is listed or exported): users, visits, attachments,
published checklists and follow-up closures. Each visit is written in one transaction: a visit
is either there with all its rows, or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fieldkit.records.models import VisitRecord
from fieldkit.server.derived import Derived
from fieldkit.server.tables import (
    attachments,
    blobs,
    checklists,
    closures,
    followups,
    records,
    users,
    visits,
)

ROLES = ("engineer", "supervisor", "admin")


def make_engine(url: str) -> Engine:
    """One engine per app. SQLite waits for a writer instead of failing at once, and keeps
    foreign keys; PostgreSQL checks a pooled connection before use (a restarted database)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def now() -> datetime:
    return datetime.now(timezone.utc)


def token_hash(token: str) -> str:
    """Tokens are 256 random bits, so one sha256 is enough (nothing to guess by brute force)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Users


@dataclass(frozen=True)
class User:
    name: str
    role: str
    team: str | None
    disabled: bool


def _user(row: Any) -> User:
    return User(row.name, row.role, row.team, bool(row.disabled))


def add_user(conn: Connection, name: str, role: str, team: str | None, token: str) -> None:
    conn.execute(
        users.insert().values(
            name=name, role=role, team=team, token_hash=token_hash(token), disabled=False,
            created_at=now(),
        )
    )  # fmt: skip


def user_exists(conn: Connection, name: str) -> bool:
    return conn.execute(sa.select(users.c.id).where(users.c.name == name)).first() is not None


def list_users(conn: Connection) -> list[User]:
    return [_user(row) for row in conn.execute(sa.select(users).order_by(users.c.name))]


def disable_user(conn: Connection, name: str) -> bool:
    result = conn.execute(users.update().where(users.c.name == name).values(disabled=True))
    return bool(result.rowcount)


def replace_token(conn: Connection, name: str, token: str) -> bool:
    """A new token for `name` (the old one stops working), enabled again."""
    result = conn.execute(
        users.update()
        .where(users.c.name == name)
        .values(token_hash=token_hash(token), disabled=False)
    )
    return bool(result.rowcount)


def user_for_token(conn: Connection, token: str) -> User | None:
    row = conn.execute(sa.select(users).where(users.c.token_hash == token_hash(token))).first()
    return None if row is None else _user(row)


# ---------------------------------------------------------------------------------------------
# Visits


def stored_digests(conn: Connection, visit_ids: set[str]) -> dict[str, str]:
    """The digest the centre holds for each of these visits it holds."""
    if not visit_ids:
        return {}
    query = sa.select(records.c.visit_id, records.c.digest).where(
        records.c.visit_id.in_(visit_ids)
    )
    return {row.visit_id: row.digest for row in conn.execute(query)}


def missing_blobs(conn: Connection, digests: set[str]) -> set[str]:
    if not digests:
        return set()
    found = conn.execute(sa.select(blobs.c.sha256).where(blobs.c.sha256.in_(digests)))
    return digests - {row.sha256 for row in found}


def insert_blob(conn: Connection, digest: str, content: bytes) -> None:
    if not missing_blobs(conn, {digest}):
        return
    conn.execute(blobs.insert().values(sha256=digest, size=len(content), content=content))


def blob_for_visit(conn: Connection, visit_id: str, stored_path: str) -> bytes | None:
    row = conn.execute(
        sa.select(blobs.c.content)
        .join(attachments, attachments.c.sha256 == blobs.c.sha256)
        .where(attachments.c.visit_id == visit_id, attachments.c.stored_path == stored_path)
    ).first()
    return None if row is None else bytes(row.content)


def insert_visits(
    conn: Connection,
    pushed: list[tuple[VisitRecord, dict[str, Any]]],
    derived: Derived,
    *,
    pushed_by: str,
    team: str | None,
) -> None:
    """Records (as parsed, with their content as written) and their derived rows, one
    statement per table for all of them; the caller's transaction makes it all or nothing."""
    if not pushed:
        return
    received_at = now()
    conn.execute(
        records.insert(),
        [
            {"visit_id": record.visit_id, "digest": record.digest, "content": content,
             "pushed_by": pushed_by, "received_at": received_at}
            for record, content in pushed
        ],
    )  # fmt: skip
    rows: dict[sa.Table, list[dict[str, Any]]] = {}
    for record, _ in pushed:
        for table, table_rows in derived.rows(record, team).items():
            rows.setdefault(table, []).extend(table_rows)
    for table, table_rows in rows.items():
        if table_rows:
            conn.execute(table.insert(), table_rows)


@dataclass(frozen=True)
class VisitScope:
    """Which visits a user may read: all (admin), a team's (supervisor) or their own."""

    engineer: str | None = None
    team: str | None = None
    nothing: bool = False

    @classmethod
    def of(cls, user: User) -> VisitScope:
        if user.role == "admin":
            return cls()
        if user.role == "supervisor":
            # A supervisor without a team reads no one's visits but their own.
            return cls(team=user.team) if user.team else cls(engineer=user.name)
        return cls(engineer=user.name)

    def where(self) -> sa.ColumnElement[bool]:
        if self.engineer is not None:
            return visits.c.engineer == self.engineer
        if self.team is not None:
            return visits.c.team == self.team
        return sa.true()


def visit_content(conn: Connection, visit_id: str, scope: VisitScope) -> dict[str, Any] | None:
    row = conn.execute(
        sa.select(records.c.content)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(records.c.visit_id == visit_id, scope.where())
    ).first()
    return None if row is None else dict(row.content)


def visit_digests(conn: Connection, scope: VisitScope) -> Iterator[tuple[str, str]]:
    query = (
        sa.select(records.c.visit_id, records.c.digest)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(scope.where())
        .order_by(records.c.visit_id)
    )
    for row in conn.execute(query):
        yield row.visit_id, row.digest


# ---------------------------------------------------------------------------------------------
# Published checklists


@dataclass(frozen=True)
class PublishedChecklist:
    checklist_id: str
    version: str
    sha256: str
    file_name: str


def publish_checklist(
    conn: Connection, checklist_id: str, version: str, file_name: str, content: bytes
) -> bool:
    """Store a checklist version; False when that version was already published unchanged."""
    return publish_once(
        conn, checklists, {"checklist_id": checklist_id, "version": version}, content,
        f"{checklist_id} {version}", file_name=file_name,
    )  # fmt: skip


def publish_once(
    conn: Connection, table: sa.Table, key: dict[str, str], content: bytes, what: str,
    **extra: str,
) -> bool:  # fmt: skip
    """Store a published file under `key` (its id and version); False when it was already
    there unchanged. Other content under a published key is refused: laptops that pulled it
    would never see the change."""
    digest = hashlib.sha256(content).hexdigest()
    row = conn.execute(
        sa.select(table.c.sha256).where(*(table.c[name] == value for name, value in key.items()))
    ).first()
    if row is not None:
        if row.sha256 != digest:
            raise ValueError(f"{what} is already published with other content; raise its version")
        return False
    conn.execute(
        table.insert().values(**key, **extra, sha256=digest, content=content, published_at=now())
    )
    return True


def published_checklists(conn: Connection) -> list[PublishedChecklist]:
    query = sa.select(
        checklists.c.checklist_id, checklists.c.version, checklists.c.sha256, checklists.c.file_name
    ).order_by(checklists.c.checklist_id, checklists.c.version)
    return [PublishedChecklist(*row) for row in conn.execute(query)]


def checklist_content(conn: Connection, checklist_id: str, version: str) -> bytes | None:
    row = conn.execute(
        sa.select(checklists.c.content).where(
            checklists.c.checklist_id == checklist_id, checklists.c.version == version
        )
    ).first()
    return None if row is None else bytes(row.content)


# ---------------------------------------------------------------------------------------------
# Follow-up closures


def followup_problem(conn: Connection, item: str, scope: VisitScope) -> str | None:
    """The problem text of follow-up `item`, if this scope may read its visit."""
    row = conn.execute(
        sa.select(followups.c.problem)
        .join(visits, visits.c.visit_id == followups.c.visit_id)
        .where(followups.c.item_id == item, scope.where())
    ).first()
    return None if row is None else str(row.problem)


def closure_digest(conn: Connection, item: str) -> str | None:
    row = conn.execute(sa.select(closures.c.digest).where(closures.c.item_id == item)).first()
    return None if row is None else str(row.digest)


def insert_closure(
    conn: Connection, item: str, digest: str, content: dict[str, Any], closed_at: datetime,
    pushed_by: str,
) -> None:  # fmt: skip
    conn.execute(
        closures.insert().values(
            item_id=item, digest=digest, content=content, closed_at=closed_at, pushed_by=pushed_by
        )
    )
