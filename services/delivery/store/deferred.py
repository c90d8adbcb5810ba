"""Queries on ``deferred_sends``: work held for quiet hours, and taking it back when due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery.store.tables import deferred_sends


@dataclass(frozen=True)
class Deferred:
    campaign_id: str
    message_ids: list[str]


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


async def hold(
    conn: AsyncConnection, campaign_id: str, message_ids: Sequence[str], not_before: datetime
) -> None:
    await conn.execute(
        insert(deferred_sends).values(
            campaign_id=campaign_id,
            message_ids=list(message_ids),
            not_before=_naive(not_before),
            created_at=_naive(datetime.now(UTC)),
        )
    )


async def take_due(conn: AsyncConnection, now: datetime, limit: int) -> list[Deferred]:
    """Due work, removed in this transaction (locked rows are another sweeper's)."""
    rows = (
        await conn.execute(
            select(deferred_sends.c.id, deferred_sends.c.campaign_id, deferred_sends.c.message_ids)
            .where(deferred_sends.c.not_before <= _naive(now))
            .order_by(deferred_sends.c.not_before)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if rows:
        await conn.execute(
            delete(deferred_sends).where(deferred_sends.c.id.in_([r.id for r in rows]))
        )
    return [Deferred(r.campaign_id, list(r.message_ids)) for r in rows]
