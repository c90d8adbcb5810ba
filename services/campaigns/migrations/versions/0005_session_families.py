"""sessions: token families, absolute lifetime, role source (issue 25)

Revision ID: 7c3e5a91d2b4
Revises: 19626b77f1ca
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "7c3e5a91d2b4"
down_revision = "19626b77f1ca"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("role_source", sa.String(length=16), nullable=True))
    op.add_column("refresh_tokens", sa.Column("family", sa.String(length=32), nullable=True))
    op.add_column(
        "refresh_tokens", sa.Column("session_started_at", mysql.DATETIME(fsp=6), nullable=True)
    )
    op.create_index(op.f("ix_refresh_tokens_family"), "refresh_tokens", ["family"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_tokens_family"), table_name="refresh_tokens")
    op.drop_column("refresh_tokens", "session_started_at")
    op.drop_column("refresh_tokens", "family")
    op.drop_column("users", "role_source")
