"""outbox traceparent: the trace context an event's publish continues (issue 25)

Revision ID: 2ab107607ad2
Revises: 3e1f7a2c9d40
"""

import sqlalchemy as sa
from alembic import op

revision = "2ab107607ad2"
down_revision = "3e1f7a2c9d40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: an instant ALTER on MariaDB however many rows the outbox holds.
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
