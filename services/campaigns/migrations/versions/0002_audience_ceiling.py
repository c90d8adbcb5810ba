"""campaigns.max_audience: the audience size a launch may reach without a new confirmation

Revision ID: 0002_audience_ceiling
Revises: 6c2aee02a736
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_audience_ceiling"
down_revision = "6c2aee02a736"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("max_audience", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "max_audience")
