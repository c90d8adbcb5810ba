"""Session cut-offs: an admin's "end this person's sessions" reaches every service in seconds.

Access tokens are verified without asking campaigns, so a disabled person's token would
otherwise work until it expires (15 minutes). Campaigns records, per person, the moment
before which their tokens no longer count (``session_cutoffs``), in the transaction that
disables them, changes their role or ends their sessions, and announces it as
``user.sessions_ended``. Every other service keeps a copy through its ``<service>.api_keys``
queue (the same durable, inbox-applied path as key revocations). Each replica trusts a
lookup for ``BEACON_AUTH_KEY_CACHE_S`` (2 s): a token issued before the cut-off is refused
everywhere within a few seconds, and a stats WebSocket re-asks every second and closes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.auth.principal import AuthError, Principal
from shared.consumer import Handler
from shared.envelope import Envelope, Received
from shared.events import USER_SESSIONS_ENDED, UserSessionsEnded

ENDED = USER_SESSIONS_ENDED
CACHE_LIMIT = 10_000  # people; past it the cache starts over (it is only a cache)


def naive_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


async def apply_cutoff(conn: AsyncConnection, table: Table, sub: str, before: datetime) -> None:
    """Record a cut-off; the later one wins, whatever order they arrive in."""
    stmt = insert(table).values(sub=sub, ended_before=before)
    await conn.execute(
        stmt.on_duplicate_key_update(
            ended_before=func.greatest(table.c.ended_before, stmt.inserted.ended_before)
        )
    )


def copy_handlers(table: Table) -> dict[tuple[str, int], Handler]:
    """The handler of ``user.sessions_ended`` on ``<service>.api_keys``."""

    async def on_sessions_ended(
        conn: AsyncConnection, event: Received[UserSessionsEnded]
    ) -> list[Envelope]:
        ended = event.payload
        await apply_cutoff(conn, table, ended.user.sub, naive_utc(ended.ended_before))
        return []

    return {(ENDED, 1): on_sessions_ended}


class CutoffStore:
    """Answers "was this person's token issued before their cut-off?", briefly cached."""

    def __init__(self, engine: AsyncEngine, table: Table, ttl_s: float) -> None:
        self.engine = engine
        self.table = table
        self.ttl = ttl_s
        self._cache: dict[str, tuple[float, float | None]] = {}  # sub -> (asked at, cut-off)

    async def check(self, principal: Principal) -> None:
        """Raise AuthError ``session_ended`` for a person's token issued before their cut-off."""
        if principal.kind != "user" or principal.issued_at is None:
            return
        cutoff = await self._cutoff(principal.sub)
        if cutoff is not None and principal.issued_at <= cutoff:
            raise AuthError("session_ended", "an administrator ended this session; sign in again")

    async def _cutoff(self, sub: str) -> float | None:
        now_s = time.monotonic()
        cached = self._cache.get(sub)
        if cached is not None and now_s - cached[0] <= self.ttl:
            return cached[1]
        async with self.engine.connect() as conn:
            found = await conn.scalar(
                select(self.table.c.ended_before).where(self.table.c.sub == sub)
            )
        cutoff = found.replace(tzinfo=UTC).timestamp() if found is not None else None
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[sub] = (now_s, cutoff)
        return cutoff
