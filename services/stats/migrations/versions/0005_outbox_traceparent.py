"""outbox traceparent: the trace context an event's publish continues (issue 25)

Revision ID: 1ad0bb89265a
Revises: 67f485dcfe12
"""

import sqlalchemy as sa
from alembic import op

revision = "1ad0bb89265a"
down_revision = "67f485dcfe12"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: an instant ALTER on MariaDB however many rows the outbox holds.
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
