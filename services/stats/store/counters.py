"""Queries on ``campaign_stats``: the counters, their snapshots, lists and totals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.stats.domain.counters import CampaignCounters, Delta
from services.stats.domain.reconcile import Counts
from services.stats.store.tables import campaign_stats as t


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def counters_of(row: Any) -> CampaignCounters:
    m = row._mapping
    return CampaignCounters(
        campaign_id=m["campaign_id"],
        name=m["name"],
        audience_size=m["audience_size"],
        queued=int(m["queued"]),
        sent=int(m["sent"]),
        failed=int(m["failed"]),
        revision=int(m["revision"]),
        first_update_at=m["first_update_at"],
        updated_at=m["updated_at"],
        cancelled=int(m["cancelled"]),
    )


async def touch(
    conn: AsyncConnection,
    campaign_id: str,
    at: datetime,
    *,
    name: str | None = None,
    audience_size: int | None = None,
    delta: Delta | None = None,
) -> None:
    """Apply one change, creating the row on first sight (events arrive in any order).

    The upsert takes the row lock, which the caller's transaction holds until it commits:
    the revision bump, the deltas log and the snapshot read after it are one atomic step.
    """
    stmt = insert(t).values(
        campaign_id=campaign_id,
        name=name,
        audience_size=audience_size,
        queued=delta.queued if delta else 0,
        sent=delta.sent if delta else 0,
        failed=delta.failed if delta else 0,
        cancelled=delta.cancelled if delta else 0,
        revision=1,
        first_update_at=at,
        updated_at=at,
    )
    changes: dict[str, Any] = {
        "revision": t.c.revision + 1,
        # Workers' clocks differ a little; the last update time never moves backwards.
        "updated_at": func.greatest(t.c.updated_at, stmt.inserted.updated_at),
    }
    if delta is not None:
        changes.update(
            queued=t.c.queued + stmt.inserted.queued,
            sent=t.c.sent + stmt.inserted.sent,
            failed=t.c.failed + stmt.inserted.failed,
            cancelled=t.c.cancelled + stmt.inserted.cancelled,
        )
    if name is not None:
        changes["name"] = stmt.inserted.name
    if audience_size is not None:
        changes["audience_size"] = stmt.inserted.audience_size
    await conn.execute(stmt.on_duplicate_key_update(**changes))


async def get(
    conn: AsyncConnection, campaign_id: str, *, lock: bool = False
) -> CampaignCounters | None:
    query = select(t).where(t.c.campaign_id == campaign_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    return counters_of(row) if row else None


async def get_many(conn: AsyncConnection, campaign_ids: list[str]) -> list[CampaignCounters]:
    if not campaign_ids:
        return []
    rows = await conn.execute(select(t).where(t.c.campaign_id.in_(campaign_ids)))
    found = {c.campaign_id: c for c in map(counters_of, rows)}
    return [found[cid] for cid in campaign_ids if cid in found]


async def page(
    conn: AsyncConnection, *, after: tuple[datetime, str] | None, limit: int
) -> tuple[list[CampaignCounters], tuple[datetime, str] | None]:
    """Most recently updated first; ``after`` is the last (updated_at, id) of the previous
    page."""
    query = select(t).order_by(t.c.updated_at.desc(), t.c.campaign_id.desc()).limit(limit + 1)
    if after is not None:
        at, cid = after
        query = query.where(
            or_(t.c.updated_at < at, and_(t.c.updated_at == at, t.c.campaign_id < cid))
        )
    items = [counters_of(r) for r in await conn.execute(query)]
    more = len(items) > limit
    items = items[:limit]
    return items, ((items[-1].updated_at, items[-1].campaign_id) if more else None)


async def overview(conn: AsyncConnection, since: datetime) -> dict[str, int]:
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(t.c.audience_size), 0),
                func.coalesce(func.sum(t.c.queued), 0),
                func.coalesce(func.sum(t.c.sent), 0),
                func.coalesce(func.sum(t.c.failed), 0),
                func.coalesce(func.sum(t.c.cancelled), 0),
            ).where(t.c.updated_at >= since)
        )
    ).one()
    campaigns, audience, queued, sent, failed, cancelled = (int(v) for v in row)
    return {
        "campaigns": campaigns,
        "audience": audience,
        "queued": queued,
        "sent": sent,
        "failed": failed,
        "cancelled": cancelled,
    }


async def set_counts(conn: AsyncConnection, campaign_id: str, counts: Counts) -> None:
    """Overwrite the counters (reconciliation's fix), as a change like any other."""
    await conn.execute(
        update(t)
        .where(t.c.campaign_id == campaign_id)
        .values(
            queued=counts.queued,
            sent=counts.sent,
            failed=counts.failed,
            cancelled=counts.cancelled,
            revision=t.c.revision + 1,
            updated_at=func.greatest(t.c.updated_at, now()),
        )
    )


async def ids_after(conn: AsyncConnection, after: str | None, limit: int) -> list[str]:
    query = select(t.c.campaign_id).order_by(t.c.campaign_id).limit(limit)
    if after is not None:
        query = query.where(t.c.campaign_id > after)
    return [r.campaign_id for r in await conn.execute(query)]
