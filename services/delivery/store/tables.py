"""The ``beacon_delivery`` schema: campaign templates, the communications log, receipts
waiting for their message, and the shared outbox/inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.mysql import DATETIME, MEDIUMTEXT, VARCHAR

from shared.tables import api_keys_table, inbox_table, outbox_table

metadata = MetaData()

# Ids compare byte for byte, as in the services they come from. Message ids are UUIDs we
# make, but receipts may name any string: one type keeps comparisons index-friendly.
_ID = VARCHAR(64, collation="utf8mb4_bin")

# What delivery needs of each launched campaign: its name and message template.
campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", _ID, primary_key=True),
    Column("name", String(200)),
    Column("template", MEDIUMTEXT, nullable=False),
    # Set when the template does not parse (campaigns validates, so this is a bug
    # upstream): the audience batches of such a campaign are dead-lettered, not sent.
    Column("template_error", String(1000)),
    Column("launched_at", DATETIME(fsp=6), nullable=False),
    Column("received_at", DATETIME(fsp=6), nullable=False),
)

communications_log = Table(
    "communications_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("message_id", _ID, nullable=False, unique=True),
    Column("campaign_id", _ID, nullable=False),
    Column("customer_id", _ID, nullable=False),
    Column("recipient", String(254)),
    Column("message", MEDIUMTEXT, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(500)),
    # Sending: a sender claims rows until claimed_until (a lease: a crashed sender's claim
    # lapses); sent_to_vendor_at is when the vendor answered 202, after which the message
    # is never sent again.
    Column("claimed_until", DATETIME(fsp=6)),
    Column("send_attempts", Integer, nullable=False, server_default="0"),
    Column("sent_to_vendor_at", DATETIME(fsp=6)),
    Column("receipt_at", DATETIME(fsp=6)),  # the vendor's "at" of the applied receipt
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    UniqueConstraint("campaign_id", "customer_id", name="uq_log_campaign_customer"),
    # The sender's keyset claim: PENDING rows not yet accepted by the vendor, in id order.
    # Status first, so rows that failed before any send (no address) leave the range: on
    # (sent_to_vendor_at, id) alone they piled up and every claim walked them with locks.
    Index("ix_log_to_send", "status", "sent_to_vendor_at", "id"),
    # GET /communications filters (keyset on id). No (status, id) index: the API's
    # status-only filter is rare, and that index misled the sender's claim into walking,
    # with locks, every row already sent (docs/performance.md, Campaigns, change 3).
    Index("ix_log_campaign_status", "campaign_id", "status", "id"),
)

# Receipts whose message id is not (yet) in the log: kept, applied when the row appears.
parked_receipts = Table(
    "parked_receipts",
    metadata,
    Column("message_id", _ID, primary_key=True),  # first receipt wins, as in the log
    Column("status", String(16), nullable=False),
    Column("at", DATETIME(fsp=6), nullable=False),
    Column("reason", String(500)),
    Column("parked_at", DATETIME(fsp=6), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)  # copy of campaigns' keys, fed by its events
