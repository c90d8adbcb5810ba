"""a campaign keeps its audience rule in words, as launched (issue 27)

Revision ID: 9d4b1c7e2a58
Revises: 2ab107607ad2
"""

import sqlalchemy as sa
from alembic import op

revision = "9d4b1c7e2a58"
down_revision = "2ab107607ad2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Older campaigns have none: the API says their rule in words from the rules kept.
    op.add_column("campaigns", sa.Column("rules_sentence", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "rules_sentence")
