"""a campaign's channel (sms, the vendor simulator; or email) and email subject (issue 26)

Revision ID: 3e1f7a2c9d40
Revises: 5bacc4e970a4
"""

import sqlalchemy as sa
from alembic import op

revision = "3e1f7a2c9d40"
down_revision = "5bacc4e970a4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every campaign so far went to the simulator: the default says so.
    op.add_column(
        "campaigns",
        sa.Column("channel", sa.String(length=16), server_default="sms", nullable=False),
    )
    op.add_column("campaigns", sa.Column("subject", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "subject")
    op.drop_column("campaigns", "channel")
