"""session cut-offs: an admin's "end this person's sessions" (issue 25)

Revision ID: 5bacc4e970a4
Revises: 7c3e5a91d2b4
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "5bacc4e970a4"
down_revision = "7c3e5a91d2b4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_cutoffs",
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("ended_before", mysql.DATETIME(fsp=6), nullable=False),
        sa.PrimaryKeyConstraint("sub"),
    )
    op.add_column("users", sa.Column("disabled_at", mysql.DATETIME(fsp=6), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "disabled_at")
    op.drop_table("session_cutoffs")
