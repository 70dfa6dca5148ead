"""The server's tables (SQLAlchemy Core) and every statement the API and the commands run.

Records are kept whole (`records.content`: JSONB on PostgreSQL, JSON text on SQLite), beside
derived tables (visits, steps, pings, followups) computed at ingest by the same code the file
reports use (`report.facts.visit_facts`), so the two paths cannot drift. Each visit is written
in one transaction: a visit is either there with all its rows, or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from fieldkit.followups.items import followup_items
from fieldkit.records.models import VisitRecord
from fieldkit.report.facts import iso_week, visit_facts
from fieldkit.report.titles import StepTitles
from fieldkit.sla import Sla

ROLES = ("engineer", "supervisor", "admin")
JsonColumn = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("team", sa.String(200)),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("visit_id", sa.String(40), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("content", JsonColumn, nullable=False),
    sa.Column("pushed_by", sa.String(200), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("visit_id", sa.String(40), sa.ForeignKey("records.visit_id"), primary_key=True),
    sa.Column("engineer", sa.String(200), nullable=False),
    sa.Column("engineer_key", sa.String(200), nullable=False),  # casefolded, for --engineer
    sa.Column("team", sa.String(200)),  # the pushing engineer's team when it was received
    sa.Column("customer", sa.Text, nullable=False),
    sa.Column("customer_key", sa.Text, nullable=False),  # casefolded, for --customer
    sa.Column("checklist_id", sa.String(200), nullable=False),
    sa.Column("checklist_version", sa.String(50), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20)),
    sa.Column("grade", sa.String(20)),
    sa.Column("order_type", sa.String(20)),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),  # the instant, UTC
    sa.Column("started_day", sa.String(10), nullable=False),  # the engineer's local date
    sa.Column("started_week", sa.String(8), nullable=False),  # ISO week, engineer's local time
    sa.Column("started_month", sa.String(7), nullable=False),
    sa.Column("onsite_minutes", sa.Float),
    sa.Column("first_time_pass", sa.Boolean),
    sa.Column("satisfaction", sa.String(20)),
    sa.Column("visit_mode", sa.String(20)),
    sa.Column("repair_hours", sa.Float),
    sa.Column("limit_row", sa.Integer),
    sa.Column("limit_source", sa.String(20)),
    sa.Column("within_limit", sa.Boolean),
    sa.Column("repair_measured", sa.Boolean),  # a completed repair (the summary's repairs)
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("title_zh", sa.Text, nullable=False),
    sa.Index("ix_visits_started_day", "started_day"),
    sa.Index("ix_visits_engineer_key", "engineer_key"),
    sa.Index("ix_visits_team", "team"),
    sa.Index("ix_visits_checklist", "checklist_id"),
    sa.Index("ix_visits_kind_status", "kind", "status"),
    sa.Index("ix_visits_customer_key", "customer_key"),
)

steps = sa.Table(
    "steps",
    metadata,
    sa.Column("visit_id", sa.String(40), sa.ForeignKey("records.visit_id"), primary_key=True),
    sa.Column("step_id", sa.String(200), primary_key=True),
    sa.Column("step_type", sa.String(40), nullable=False),
    sa.Column("passed", sa.Boolean),
    sa.Column("skipped", sa.Boolean, nullable=False),
    sa.Column("failure", sa.Boolean, nullable=False),  # counts as a failure for the visit's kind
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("title_zh", sa.Text, nullable=False),
    sa.Index("ix_steps_failure", "failure", "step_id"),
)

pings = sa.Table(
    "pings",
    metadata,
    sa.Column("visit_id", sa.String(40), sa.ForeignKey("records.visit_id"), primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),  # in the visit, from 1
    sa.Column("step_id", sa.String(200), nullable=False),
    sa.Column("verdict", sa.String(40), nullable=False),
    sa.Index("ix_pings_verdict", "verdict"),
)

repair_windows = sa.Table(
    "repair_windows",
    metadata,
    sa.Column("visit_id", sa.String(40), sa.ForeignKey("records.visit_id"), primary_key=True),
    sa.Column("window_id", sa.String(100), primary_key=True),
    sa.Column("within", sa.Boolean, nullable=False),
)

followups = sa.Table(
    "followups",
    metadata,
    sa.Column("item_id", sa.String(400), primary_key=True),
    sa.Column("visit_id", sa.String(40), sa.ForeignKey("records.visit_id"), nullable=False),
    sa.Column("step_id", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # in the record, from 1: the order seen
    sa.Column("problem", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("due", sa.Date),
    sa.Index("ix_followups_visit", "visit_id"),
    sa.Index("ix_followups_due", "due"),
)

closures = sa.Table(
    "closures",
    metadata,
    sa.Column("item_id", sa.String(400), sa.ForeignKey("followups.item_id"), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("content", JsonColumn, nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pushed_by", sa.String(200), nullable=False),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("visit_id", sa.String(40), sa.ForeignKey("records.visit_id"), primary_key=True),
    sa.Column("stored_path", sa.String(500), primary_key=True),
    sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
)

checklists = sa.Table(
    "checklists",
    metadata,
    sa.Column("checklist_id", sa.String(200), primary_key=True),
    sa.Column("version", sa.String(50), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),  # the file's bytes, as published
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
)


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
        users.update().where(users.c.name == name).values(
            token_hash=token_hash(token), disabled=False
        )
    )
    return bool(result.rowcount)


def user_for_token(conn: Connection, token: str) -> User | None:
    row = conn.execute(sa.select(users).where(users.c.token_hash == token_hash(token))).first()
    return None if row is None else _user(row)


# ---------------------------------------------------------------------------------------------
# Visits


@dataclass(frozen=True)
class StoredVisit:
    visit_id: str
    digest: str
    engineer: str
    team: str | None


def stored_visit(conn: Connection, visit_id: str) -> StoredVisit | None:
    row = conn.execute(
        sa.select(records.c.visit_id, records.c.digest, visits.c.engineer, visits.c.team)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(records.c.visit_id == visit_id)
    ).first()
    return None if row is None else StoredVisit(row.visit_id, row.digest, row.engineer, row.team)


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


class Derived:
    """The derived rows of one record, made by the file reports' own code."""

    def __init__(self, sla: Sla) -> None:
        self.sla = sla
        self.titles = {"en": StepTitles("en"), "zh": StepTitles("zh")}

    def rows(self, record: VisitRecord, team: str | None) -> dict[sa.Table, list[dict[str, Any]]]:
        # Follow-ups are stored without `overdue`: that depends on the day a report is read for.
        facts = visit_facts(record, self.sla, self.titles["en"], date.min)
        repair = facts.repair
        started = record.started_at
        visit_row = {
            "visit_id": record.visit_id,
            "engineer": record.engineer,
            "engineer_key": record.engineer.strip().casefold(),
            "team": team,
            "customer": record.customer,
            "customer_key": record.customer.casefold(),
            "checklist_id": facts.checklist_id,
            "checklist_version": facts.checklist_version,
            "kind": facts.kind,
            "status": facts.status.value,
            "outcome": facts.outcome.value if facts.outcome else None,
            "grade": facts.grade.value if facts.grade else None,
            "order_type": facts.order_type.value if facts.order_type else None,
            "started_at": started.astimezone(timezone.utc),
            "started_day": started.date().isoformat(),
            "started_week": iso_week(started),
            "started_month": f"{started:%Y-%m}",
            "onsite_minutes": facts.onsite_minutes,
            "first_time_pass": facts.first_time_pass,
            "satisfaction": facts.satisfaction,
            "visit_mode": facts.visit_mode,
            "repair_hours": repair.repair_hours if repair else None,
            "limit_row": repair.limit_row if repair else None,
            "limit_source": repair.limit_source if repair else None,
            "within_limit": repair.within_limit if repair else None,
            "repair_measured": repair is not None,
            "title_en": facts.checklist_title,
            "title_zh": record.checklist.title.get("zh"),
        }
        failed = {step_id for step_id, _ in facts.failed_steps}
        titles_en = self.titles["en"].for_snapshot(record.checklist)
        titles_zh = self.titles["zh"].for_snapshot(record.checklist)
        step_rows = [
            {
                "visit_id": record.visit_id,
                "step_id": answer.step_id,
                "step_type": answer.step_type,
                "passed": answer.passed,
                "skipped": answer.skipped,
                "failure": answer.step_id in failed,
                "title_en": titles_en.get(answer.step_id, answer.step_id),
                "title_zh": titles_zh.get(answer.step_id, answer.step_id),
            }
            for answer in record.answers
        ]
        ping_rows: list[dict[str, Any]] = []
        for answer in record.answers:
            for attempt in answer.ping_attempts:
                ping_rows.append(
                    {
                        "visit_id": record.visit_id,
                        "attempt": len(ping_rows) + 1,
                        "step_id": answer.step_id,
                        "verdict": str(attempt.get("verdict") or "unknown"),
                    }
                )
        window_rows = [
            {"visit_id": record.visit_id, "window_id": window_id, "within": within}
            for window_id, within in (repair.windows.items() if repair else ())
            if within is not None
        ]
        followup_rows = [
            {
                "item_id": item.item_id,
                "visit_id": item.visit_id,
                "step_id": item.step_id,
                "number": item.number,
                "position": position,
                "problem": item.problem,
                "owner": item.owner,
                "due": item.due,
            }
            for position, item in enumerate(followup_items(record, date.min), start=1)
        ]
        attachment_rows = [
            {"visit_id": record.visit_id, "stored_path": attachment.stored_path,
             "sha256": attachment.sha256}
            for answer in record.answers
            for attachment in answer.attachments
        ]  # fmt: skip
        return {
            visits: [visit_row],
            steps: step_rows,
            pings: ping_rows,
            repair_windows: window_rows,
            followups: followup_rows,
            attachments: attachment_rows,
        }


