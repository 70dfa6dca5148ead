"""The server's schema (SQLAlchemy Core): the migrations create it, every query reads it.

Records are kept whole (`records.content`: JSONB on PostgreSQL, JSON text on SQLite), beside
the derived tables (visits, steps, pings, repair windows, follow-ups) the KPIs are computed
from; server/derived.py fills them at ingest.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

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
    # Failures are about one step in a hundred: the summary reads them from this index alone.
    sa.Index(
        "ix_steps_failed",
        "visit_id",
        postgresql_include=["step_id", "title_en", "title_zh"],
        postgresql_where=sa.text("failure"),
        sqlite_where=sa.text("failure = 1"),
    ),
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

service_levels = sa.Table(
    "service_levels",
    metadata,
    sa.Column("version", sa.String(50), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),  # the sla.yaml bytes, as published
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
)
