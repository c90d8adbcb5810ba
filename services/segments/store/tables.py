"""The ``beacon_segments`` schema: profiles, the orders they count, saved segments,
materialised audiences, and the shared outbox/inbox."""

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
)
from sqlalchemy.dialects.mysql import DATETIME, DECIMAL, VARCHAR

from shared.tables import api_keys_table, inbox_table, outbox_table, session_cutoffs_table

metadata = MetaData()
_ID = VARCHAR(64, collation="utf8mb4_bin")
# Case-insensitive but accent-sensitive, no padding: what the in-memory evaluator's
# casefold() does ("Zoë" = "ZOË" but not "zoe"; "a " is not "a").
_TEXT = "utf8mb4_uca1400_nopad_as_ci"

profiles = Table(
    "profiles",
    metadata,
    Column("customer_id", _ID, primary_key=True),
    # False while only orders are known: the customer has not arrived yet. Such profiles
    # keep counting their orders but are in no audience until the customer arrives.
    Column("known", Boolean, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False, server_default="0"),  # ingest's customer version
    Column("revision", BigInteger, nullable=False, server_default="0"),  # bumped on every change
    Column("name", VARCHAR(200, collation=_TEXT)),
    Column("email", VARCHAR(254, collation=_TEXT)),
    Column("phone", VARCHAR(32, collation=_TEXT)),
    Column("city", VARCHAR(100, collation=_TEXT)),
    Column("created_at", DATETIME(fsp=6)),
    Column("email_consent", Boolean),  # marketing consent per channel (None: never said)
    Column("sms_consent", Boolean),
    Column("whatsapp_consent", Boolean),
    Column("total_spend", DECIMAL(16, 2), nullable=False, server_default="0"),
    Column("visits", Integer, nullable=False, server_default="0"),
    Column("first_visit_at", DATETIME(fsp=6)),
    Column("last_visit_at", DATETIME(fsp=6)),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Index("ix_profiles_spend", "total_spend"),
    Index("ix_profiles_visits", "visits"),
    Index("ix_profiles_last_visit", "last_visit_at"),
    Index("ix_profiles_city", "city"),
)

# Every order counted into a profile, with what it counts (money kept, whether a visit,
# when) and ingest's version of it: a redelivered order counts once, a newer version (a
# refund, a cancellation, a merge of its customer) replaces it, and a profile can always
# be recounted from its orders.
profile_orders = Table(
    "profile_orders",
    metadata,
    Column("order_id", _ID, primary_key=True),
    Column("customer_id", _ID, nullable=False),
    Column("kept", DECIMAL(14, 2), nullable=False, server_default="0"),
    Column("visit", Boolean, nullable=False, server_default="1"),
    Column("ordered_at", DATETIME(fsp=6)),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_profile_orders_customer", "customer_id"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Column("created_by_sub", String(255)),
    Column("created_by_email", String(320)),
    Column("updated_by_email", String(320)),
    Column("last_used_at", DATETIME(fsp=6)),  # the last campaign launched with it
)

# One row per campaign whose audience was resolved: the size and publishing progress.
audiences = Table(
    "audiences",
    metadata,
    Column("campaign_id", _ID, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("batches", Integer, nullable=False),
    Column("published_batches", Integer, nullable=False, server_default="0"),
    Column("correlation_id", String(64)),
    # The trace context of the launch's consumer (shared.tracing): the publisher's messages,
    # sent later, continue its trace. NULL when tracing is off.
    Column("traceparent", String(64)),
    Column("error", String(1000)),  # why the audience could not be resolved (then size 0)
    Column("test", Boolean, nullable=False, server_default="0"),  # a test send's
    Column("resolved_at", DATETIME(fsp=6), nullable=False),
    Column("completed_at", DATETIME(fsp=6)),
)

# The audience as of launch, in a fixed order, so a resumed publish sends the same batches.
audience_members = Table(
    "audience_members",
    metadata,
    Column("campaign_id", _ID, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("customer_id", _ID, nullable=False),
    Column("name", String(200)),
    Column("email", String(254)),
    Column("phone", String(32)),
    PrimaryKeyConstraint("campaign_id", "seq"),
)

# Who may not be messaged on a channel (one-click unsubscribes so far; issue 26). Email
# audiences leave them out when they are resolved.
suppressions = Table(
    "suppressions",
    metadata,
    Column("customer_id", _ID, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("reason", String(32), nullable=False),  # unsubscribed
    Column("created_at", DATETIME(fsp=6), nullable=False),
    PrimaryKeyConstraint("customer_id", "channel"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)  # copy of campaigns' keys, fed by its events
session_cutoffs = session_cutoffs_table(metadata)  # copy of campaigns' cut-offs, fed by its events
