"""outbox and audiences traceparent: the trace context a later publish continues (issue 25)

Revision ID: b5702fb41119
Revises: 8a2d4c6e1f30
"""

import sqlalchemy as sa
from alembic import op

revision = "b5702fb41119"
down_revision = "8a2d4c6e1f30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: an instant ALTER on MariaDB however many rows the outbox holds.
    op.add_column("outbox", sa.Column("traceparent", sa.String(length=64), nullable=True))
    op.add_column("audiences", sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("audiences", "traceparent")
    op.drop_column("outbox", "traceparent")
