"""The ``beacon_campaigns`` schema: campaigns, the segments it knows of, outbox, inbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.mysql import DATETIME, VARCHAR

from shared.tables import inbox_table, outbox_table

metadata = MetaData()
_ID = VARCHAR(64, collation="utf8mb4_bin")

campaigns = Table(
    "campaigns",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),  # newest first by this
    Column("id", _ID, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(1000)),
    Column("message", Text, nullable=False),
    Column("rules", JSON),
    Column("segment_id", _ID),
    Column("schedule_at", DATETIME(fsp=6)),
    Column("max_audience", Integer),  # the launch fails if the audience is larger
    Column("audience_size", Integer),
    Column("queued", Integer, nullable=False, server_default="0"),
    Column("sent", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("launched_at", DATETIME(fsp=6)),
    Column("completed_at", DATETIME(fsp=6)),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Index("ix_campaigns_due", "status", "schedule_at"),
)

# Segments as the segments service announced them, so a campaign can target one by id.
known_segments = Table(
    "known_segments",
    metadata,
    Column("segment_id", _ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default="0"),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
