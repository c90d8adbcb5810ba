"""Queries on ``communications_log``: writing an audience's messages, the sender's claims,
and the paged read of the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery.domain.messages import Message
from services.delivery.domain.status import Status
from services.delivery.store.tables import communications_log as log

CHUNK = 1000


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def insert_messages(conn: AsyncConnection, messages: Sequence[Message]) -> dict[Status, int]:
    """Insert the messages not in the log yet (by campaign and customer); how many of each
    status were new.

    Known messages are filtered out first (a redelivered batch writes nothing, and the
    driver logs a warning per row IGNORE skips); multi-row INSERT IGNORE then only skips a
    row a concurrent transaction inserted meanwhile. Every value fits its column by
    construction, so a duplicate key is the only thing IGNORE can skip.
    """
    created = {Status.PENDING: 0, Status.FAILED: 0}
    known = await _known_message_ids(conn, [m.message_id for m in messages])
    messages = [m for m in messages if m.message_id not in known]
    stamp = now()
    for status in created:
        rows = [
            {
                "message_id": m.message_id,
                "campaign_id": m.campaign_id,
                "customer_id": m.customer_id,
                "recipient": m.to,
                "message": m.body,
                "status": m.status.value,
                "reason": m.reason,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for m in messages
            if m.status is status
        ]
        for start in range(0, len(rows), CHUNK):
            result = await conn.execute(
                insert(log).prefix_with("IGNORE"), rows[start : start + CHUNK]
            )
            created[status] += int(result.rowcount)
    return created


async def _known_message_ids(conn: AsyncConnection, ids: Sequence[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        rows = await conn.execute(
            select(log.c.message_id).where(log.c.message_id.in_(ids[start : start + CHUNK]))
        )
        known.update(r.message_id for r in rows)
    return known


@dataclass(frozen=True)
class Outgoing:
    id: int
    message_id: str
    to: str
    body: str


async def claim_unsent(
    conn: AsyncConnection, limit: int, lease_s: float, *, after_id: int = 0
) -> list[Outgoing]:
    """Claim up to ``limit`` PENDING messages the vendor has not accepted and nobody holds,
    with ids above ``after_id``, in id order.

    On ``ix_log_to_send`` (``status, sent_to_vendor_at, id``: exactly the rows to send),
    forced: left to itself the optimiser
    may walk another index in id order, locking every row it checks. ``SKIP LOCKED`` lets
    concurrent senders take disjoint rows while this transaction runs; after it commits,
    the lease (``claimed_until``) keeps them apart until the claimer marks the rows
    accepted or the lease lapses.
    """
    stamp = now()
    rows = (
        await conn.execute(
            select(log.c.id, log.c.message_id, log.c.recipient, log.c.message)
            .with_hint(log, "FORCE INDEX (ix_log_to_send)")
            .where(
                log.c.sent_to_vendor_at.is_(None),
                log.c.id > after_id,
                log.c.status == Status.PENDING.value,
                or_(log.c.claimed_until.is_(None), log.c.claimed_until < stamp),
            )
            .order_by(log.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    await conn.execute(
        update(log)
        .where(log.c.id.in_([r.id for r in rows]))
        .values(
            claimed_until=stamp + timedelta(seconds=lease_s),
            send_attempts=log.c.send_attempts + 1,
        )
    )
    return [Outgoing(r.id, r.message_id, r.recipient or "", r.message) for r in rows]


async def mark_accepted(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """The vendor answered 202: these are never sent again (whatever their status now)."""
    stamp = now()
    for start in range(0, len(ids), CHUNK):
        await conn.execute(
            update(log)
            .where(log.c.id.in_(ids[start : start + CHUNK]), log.c.sent_to_vendor_at.is_(None))
            .values(sent_to_vendor_at=stamp, claimed_until=None)
        )


async def release(conn: AsyncConnection, ids: Sequence[int], retry_in_s: float) -> None:
    """Give up a claim without sending: another sender may take the rows after the delay."""
    await conn.execute(
        update(log)
        .where(log.c.id.in_(list(ids)), log.c.sent_to_vendor_at.is_(None))
        .values(claimed_until=now() + timedelta(seconds=retry_in_s))
    )


_PUBLIC = (
    log.c.message_id,
    log.c.campaign_id,
    log.c.customer_id,
    log.c.message,
    log.c.status,
    log.c.reason,
    log.c.sent_to_vendor_at,
    log.c.created_at,
    log.c.updated_at,
)


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


async def page(
    conn: AsyncConnection,
    *,
    campaign_id: str | None,
    status: Status | None,
    after_id: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """Log rows in insertion order after ``after_id``; the last id when more may follow."""
    query = select(log.c.id, *_PUBLIC).where(log.c.id > after_id)
    if campaign_id is not None:
        query = query.where(log.c.campaign_id == campaign_id)
    if status is not None:
        query = query.where(log.c.status == status.value)
    rows = (await conn.execute(query.order_by(log.c.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for r in rows:
        item = {k: v for k, v in r._mapping.items() if k != "id"}
        for key in ("sent_to_vendor_at", "created_at", "updated_at"):
            item[key] = _iso(item[key])
        items.append(item)
    return items, (rows[-1].id if more else None)
