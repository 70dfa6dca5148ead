"""The first schema: users, records whole, derived tables for the reports, attachments, checklists

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "checklists",
        sa.Column("checklist_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("checklist_id", "version"),
    )
    op.create_table(
        "records",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "content", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("pushed_by", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "attachments",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["blobs.sha256"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["records.visit_id"],
        ),
        sa.PrimaryKeyConstraint("visit_id", "stored_path"),
    )
    op.create_table(
        "followups",
        sa.Column("item_id", sa.String(length=400), nullable=False),
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["records.visit_id"],
        ),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index("ix_followups_due", ["due"], unique=False)
        batch_op.create_index("ix_followups_visit", ["visit_id"], unique=False)

    op.create_table(
        "pings",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["records.visit_id"],
        ),
        sa.PrimaryKeyConstraint("visit_id", "attempt"),
    )
    with op.batch_alter_table("pings", schema=None) as batch_op:
        batch_op.create_index("ix_pings_verdict", ["verdict"], unique=False)

    op.create_table(
        "repair_windows",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("window_id", sa.String(length=100), nullable=False),
        sa.Column("within", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["records.visit_id"],
        ),
        sa.PrimaryKeyConstraint("visit_id", "window_id"),
    )
    op.create_table(
        "steps",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("step_type", sa.String(length=40), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("failure", sa.Boolean(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["records.visit_id"],
        ),
        sa.PrimaryKeyConstraint("visit_id", "step_id"),
    )
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.create_index("ix_steps_failure", ["failure", "step_id"], unique=False)

    op.create_table(
        "visits",
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("engineer", sa.String(length=200), nullable=False),
        sa.Column("engineer_key", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("customer", sa.Text(), nullable=False),
        sa.Column("checklist_id", sa.String(length=200), nullable=False),
        sa.Column("checklist_version", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("order_type", sa.String(length=20), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_day", sa.String(length=10), nullable=False),
        sa.Column("started_week", sa.String(length=8), nullable=False),
        sa.Column("started_month", sa.String(length=7), nullable=False),
        sa.Column("onsite_minutes", sa.Float(), nullable=True),
        sa.Column("first_time_pass", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.String(length=20), nullable=True),
        sa.Column("visit_mode", sa.String(length=20), nullable=True),
        sa.Column("repair_hours", sa.Float(), nullable=True),
        sa.Column("limit_row", sa.Integer(), nullable=True),
        sa.Column("limit_source", sa.String(length=20), nullable=True),
        sa.Column("within_limit", sa.Boolean(), nullable=True),
        sa.Column("repair_measured", sa.Boolean(), nullable=True),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["records.visit_id"],
        ),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_checklist", ["checklist_id"], unique=False)
        batch_op.create_index("ix_visits_engineer_key", ["engineer_key"], unique=False)
        batch_op.create_index("ix_visits_kind_status", ["kind", "status"], unique=False)
        batch_op.create_index("ix_visits_started_day", ["started_day"], unique=False)
        batch_op.create_index("ix_visits_team", ["team"], unique=False)

    op.create_table(
        "closures",
        sa.Column("item_id", sa.String(length=400), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "content", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["followups.item_id"],
        ),
        sa.PrimaryKeyConstraint("item_id"),
    )


def downgrade() -> None:
    op.drop_table("closures")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_team")
        batch_op.drop_index("ix_visits_started_day")
        batch_op.drop_index("ix_visits_kind_status")
        batch_op.drop_index("ix_visits_engineer_key")
        batch_op.drop_index("ix_visits_checklist")

    op.drop_table("visits")
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_index("ix_steps_failure")

    op.drop_table("steps")
    op.drop_table("repair_windows")
    with op.batch_alter_table("pings", schema=None) as batch_op:
        batch_op.drop_index("ix_pings_verdict")

    op.drop_table("pings")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_visit")
        batch_op.drop_index("ix_followups_due")

    op.drop_table("followups")
    op.drop_table("attachments")
    op.drop_table("users")
    op.drop_table("records")
    op.drop_table("checklists")
    op.drop_table("blobs")
