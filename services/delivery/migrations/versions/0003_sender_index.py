"""no status index

Revision ID: ab8f64de9ec0
Revises: e3914bab89db

``ix_log_status`` goes (it misled the sender's claim into locking scans); see
docs/performance.md, Campaigns, changes 1 and 3. ``ix_log_to_send`` keeps ``status`` first:
without it, rows that failed before sending (no address) stay in the claim's range for
ever, and a soak's claims walked and locked 155,000 of them each until MariaDB aborted.
Online, so a big log stays writable meanwhile.
"""

from alembic import op

revision = "ab8f64de9ec0"
down_revision = "e3914bab89db"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE communications_log DROP INDEX ix_log_status, ALGORITHM=INPLACE, LOCK=NONE"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE communications_log"
        " ADD INDEX ix_log_status (status, id),"
        " ALGORITHM=INPLACE, LOCK=NONE"
    )
