"""Queries on ``delivery_deltas`` (the event log) and ``series_buckets`` (the chart)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.stats.domain.counters import Delta, iso
from services.stats.domain.reconcile import Counts
from services.stats.store.tables import delivery_deltas, series_buckets


async def record(
    conn: AsyncConnection, event_id: str, at: datetime, deltas: Sequence[Delta]
) -> None:
    """Keep what one event added to each campaign, in the transaction that adds it."""
    if not deltas:
        return
    await conn.execute(
        delivery_deltas.insert(),
        [
            {
                "campaign_id": d.campaign_id,
                "event_id": event_id,
                "queued": d.queued,
                "sent": d.sent,
                "failed": d.failed,
                "cancelled": d.cancelled,
                "at": at,
            }
            for d in deltas
        ],
    )


async def add_to_series(conn: AsyncConnection, second: datetime, deltas: Sequence[Delta]) -> None:
    rows = [
        {"campaign_id": d.campaign_id, "bucket": second, "sent": d.sent, "failed": d.failed}
        for d in deltas
        if d.sent or d.failed
    ]
    if not rows:
        return
    stmt = insert(series_buckets)
    await conn.execute(
        stmt.on_duplicate_key_update(
            sent=series_buckets.c.sent + stmt.inserted.sent,
            failed=series_buckets.c.failed + stmt.inserted.failed,
        ),
        rows,
    )


async def recount(conn: AsyncConnection, campaign_id: str) -> Counts:
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(delivery_deltas.c.queued), 0),
                func.coalesce(func.sum(delivery_deltas.c.sent), 0),
                func.coalesce(func.sum(delivery_deltas.c.failed), 0),
                func.coalesce(func.sum(delivery_deltas.c.cancelled), 0),
            ).where(delivery_deltas.c.campaign_id == campaign_id)
        )
    ).one()
    return Counts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def series(
    conn: AsyncConnection, campaign_id: str, *, after: datetime | None, limit: int
) -> tuple[list[dict[str, Any]], datetime | None]:
    """Per-second buckets, oldest first; the second element is the key of the next page."""
    query = (
        select(series_buckets.c.bucket, series_buckets.c.sent, series_buckets.c.failed)
        .where(series_buckets.c.campaign_id == campaign_id)
        .order_by(series_buckets.c.bucket)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(series_buckets.c.bucket > after)
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"at": iso(r.bucket), "sent": int(r.sent), "failed": int(r.failed)} for r in rows]
    return items, (rows[-1].bucket if more else None)
