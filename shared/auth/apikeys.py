"""API keys for systems: ``bk_<random>``, stored only as an HMAC, scoped, revocable.

Campaigns issues keys and keeps the authoritative ``api_keys`` table. Every other service
keeps its own copy in its own schema, fed by campaigns' ``api_key.created`` and
``api_key.revoked`` events through a durable queue ``<service>.api_keys`` (applied through
the inbox like any event, so every replica of a service shares one copy). Each event carries
the key's whole state, so the copy comes out right whatever order they arrive in, and a
revocation, once seen, is never undone. Use goes the other way: each replica records
``last_used_at`` in its copy and announces ``api_key.used`` (at most once a minute per key)
so campaigns' list shows when a key was last used anywhere. A replica trusts a lookup for
``BEACON_AUTH_KEY_CACHE_S`` (2 s): a revoked key is refused everywhere within a few seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.auth.principal import AuthError, Principal
from shared.consumer import Handler
from shared.db import unit_of_work
from shared.envelope import Envelope, Received
from shared.events import (
    API_KEY_CREATED,
    API_KEY_REVOKED,
    API_KEY_USED,
    USER_SESSIONS_ENDED,
    ApiKeyChanged,
)
from shared.logging import get_logger
from shared.settings import ServiceSettings, require_secret
from shared.topology import Binding, QueueSpec

log = get_logger(__name__)
PREFIX = "bk_"
CREATED = API_KEY_CREATED
REVOKED = API_KEY_REVOKED
USED = API_KEY_USED  # {"key_id", "at", "service"}: a replica saw the key in use
# The services that keep a copy (campaigns holds the original); campaigns declares their
# queues when it starts, so no key event is published before a copy's queue exists.
COPY_SERVICES = ("ingest", "segments", "delivery", "stats")
DEV_PEPPER = "beacon-dev-pepper-not-secret"
LAST_USED_EVERY_S = 60.0  # how often a replica records that a key is still in use


def copy_queue(service: str) -> QueueSpec:
    """Campaigns' sign-in state a service keeps a copy of: keys and session cut-offs."""
    return QueueSpec(
        f"{service}.api_keys", (Binding("campaigns", (CREATED, REVOKED, USER_SESSIONS_ENDED)),)
    )


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def pepper(settings: ServiceSettings) -> bytes:
    """The HMAC secret of key hashes; production refuses none or one shorter than 32 bytes."""
    require_secret(settings, "BEACON_AUTH_KEY_PEPPER", settings.auth_key_pepper)
    if settings.auth_key_pepper:
        return settings.auth_key_pepper.encode()
    return DEV_PEPPER.encode()


def key_hash(secret: bytes, key: str) -> str:
    """HMAC-SHA-256 with the server's pepper: a stolen table alone checks no guess."""
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def as_state(row: Any) -> dict[str, Any]:
    """A key row as it travels in events (never the key, only its hash)."""
    m = row._mapping if hasattr(row, "_mapping") else row
    return {
        "id": m["id"],
        "key_hash": m["key_hash"],
        "name": m["name"],
        "scopes": list(m["scopes"]),
        "created_by_sub": m["created_by_sub"],
        "created_by_email": m["created_by_email"],
        "created_at": as_iso(m["created_at"]),
        "revoked_at": as_iso(m["revoked_at"]),
    }


def as_iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def _naive(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


async def apply_state(conn: AsyncConnection, table: Table, state: dict[str, Any]) -> None:
    """Upsert a key's state into a copy; a known revocation is kept."""
    values = {
        "id": state["id"],
        "key_hash": state["key_hash"],
        "name": state["name"],
        "scopes": list(state["scopes"]),
        "created_by_sub": state.get("created_by_sub"),
        "created_by_email": state.get("created_by_email"),
        "created_at": _naive(state["created_at"]),
        "revoked_at": _naive(state.get("revoked_at")),
    }
    stmt = insert(table).values(**values)
    await conn.execute(
        stmt.on_duplicate_key_update(
            revoked_at=func.coalesce(table.c.revoked_at, stmt.inserted.revoked_at)
        )
    )


def copy_handlers(table: Table) -> dict[tuple[str, int], Handler]:
    """The handlers of ``<service>.api_keys``: both events upsert the key's state."""

    async def on_key_event(conn: AsyncConnection, event: Received[ApiKeyChanged]) -> list[Envelope]:
        await apply_state(conn, table, event.payload.key)
        return []

    return {(CREATED, 1): on_key_event, (REVOKED, 1): on_key_event}


class KeyStore:
    """Looks keys up in this service's own ``api_keys`` table, briefly cached."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        settings: ServiceSettings,
        on_used: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.engine = engine
        self.on_used = on_used
        self.table = table
        self.secret = pepper(settings)
        self.ttl = settings.auth_key_cache_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._last_used: dict[str, float] = {}

    async def principal(self, key: str) -> Principal:
        digest = key_hash(self.secret, key)
        now_s = time.monotonic()
        cached = self._cache.get(digest)
        if cached is None or now_s - cached[0] > self.ttl:
            cached = (now_s, await self._lookup(digest))
            if len(self._cache) > 10_000:  # guessed keys must not grow memory forever
                self._cache.clear()
            self._cache[digest] = cached
        found = cached[1]
        if found is None:
            raise AuthError("key_invalid", "the API key is unknown or revoked")
        if now_s - self._last_used.get(found.sub, -LAST_USED_EVERY_S) >= LAST_USED_EVERY_S:
            self._last_used[found.sub] = now_s
            await self._touch(found.sub)
            if self.on_used is not None:
                try:
                    await self.on_used(found.sub)
                except Exception as error:  # telemetry: the next use announces it again
                    log.warning("api_key_used_not_announced", error=repr(error)[:200])
        return found

    async def _lookup(self, digest: str) -> Principal | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(self.table.c.id, self.table.c.name, self.table.c.scopes).where(
                        self.table.c.key_hash == digest, self.table.c.revoked_at.is_(None)
                    )
                )
            ).first()
        if row is None:
            return None
        return Principal(sub=row.id, kind="key", name=row.name, scopes=frozenset(row.scopes))

    async def _touch(self, key_id: str) -> None:
        async with unit_of_work(self.engine) as conn:
            await conn.execute(
                update(self.table).where(self.table.c.id == key_id).values(last_used_at=now())
            )
