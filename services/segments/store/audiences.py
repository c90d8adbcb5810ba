"""Materialised audiences: the members of a campaign's audience as of its launch.

:func:`materialise` copies the matching profiles into ``audience_members`` in one
INSERT ... SELECT, which reads one consistent snapshot, numbering members in a fixed order;
publishing then reads them back by range, so a resumed publish re-sends identical batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, literal, select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.store.tables import audience_members, audiences, profiles


@dataclass(frozen=True)
class Audience:
    campaign_id: str
    size: int
    batches: int
    published_batches: int
    completed: bool
    correlation_id: str | None = None
    error: str | None = None
    test: bool = False
    traceparent: str | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def get(conn: AsyncConnection, campaign_id: str) -> Audience | None:
    row = (
        await conn.execute(select(audiences).where(audiences.c.campaign_id == campaign_id))
    ).first()
    return _audience(row) if row else None


def _audience(row: Any) -> Audience:
    return Audience(
        row.campaign_id,
        row.size,
        row.batches,
        row.published_batches,
        row.completed_at is not None,
        row.correlation_id,
        row.error,
        bool(row.test),
        row.traceparent,
    )


async def lock_unfinished(conn: AsyncConnection) -> Audience | None:
    """The oldest audience still being published that no other publisher holds."""
    row = (
        await conn.execute(
            select(audiences)
            .where(audiences.c.completed_at.is_(None))
            .order_by(audiences.c.resolved_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    return _audience(row) if row else None


async def claim(
    conn: AsyncConnection,
    campaign_id: str,
    correlation_id: str | None,
    *,
    test: bool = False,
    traceparent: str | None = None,
) -> bool:
    """Take the campaign's audience row; False when another launch event already did.

    The primary key serialises concurrent launch events of one campaign: a second one waits
    for the first to commit, then finds the row.
    """
    result = await conn.execute(
        insert(audiences)
        .prefix_with("IGNORE")
        .values(
            campaign_id=campaign_id,
            size=0,
            batches=0,
            correlation_id=correlation_id,
            traceparent=traceparent,
            resolved_at=_now(),
            test=test,
        )
    )
    return result.rowcount == 1


async def materialise(
    conn: AsyncConnection, campaign_id: str, condition: ColumnElement[bool], batch_size: int
) -> int:
    """Copy the audience into ``audience_members``; returns its size."""
    members = select(
        literal(campaign_id),
        func.row_number().over(order_by=profiles.c.customer_id),
        profiles.c.customer_id,
        profiles.c.name,
        profiles.c.email,
        profiles.c.phone,
    ).where(profiles.c.known.is_(True), condition)
    result = await conn.execute(
        audience_members.insert().from_select(
            ["campaign_id", "seq", "customer_id", "name", "email", "phone"], members
        )
    )
    size = int(result.rowcount)
    await conn.execute(
        update(audiences)
        .where(audiences.c.campaign_id == campaign_id)
        .values(size=size, batches=(size + batch_size - 1) // batch_size)
    )
    return size


async def add_guests(
    conn: AsyncConnection, campaign_id: str, guests: list[dict[str, Any]], batch_size: int
) -> int:
    """Append people who are not customers (a test send's sender) after the members; the
    audience's new size."""
    size = int(
        await conn.scalar(select(audiences.c.size).where(audiences.c.campaign_id == campaign_id))
        or 0
    )
    if guests:
        await conn.execute(
            audience_members.insert(),
            [
                {
                    "campaign_id": campaign_id,
                    "seq": size + n,
                    "customer_id": g["customer_id"],
                    "name": g.get("name"),
                    "email": g["email"],
                    "phone": None,
                }
                for n, g in enumerate(guests, start=1)
            ],
        )
        size += len(guests)
        await conn.execute(
            update(audiences)
            .where(audiences.c.campaign_id == campaign_id)
            .values(size=size, batches=(size + batch_size - 1) // batch_size)
        )
    return size


_MEMBERS = (
    "SELECT customer_id, name, email, phone FROM audience_members"
    " WHERE campaign_id = %s AND seq BETWEEN %s AND %s ORDER BY seq"
)


async def members(
    conn: AsyncConnection, campaign_id: str, first_seq: int, last_seq: int
) -> list[dict[str, Any]]:
    # Driver level: SQLAlchemy's per-row Row/_mapping handling was half of each batch.
    result = await conn.exec_driver_sql(_MEMBERS, (campaign_id, first_seq, last_seq))
    keys = ("customer_id", "name", "email", "phone")
    return [dict(zip(keys, row, strict=True)) for row in result.fetchall()]


async def mark_published(
    conn: AsyncConnection, campaign_id: str, batches: int, completed: bool
) -> None:
    await conn.execute(
        update(audiences)
        .where(audiences.c.campaign_id == campaign_id)
        .values(published_batches=batches, completed_at=_now() if completed else None)
    )


async def record_failure(conn: AsyncConnection, campaign_id: str, error: str) -> None:
    """An audience that cannot be resolved: published as size 0 with the reason."""
    await conn.execute(
        update(audiences).where(audiences.c.campaign_id == campaign_id).values(error=error[:1000])
    )


async def prune_members(conn: AsyncConnection, cutoff: datetime) -> int:
    """Forget the members of audiences published before ``cutoff`` (their campaigns keep
    their own copy in delivery's log); one batch of at most 5,000 rows per call."""
    done = (
        select(audience_members.c.campaign_id)
        .join(audiences, audiences.c.campaign_id == audience_members.c.campaign_id)
        .where(audiences.c.completed_at < cutoff)
        .limit(1)
    )
    campaign_id = (await conn.execute(done)).scalar()
    if campaign_id is None:
        return 0
    statement = (
        delete(audience_members)
        .where(audience_members.c.campaign_id == campaign_id)
        .with_dialect_options(mysql_limit=5_000)
    )
    return int((await conn.execute(statement)).rowcount)


async def forget_members(conn: AsyncConnection, customer_ids: list[str], tombstone: str) -> None:
    """An erased person leaves every materialised audience's member rows: their contact
    details gone, their id the tombstone (the numbering stays, so batches stay stable)."""
    await conn.execute(
        update(audience_members)
        .where(audience_members.c.customer_id.in_(customer_ids))
        .values(customer_id=tombstone, name=None, email=None, phone=None)
    )
