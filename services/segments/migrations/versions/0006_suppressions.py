"""suppressions: customers who may not be messaged on a channel (issue 26)

Revision ID: 8a2d4c6e1f30
Revises: dd1fb297f417
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "8a2d4c6e1f30"
down_revision = "dd1fb297f417"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("customer_id", mysql.VARCHAR(collation="utf8mb4_bin", length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", mysql.DATETIME(fsp=6), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "channel"),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
