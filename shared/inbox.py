"""The idempotent inbox: apply each event id at most once per consumer.

:func:`claim` (one event) and :func:`claim_many` (a batch) run inside the transaction that
applies the events. If the effect rolls back, so do the claims; an id already there means
the caller skips that event's effect. A concurrent duplicate blocks on the row lock until
the first transaction commits, then sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Table, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection


class ConcurrentClaim(Exception):
    """Another transaction claimed one of the ids between our read and our insert: the
    whole unit of work is retried, and then sees that claim as applied."""

    retry_later = True  # read by shared.db.is_transient


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def claim(conn: AsyncConnection, inbox: Table, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` applies ``event_id``; False when it already did."""
    stmt = (
        insert(inbox)
        .prefix_with("IGNORE")
        .values(consumer=consumer, event_id=event_id, applied_at=_now())
    )
    result = await conn.execute(stmt)
    return result.rowcount == 1


async def claim_many(
    conn: AsyncConnection, inbox: Table, consumer: str, event_ids: Iterable[str]
) -> set[str]:
    """Record that ``consumer`` applies these ids; returns those not applied before.

    Two statements whatever the batch size: read which ids are known, insert the others in
    one multi-row ``INSERT IGNORE`` (sorted, so concurrent batches lock in one order). If
    it inserted fewer rows than asked, a concurrent batch claimed one in between: we can't
    tell which from the row count, so :class:`ConcurrentClaim` retries the whole unit.
    """
    wanted = sorted(set(event_ids))
    if not wanted:
        return set()
    known = await conn.execute(
        select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(wanted))
    )
    seen = {row.event_id for row in known}
    fresh = [event_id for event_id in wanted if event_id not in seen]
    if fresh:
        now = _now()
        result = await conn.execute(
            insert(inbox)
            .prefix_with("IGNORE")
            .values([{"consumer": consumer, "event_id": e, "applied_at": now} for e in fresh])
        )
        if result.rowcount != len(fresh):
            raise ConcurrentClaim(f"{len(fresh) - result.rowcount} of {len(fresh)} ids taken")
    return set(fresh)
