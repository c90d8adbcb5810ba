"""work held for quiet hours until its window opens (issue 26)

Revision ID: 4f8a2d6c1b93
Revises: 750ad41a47fc
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "4f8a2d6c1b93"
down_revision = "750ad41a47fc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deferred_sends",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", mysql.VARCHAR(collation="utf8mb4_bin", length=64), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("not_before", mysql.DATETIME(fsp=6), nullable=False),
        sa.Column("created_at", mysql.DATETIME(fsp=6), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deferred_not_before", "deferred_sends", ["not_before"])


def downgrade() -> None:
    op.drop_table("deferred_sends")
