"""The ``beacon_delivery`` schema: campaign templates, the communications log, receipts
waiting for their message, and the shared outbox/inbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.mysql import DATETIME, MEDIUMTEXT, VARCHAR

from shared.tables import api_keys_table, inbox_table, outbox_table, session_cutoffs_table

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
    # active, paused (nothing is sent until resumed) or cancelled (nothing ever again).
    Column("state", String(10), nullable=False, server_default="active"),
    Column("test", Boolean, nullable=False, server_default="0"),  # in no statistics
    # sms (the vendor simulator) or email, with its subject template (migration 0007).
    Column("channel", String(16), nullable=False, server_default="sms"),
    Column("subject", String(200)),
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
    Column("subject", String(500)),  # an email's subject, rendered for the recipient
    Column("status", String(16), nullable=False),
    Column("reason", String(500)),
    # When the vendor answered 202: the message is never sent again. (Which rows to send
    # is not read from here: RabbitMQ's delivery.send work queue carries it; migration 0004.)
    Column("sent_to_vendor_at", DATETIME(fsp=6)),
    Column("receipt_at", DATETIME(fsp=6)),  # the vendor's "at" of the applied receipt
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    UniqueConstraint("campaign_id", "customer_id", name="uq_log_campaign_customer"),
    # GET /communications filters (keyset on id). No (status, id) index: the API's
    # status-only filter is rare, and every index on status is rewritten by each receipt.
    Index("ix_log_campaign_status", "campaign_id", "status", "id"),
    # A person's messages (the customer page) and erasure; migration 0005.
    Index("ix_log_customer", "customer_id", "id"),
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

# Work held for quiet hours: re-enqueued as delivery.send_requested once not_before passes
# (quiet.py); never dropped. Migration 0009.
deferred_sends = Table(
    "deferred_sends",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("campaign_id", _ID, nullable=False),
    Column("message_ids", JSON, nullable=False),
    Column("not_before", DATETIME(fsp=6), nullable=False),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Index("ix_deferred_not_before", "not_before"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)  # copy of campaigns' keys, fed by its events
session_cutoffs = session_cutoffs_table(metadata)  # copy of campaigns' cut-offs, fed by its events
