"""outbox traceparent: the trace context an event's publish continues (issue 25)

Revision ID: f08384783f6e
Revises: 0c33d1e0194f
"""

import sqlalchemy as sa
from alembic import op

revision = "f08384783f6e"
down_revision = "0c33d1e0194f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: an instant ALTER on MariaDB however many rows the outbox holds.
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
