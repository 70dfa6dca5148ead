"""The failed steps indexed apart: a partial index of the steps that count as failures (about
one step in a hundred), holding what the summary's failing steps read, in place of an index of
every step by its failure flag

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_steps_failure", "steps")
    op.create_index(
        "ix_steps_failed", "steps", ["visit_id"],
        postgresql_include=["step_id", "title_en", "title_zh"],
        postgresql_where=sa.text("failure"), sqlite_where=sa.text("failure = 1"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_steps_failed", "steps")
    op.create_index("ix_steps_failure", "steps", ["failure", "step_id"])