def insert_visit(
    conn: Connection,
    record: VisitRecord,
    content: dict[str, Any],
    derived: Derived,
    *,
    pushed_by: str,
    team: str | None,
) -> None:
    """The record and its derived rows; the caller's transaction makes it all or nothing."""
    assert record.digest is not None
    conn.execute(
        records.insert().values(
            visit_id=record.visit_id, digest=record.digest, content=content,
            pushed_by=pushed_by, received_at=now(),
        )
    )  # fmt: skip
    for table, rows in derived.rows(record, team).items():
        if rows:
            conn.execute(table.insert(), rows)


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
    """Store a checklist version; False when that version was already published unchanged.
    A different file under a published id and version is refused: laptops that pulled it
    would never see the change."""
    digest = hashlib.sha256(content).hexdigest()
    row = conn.execute(
        sa.select(checklists.c.sha256).where(
            checklists.c.checklist_id == checklist_id, checklists.c.version == version
        )
    ).first()
    if row is not None:
        if row.sha256 != digest:
            raise ValueError(
                f"{checklist_id} {version} is already published with other content; "
                "raise its version"
            )
        return False
    conn.execute(
        checklists.insert().values(
            checklist_id=checklist_id, version=version, sha256=digest, file_name=file_name,
            content=content, published_at=now(),
        )
    )  # fmt: skip
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


