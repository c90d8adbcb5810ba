"""The idempotent inbox: apply each event id at most once per consumer.

:func:`claim` runs inside the transaction that applies the event. If the effect rolls back,
so does the claim; if the claim finds the id already there, the caller skips the effect.
A concurrent duplicate blocks on the row lock until the first commits, then sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection


async def claim(conn: AsyncConnection, inbox: Table, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` applies ``event_id``; False when it already did."""
    stmt = (
        insert(inbox)
        .prefix_with("IGNORE")
        .values(
            consumer=consumer, event_id=event_id, applied_at=datetime.now(UTC).replace(tzinfo=None)
        )
    )
    result = await conn.execute(stmt)
    return result.rowcount == 1
