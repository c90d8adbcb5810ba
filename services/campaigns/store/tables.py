"""The ``beacon_campaigns`` schema: campaigns, the segments it knows of, users, refresh
tokens, API keys, outbox, inbox."""

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

from shared.tables import api_keys_table, inbox_table, outbox_table, session_cutoffs_table

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
    # sms (the vendor simulator) or email, with its subject template (migration 0007).
    Column("channel", String(16), nullable=False, server_default="sms"),
    Column("subject", String(200)),
    Column("rules", JSON),
    # The rule in words as launched (shared.rules.sentence), for the history and page.
    Column("rules_sentence", String(2000)),
    Column("segment_id", _ID),
    Column("schedule_at", DATETIME(fsp=6)),
    Column("max_audience", Integer),  # the launch fails if the audience is larger
    Column("audience_size", Integer),
    Column("queued", Integer, nullable=False, server_default="0"),
    Column("sent", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("cancelled", Integer, nullable=False, server_default="0"),  # never to be sent
    # A test send: these customers, not an audience; in no list and no statistics.
    Column("test", Boolean, nullable=False, server_default="0"),
    Column("customer_ids", JSON),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("launched_at", DATETIME(fsp=6)),
    Column("paused_at", DATETIME(fsp=6)),
    Column("cancelled_at", DATETIME(fsp=6)),
    Column("completed_at", DATETIME(fsp=6)),
    Column("updated_at", DATETIME(fsp=6), nullable=False),
    Column("created_by_sub", String(255)),
    Column("created_by_email", String(320)),
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

# People who signed in, keyed by Google's ``sub`` (``dev:<email>`` in dev mode).
users = Table(
    "users",
    metadata,
    Column("sub", String(255), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("picture", String(2000)),
    Column("role", String(16), nullable=False),
    # "admin_list" when the role is admin because of BEACON_AUTH_ADMIN_EMAILS: taken off the
    # list, the person is demoted at their next refresh or sign-in.
    Column("role_source", String(16)),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("last_sign_in_at", DATETIME(fsp=6), nullable=False),
    # Set by an admin: no sign-in, no refresh, and every token issued before refused.
    Column("disabled_at", DATETIME(fsp=6)),
)

# Refresh tokens by their SHA-256 (a 256-bit random token needs no slower hash).
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("sub", String(255), nullable=False, index=True),
    Column("created_at", DATETIME(fsp=6), nullable=False),
    Column("expires_at", DATETIME(fsp=6), nullable=False),
    Column("revoked_at", DATETIME(fsp=6)),
    # Revoked by a refresh (not a sign-out): presenting it again means it was copied.
    Column("rotated", Boolean, nullable=False, server_default="0"),
    # One sign-in's chain of rotated tokens (sign-out ends exactly this one), and when that
    # sign-in was: no refresh extends a session past BEACON_AUTH_SESSION_MAX_S from it.
    Column("family", String(32), index=True),
    Column("session_started_at", DATETIME(fsp=6)),
)

api_keys = api_keys_table(metadata)  # the original; other services keep copies
session_cutoffs = session_cutoffs_table(metadata)  # the original: whose tokens stop counting when
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
