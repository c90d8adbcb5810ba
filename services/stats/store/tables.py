"""The ``beacon_stats`` schema: counters, the delivery deltas they sum, the per-second
series, outbox, inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table
from sqlalchemy.dialects.mysql import DATETIME, VARCHAR

from shared.tables import api_keys_table, inbox_table, outbox_table, session_cutoffs_table

metadata = MetaData()
_ID = VARCHAR(64, collation="utf8mb4_bin")

# One row per campaign, created on first sight of any event about it.
campaign_stats = Table(
    "campaign_stats",
    metadata,
    Column("campaign_id", _ID, primary_key=True),
    Column("name", String(200)),
    Column("audience_size", Integer),
    Column("queued", BigInteger, nullable=False, server_default="0"),
    Column("sent", BigInteger, nullable=False, server_default="0"),
    Column("failed", BigInteger, nullable=False, server_default="0"),
    Column("cancelled", BigInteger, nullable=False, server_default="0"),
    # Bumped by every change under the row lock: orders snapshots across replicas.
    Column("revision", BigInteger, nullable=False, server_default="0"),
    Column("first_update_at", DATETIME(fsp=6), nullable=False),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Index("ix_campaign_stats_recent", "updated_at", "campaign_id"),
)

# The applied delivery.updated deltas: the event log reconciliation recounts from.
# Keyed by campaign first, so a recount reads one contiguous range.
delivery_deltas = Table(
    "delivery_deltas",
    metadata,
    Column("campaign_id", _ID, primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("queued", Integer, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False, server_default="0"),
    Column("at", DATETIME(fsp=6), nullable=False),
)

# Sent/failed per second (of the event's occurred_at), for the sending chart.
series_buckets = Table(
    "series_buckets",
    metadata,
    Column("campaign_id", _ID, primary_key=True),
    Column("bucket", DATETIME(fsp=0), primary_key=True),
    Column("sent", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)  # copy of campaigns' keys, fed by its events
session_cutoffs = session_cutoffs_table(metadata)  # copy of campaigns' cut-offs, fed by its events
