"""session cut-offs: an admin's "end this person's sessions" (issue 25)

Revision ID: 67f485dcfe12
Revises: eeeb2a01e96b
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "67f485dcfe12"
down_revision = "eeeb2a01e96b"
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
