"""a campaign's channel and email subject; a message's rendered subject (issue 26)

Revision ID: 6c9b2e4a7d15
Revises: 24e327a8936b
"""

import sqlalchemy as sa
from alembic import op

revision = "6c9b2e4a7d15"
down_revision = "24e327a8936b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every campaign so far went to the simulator: the default says so.
    op.add_column(
        "campaigns",
        sa.Column("channel", sa.String(length=16), server_default="sms", nullable=False),
    )
    op.add_column("campaigns", sa.Column("subject", sa.String(length=200), nullable=True))
    # Nullable, at the end: MariaDB adds it instantly, without copying the log.
    op.add_column("communications_log", sa.Column("subject", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.drop_column("communications_log", "subject")
    op.drop_column("campaigns", "subject")
    op.drop_column("campaigns", "channel")