def newest_records(
    conn: Connection, where: list[sa.ColumnElement[bool]], limit: int
) -> Iterator[dict[str, Any]]:
    """The content of the `limit` newest visits (by start) that pass `where`, oldest first."""
    query = (
        sa.select(records.c.content)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(*where)
        .order_by(visits.c.started_at.desc(), visits.c.visit_id.desc())
        .limit(limit)
    )
    rows = [dict(row.content) for row in conn.execute(query)]
    yield from reversed(rows)


def filtered_records(
    conn: Connection, where: list[sa.ColumnElement[bool]]
) -> Iterator[dict[str, Any]]:
    """The content of every visit that passes `where`, in visit id order (a records folder's
    order), streamed from the database rather than loaded at once."""
    query = (
        sa.select(records.c.content)
        .join(visits, visits.c.visit_id == records.c.visit_id)
        .where(*where)
        .order_by(records.c.visit_id)
    )
    for row in conn.execution_options(stream_results=True, yield_per=500).execute(query):
        yield dict(row.content)


def filtered_closures(
    conn: Connection, where: list[sa.ColumnElement[bool]]
) -> Iterator[dict[str, Any]]:
    """The closures of the follow-ups of the visits that pass `where`."""
    query = (
        sa.select(closures.c.content)
        .join(followups, followups.c.item_id == closures.c.item_id)
        .join(visits, visits.c.visit_id == followups.c.visit_id)
        .where(*where)
    )
    for row in conn.execute(query):
        yield dict(row.content)
