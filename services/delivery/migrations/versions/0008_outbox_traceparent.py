"""outbox traceparent: the trace context an event's publish continues (issue 25)

Revision ID: 750ad41a47fc
Revises: 6c9b2e4a7d15
"""

import sqlalchemy as sa
from alembic import op

revision = "750ad41a47fc"
down_revision = "6c9b2e4a7d15"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: an instant ALTER on MariaDB however many rows the outbox holds.
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "traceparent")
