"""session cut-offs: an admin's "end this person's sessions" (issue 25)

Revision ID: dd1fb297f417
Revises: 5497ee0d9b15
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "dd1fb297f417"
down_revision = "5497ee0d9b15"
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
