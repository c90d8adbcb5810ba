"""The ``beacon_ingest`` schema: customers, orders, and the shared outbox/inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table
from sqlalchemy.dialects.mysql import DATETIME, DECIMAL, VARCHAR

from shared.tables import api_keys_table, inbox_table, outbox_table

metadata = MetaData()

# Ids compare byte for byte: "A1" and "a1" are two customers.
_ID = VARCHAR(64, collation="utf8mb4_bin")

customers = Table(
    "customers",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("customer_id", _ID, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254)),
    Column("phone", String(32)),
    Column("city", String(100)),
    Column("created_at", DATETIME(fsp=6)),  # as the shop says; may be unknown
    Column("first_seen_at", DATETIME(fsp=6), nullable=False),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", _ID, nullable=False, unique=True),
    Column("customer_id", _ID, nullable=False),
    Column("amount", DECIMAL(14, 2), nullable=False),
    Column("ordered_at", DATETIME(fsp=6), nullable=False),
    Column("recorded_at", DATETIME(fsp=6), nullable=False),
    Index("ix_orders_customer", "customer_id", "id"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)  # copy of campaigns' keys, fed by its events
