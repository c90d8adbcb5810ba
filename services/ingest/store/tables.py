"""The ``beacon_ingest`` schema: customers (with their aliases), orders, imports and what
they changed, erasure tombstones, and the shared outbox/inbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.mysql import DATETIME, DECIMAL, VARCHAR

from shared.tables import api_keys_table, inbox_table, outbox_table, session_cutoffs_table

metadata = MetaData()

# Ids compare byte for byte: "A1" and "a1" are two customers.
_ID = VARCHAR(64, collation="utf8mb4_bin")


def _consent(channel: str) -> list[Column[object]]:
    return [
        Column(f"{channel}_consent", Boolean),  # None: never said
        Column(f"{channel}_consent_at", DATETIME(fsp=6)),
        Column(f"{channel}_consent_source", String(64)),
    ]


customers = Table(
    "customers",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("customer_id", _ID, nullable=False, unique=True),
    # active: a person; pending: an id orders named before its customer arrived; merged:
    # an alias of merged_into (one person per email); erased: a tombstone (no data).
    Column("state", String(10), nullable=False, server_default="active"),
    Column("merged_into", _ID),
    Column("name", String(200)),
    Column("email", String(254)),
    # The email trimmed and in lower case: one person per email. NULL for non-active rows.
    Column("email_norm", VARCHAR(254, collation="utf8mb4_bin")),
    Column("phone", String(32)),
    Column("city", String(100)),
    Column("created_at", DATETIME(fsp=6)),  # as the shop says; may be unknown
    *_consent("email"),
    *_consent("sms"),
    *_consent("whatsapp"),
    Column("first_seen_at", DATETIME(fsp=6), nullable=False),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("import_id", BigInteger),  # the import that created the row
    Column("last_import_id", BigInteger),  # the import that wrote it last (NULL: the API)
    Index("ix_customers_merged_into", "merged_into"),
    UniqueConstraint("email_norm", name="email_norm"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", _ID, nullable=False, unique=True),
    Column("customer_id", _ID, nullable=False),  # the person's id (aliases resolved)
    Column("customer_email", String(254)),  # as the order named its buyer
    Column("amount", DECIMAL(14, 2), nullable=False),
    Column("status", String(20), nullable=False, server_default="paid"),
    Column("refunded_amount", DECIMAL(14, 2), nullable=False, server_default="0"),
    Column("currency", String(3)),
    Column("line_items", JSON),
    Column("ordered_at", DATETIME(fsp=6), nullable=False),
    Column("source_updated_at", DATETIME(fsp=6)),  # the shop's updated_at, when it said
    Column("recorded_at", DATETIME(fsp=6), nullable=False),
    Column("changed_at", DATETIME(fsp=6)),  # last update after the first record
    Column("removed_at", DATETIME(fsp=6)),  # undone import: kept, so versions only grow
    Column("version", Integer, nullable=False, server_default="1"),
    Column("import_id", BigInteger),
    Column("last_import_id", BigInteger),
    Index("ix_orders_customer", "customer_id", "id"),
)

# One row per import (beacon import, the dashboard's upload): what it sent and what became of it.
imports = Table(
    "imports",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),  # customers | orders
    Column("source", String(20), nullable=False),  # generic | shopify | woocommerce
    Column("file_name", String(255)),
    # open -> sealed (all sent) -> done (all applied); undoing -> undone
    Column("status", String(10), nullable=False),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("created_by_sub", String(255)),
    Column("created_by_email", String(320)),
    Column("sent", Integer),  # rows the importer sent (known once sealed)
    Column("bad", Integer, nullable=False, server_default="0"),  # refused before sending
    *(
        Column(name, Integer, nullable=False, server_default="0")
        for name in (
            "processed",
            "new",
            "updated",
            "unchanged",
            "merged",
            "stale",
            "erased",
            "no_customer",
            "undo_restored",
            "undo_removed",
            "undo_conflicts",
        )
    ),
    Column("sealed_at", DATETIME(fsp=6)),
    Column("finished_at", DATETIME(fsp=6)),
    Column("undo_requested_at", DATETIME(fsp=6)),
    Column("undone_at", DATETIME(fsp=6)),
)

# What an import changed that existed before it: the row as it was, and the version the
# import left (an undo restores only rows nobody changed since). Rows an import created
# carry its id in ``import_id`` instead.
import_changes = Table(
    "import_changes",
    metadata,
    Column("import_id", BigInteger, nullable=False),
    Column("entity", String(8), nullable=False),  # customer | order
    Column("entity_key", _ID, nullable=False),
    Column("before", JSON, nullable=False),
    Column("after_version", Integer, nullable=False),
    PrimaryKeyConstraint("import_id", "entity", "entity_key"),
)

# Erased people: keyed HMACs of their ids and emails (never the values), so a later import
# naming them is skipped instead of bringing them back.
erasures = Table(
    "erasures",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("erased_at", DATETIME(fsp=6), nullable=False),
)

# customer.erased events whose ids are still in the event log: rewritten once published.
erasure_events = Table(
    "erasure_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)  # copy of campaigns' keys, fed by its events
session_cutoffs = session_cutoffs_table(metadata)  # copy of campaigns' cut-offs, fed by its events
