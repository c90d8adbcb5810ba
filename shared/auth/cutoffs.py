"""Session cut-offs: an admin's "end this person's sessions" reaches every service in seconds.

Access tokens are verified without asking campaigns, so a disabled person's token would
otherwise work until it expires (15 minutes). Campaigns records, per person, the moment
before which their tokens no longer count (``session_cutoffs``), in the transaction that
disables them, changes their role or ends their sessions, and announces it as
``user.sessions_ended``. Every other service keeps a copy through its ``<service>.api_keys``
queue (the same durable, inbox-applied path as key revocations). Each replica re-reads the
recent cut-offs every ``BEACON_AUTH_KEY_CACHE_S`` (2 s): a token issued before a cut-off is
refused everywhere within a few seconds, and a stats WebSocket re-asks every second and
closes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.auth.principal import AuthError, Principal
from shared.consumer import Handler
from shared.envelope import Envelope, Received
from shared.events import USER_SESSIONS_ENDED, UserSessionsEnded
from shared.logging import get_logger

log = get_logger(__name__)
ENDED = USER_SESSIONS_ENDED
READ_TIMEOUT_S = 1.0  # a database that hangs holds requests up at most this long


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
    """Answers "was this person's token issued before their cut-off?" from memory.

    The cut-offs that can still refuse a token (those newer than the longest a token
    lives) are few: the store reads them all at most every ``ttl_s``, one query per process
    whoever calls, so a request never waits on the database for them. When the database
    is away, the last cut-offs read stay in force and requests go on (ingest keeps
    accepting into RabbitMQ during an outage, with a token as with a key it knows)."""

    def __init__(self, engine: AsyncEngine, table: Table, ttl_s: float, horizon_s: float) -> None:
        self.engine = engine
        self.table = table
        self.ttl = ttl_s
        self.horizon = horizon_s  # the longest a token lives, leeway included
        self._cutoffs: dict[str, float] = {}  # sub -> cut-off (epoch seconds)
        self._read_at = -float("inf")  # monotonic
        self._reading = asyncio.Lock()

    async def check(self, principal: Principal) -> None:
        """Raise AuthError ``session_ended`` for a person's token issued before their cut-off."""
        if principal.kind != "user" or principal.issued_at is None:
            return
        await self._fresh()
        cutoff = self._cutoffs.get(principal.sub)
        if cutoff is not None and principal.issued_at <= cutoff:
            raise AuthError("session_ended", "an administrator ended this session; sign in again")

    async def _fresh(self) -> None:
        if time.monotonic() - self._read_at <= self.ttl:
            return
        async with self._reading:
            if time.monotonic() - self._read_at <= self.ttl:
                return  # another request read them while this one waited
            try:
                async with asyncio.timeout(READ_TIMEOUT_S):
                    self._cutoffs = await self._read()
            except Exception as error:  # the database away: keep the last ones read
                log.warning("session_cutoffs_unread", error=repr(error)[:200])
            self._read_at = time.monotonic()

    async def _read(self) -> dict[str, float]:
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=self.horizon)
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(self.table.c.sub, self.table.c.ended_before).where(
                    self.table.c.ended_before >= since
                )
            )
            return {row.sub: row.ended_before.replace(tzinfo=UTC).timestamp() for row in rows}
