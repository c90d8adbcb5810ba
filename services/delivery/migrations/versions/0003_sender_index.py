"""sender keyset index, no status index

Revision ID: ab8f64de9ec0
Revises: e3914bab89db

``ix_log_to_send`` loses ``status`` (a receipt no longer rewrites its entry) and
``ix_log_status`` goes (it misled the sender's claim into locking scans); see
docs/performance.md, Campaigns, changes 1 and 3. One ALTER, online, so a big log is rebuilt
once and stays writable meanwhile.
"""

from alembic import op

revision = "ab8f64de9ec0"
down_revision = "e3914bab89db"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE communications_log"
        " DROP INDEX ix_log_status,"
        " DROP INDEX ix_log_to_send,"
        " ADD INDEX ix_log_to_send (sent_to_vendor_at, id),"
        " ALGORITHM=INPLACE, LOCK=NONE"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE communications_log"
        " DROP INDEX ix_log_to_send,"
        " ADD INDEX ix_log_to_send (status, sent_to_vendor_at, id),"
        " ADD INDEX ix_log_status (status, id),"
        " ALGORITHM=INPLACE, LOCK=NONE"
    )
