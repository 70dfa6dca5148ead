"""Casefolded customer names for --customer, and each follow-up's place in its record (the
order a report over files sees them in)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("customer_key", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="1"))
    # Rows written before: Python's casefold is not SQL's lower(), so fill them from Python.
    connection = op.get_bind()
    visits = sa.table("visits", sa.column("visit_id"), sa.column("customer"),
                      sa.column("customer_key"))  # fmt: skip
    for visit_id, customer in connection.execute(sa.select(visits.c.visit_id, visits.c.customer)):
        connection.execute(
            visits.update().where(visits.c.visit_id == visit_id).values(
                customer_key=customer.casefold()
            )
        )
    followups = sa.table("followups", sa.column("item_id"), sa.column("number"),
                         sa.column("position"))  # fmt: skip
    connection.execute(followups.update().values(position=followups.c.number))
    op.create_index("ix_visits_customer_key", "visits", ["customer_key"])


def downgrade() -> None:
    op.drop_index("ix_visits_customer_key", "visits")
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("position")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("customer_key")
