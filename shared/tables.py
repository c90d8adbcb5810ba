"""The outbox and inbox tables, and the copies of sign-in state (API keys, session
cut-offs) every service adds to its own schema."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
)
from sqlalchemy.dialects.mysql import DATETIME, LONGBLOB


def outbox_table(metadata: MetaData) -> Table:
    """Events waiting to be published; written in the same transaction as the state."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("correlation_id", String(64), nullable=True),
        # The W3C trace context of the span that wrote the event (shared.tracing), which the
        # relay's publish continues; NULL when tracing is off.
        Column("traceparent", String(64), nullable=True),
        Column("body", LargeBinary().with_variant(LONGBLOB(), "mysql"), nullable=False),
        Column("created_at", DATETIME(fsp=6), nullable=False),
        Column("published_at", DATETIME(fsp=6), nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Event ids a consumer has already applied; the key that makes redelivery harmless."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("applied_at", DATETIME(fsp=6), nullable=False),
    )


def api_keys_table(metadata: MetaData) -> Table:
    """API keys: campaigns' original, and each other service's copy (see shared.auth.apikeys).

    Only the HMAC of a key is kept; ``last_used_at`` is this service's own record of use."""
    return Table(
        "api_keys",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("key_hash", String(64), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("scopes", JSON, nullable=False),
        Column("created_by_sub", String(255)),
        Column("created_by_email", String(320)),
        Column("created_at", DATETIME(fsp=6), nullable=False),
        Column("revoked_at", DATETIME(fsp=6)),
        Column("last_used_at", DATETIME(fsp=6)),
    )


def session_cutoffs_table(metadata: MetaData) -> Table:
    """Per person, the moment before which their access tokens no longer count (an admin
    disabled them, changed their role or ended their sessions): campaigns' own row and each
    other service's copy, fed by ``user.sessions_ended`` (see shared.auth.cutoffs)."""
    return Table(
        "session_cutoffs",
        metadata,
        Column("sub", String(255), primary_key=True),
        Column("ended_before", DATETIME(fsp=6), nullable=False),
    )
