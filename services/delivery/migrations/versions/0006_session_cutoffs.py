"""session cut-offs: an admin's "end this person's sessions" (issue 25)

Revision ID: 24e327a8936b
Revises: 78eb62cd36ea
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "24e327a8936b"
down_revision = "78eb62cd36ea"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_cutoffs",
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("ended_before", mysql.DATETIME(fsp=6), nullable=False),
        sa.PrimaryKeyConstraint("sub"),
    )


def downgrade() -> None:
    op.drop_table("session_cutoffs")
