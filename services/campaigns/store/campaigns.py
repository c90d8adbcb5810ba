"""Queries on ``campaigns`` and ``known_segments``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.campaigns.domain.campaign import sentence_of
from services.campaigns.store.tables import campaigns, known_segments
from shared.db import contains_pattern


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def as_json(row: Any) -> dict[str, Any]:
    m = row._mapping
    size = m["audience_size"]
    return {
        "id": m["id"],
        "name": m["name"],
        "status": m["status"],
        "reason": m["reason"],
        "message": m["message"],
        "channel": m["channel"],
        "subject": m["subject"],
        "rules": m["rules"],
        "rules_sentence": m["rules_sentence"] or sentence_of(m["rules"]),
        "segment_id": m["segment_id"],
        "schedule_at": _iso(m["schedule_at"]),
        "audience_size": size,
        "max_audience": m["max_audience"],
        "queued": m["queued"],
        "sent": m["sent"],
        "failed": m["failed"],
        "cancelled": m["cancelled"],
        "pending": None
        if size is None
        else max(size - m["sent"] - m["failed"] - m["cancelled"], 0),
        "test": bool(m["test"]),
        "created_at": _iso(m["created_at"]),
        "launched_at": _iso(m["launched_at"]),
        "paused_at": _iso(m["paused_at"]),
        "cancelled_at": _iso(m["cancelled_at"]),
        "completed_at": _iso(m["completed_at"]),
        "updated_at": _iso(m["updated_at"]),
        "created_by": {"sub": m["created_by_sub"], "email": m["created_by_email"]}
        if m["created_by_sub"]
        else None,
    }


async def insert_campaign(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    stamp = now()
    await conn.execute(campaigns.insert().values(**values, created_at=stamp, updated_at=stamp))
    found = await get(conn, values["id"])
    assert found is not None
    return found


async def get(
    conn: AsyncConnection, campaign_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    query = select(campaigns).where(campaigns.c.id == campaign_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    return as_json(row) if row else None


@dataclass(frozen=True)
class Filters:
    """What a person narrows the campaign history to."""

    q: str | None = None  # the name contains this
    status: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    oldest_first: bool = False


async def page(
    conn: AsyncConnection, *, before_seq: int | None, limit: int, filters: Filters
) -> tuple[list[dict[str, Any]], int | None]:
    """Campaigns (test sends aside), newest first (or oldest), after the cursor."""
    query = select(campaigns).where(campaigns.c.test.is_(False))
    if filters.q:
        query = query.where(campaigns.c.name.like(contains_pattern(filters.q)))
    if filters.status:
        query = query.where(campaigns.c.status == filters.status)
    if filters.since:
        query = query.where(campaigns.c.created_at >= filters.since)
    if filters.until:
        query = query.where(campaigns.c.created_at < filters.until)
    if before_seq is not None:
        query = query.where(
            campaigns.c.seq > before_seq if filters.oldest_first else campaigns.c.seq < before_seq
        )
    order = campaigns.c.seq if filters.oldest_first else campaigns.c.seq.desc()
    rows = (await conn.execute(query.order_by(order).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [as_json(r) for r in rows], (rows[-1].seq if more else None)


async def set_fields(conn: AsyncConnection, campaign_id: str, **values: Any) -> None:
    await conn.execute(
        update(campaigns).where(campaigns.c.id == campaign_id).values(**values, updated_at=now())
    )


async def add_counts(
    conn: AsyncConnection,
    campaign_id: str,
    queued: int,
    sent: int,
    failed: int,
    cancelled: int = 0,
) -> bool:
    result = await conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(
            queued=campaigns.c.queued + queued,
            sent=campaigns.c.sent + sent,
            failed=campaigns.c.failed + failed,
            cancelled=campaigns.c.cancelled + cancelled,
            updated_at=now(),
        )
    )
    return bool(result.rowcount)


async def lock_due(conn: AsyncConnection, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(campaigns)
        .where(campaigns.c.status == "scheduled", campaigns.c.schedule_at <= now())
        .order_by(campaigns.c.schedule_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [as_json(r) for r in rows]


async def save_segment(conn: AsyncConnection, segment_id: str, name: str, rules: Any) -> None:
    stmt = insert(known_segments).values(
        segment_id=segment_id, name=name, rules=rules, deleted=False, updated_at=now()
    )
    await conn.execute(
        stmt.on_duplicate_key_update(
            name=stmt.inserted.name, rules=stmt.inserted.rules, deleted=False, updated_at=now()
        )
    )


async def delete_segment(conn: AsyncConnection, segment_id: str) -> None:
    await conn.execute(
        update(known_segments)
        .where(known_segments.c.segment_id == segment_id)
        .values(deleted=True, updated_at=now())
    )


async def segment_rules(conn: AsyncConnection, segment_id: str) -> Any | None:
    row = (
        await conn.execute(
            select(known_segments.c.rules).where(
                known_segments.c.segment_id == segment_id, known_segments.c.deleted.is_(False)
            )
        )
    ).first()
    return row.rules if row else None
