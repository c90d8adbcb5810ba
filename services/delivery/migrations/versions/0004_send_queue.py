"""the sender works from a queue

Revision ID: 5c1e0f7a9b32
Revises: ab8f64de9ec0

What to send now travels in RabbitMQ (``delivery.send`` work items, written through the
outbox with the rows they name), so the log is no longer scanned for work: the claim
index and the lease columns go. Each receipt rewrote ``ix_log_to_send`` (its status
changed), and the claims' scans and lease updates were the sender's main cost
(docs/performance.md, Campaigns). Online: the index drop is in place, the column drops
instant.

Upgrading with messages still unsent (PENDING, ``sent_to_vendor_at`` NULL) written by an
older version: those have no work item. Run ``python -m services.delivery requeue`` once
after the upgrade to give them one (``services/delivery/requeue.py``).
"""

from alembic import op

revision = "5c1e0f7a9b32"
down_revision = "ab8f64de9ec0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE communications_log DROP INDEX ix_log_to_send, ALGORITHM=INPLACE, LOCK=NONE"
    )
    op.execute(
        "ALTER TABLE communications_log DROP COLUMN claimed_until, DROP COLUMN send_attempts,"
        " ALGORITHM=INSTANT"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE communications_log"
        " ADD COLUMN claimed_until DATETIME(6) NULL,"
        " ADD COLUMN send_attempts INTEGER NOT NULL DEFAULT 0,"
        " ALGORITHM=INSTANT"
    )
    op.execute(
        "ALTER TABLE communications_log"
        " ADD INDEX ix_log_to_send (status, sent_to_vendor_at, id),"
        " ALGORITHM=INPLACE, LOCK=NONE"
    )
