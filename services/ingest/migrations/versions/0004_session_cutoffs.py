"""session cut-offs: an admin's "end this person's sessions" (issue 25)

Revision ID: 0c33d1e0194f
Revises: 1c8fe0ddddcf
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0c33d1e0194f"
down_revision = "1c8fe0ddddcf"
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
