"""Queries on ``communications_log``: writing an audience's messages, what the sender reads
and marks, and the paged read of the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery.domain.messages import Message
from services.delivery.domain.status import Status
from services.delivery.store.tables import campaigns
from services.delivery.store.tables import communications_log as log

CHUNK = 1000


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Inserted:
    created: dict[Status, int]  # new rows per status
    to_send: list[str]  # message ids of the new PENDING rows


async def insert_messages(
    conn: AsyncConnection, messages: Sequence[Message], *, cancelled: bool = False
) -> Inserted:
    """Insert the messages not in the log yet (by campaign and customer): how many of each
    status were new, and which are to be sent.

    Known messages are filtered out first (a redelivered batch writes nothing, and the
    driver logs a warning per row IGNORE skips); multi-row INSERT IGNORE then only skips a
    row a concurrent transaction inserted meanwhile. Every value fits its column by
    construction, so a duplicate key is the only thing IGNORE can skip.
    """
    created = {Status.PENDING: 0, Status.FAILED: 0, Status.CANCELLED: 0}
    known = await _known_message_ids(conn, [m.message_id for m in messages])
    messages = [m for m in messages if m.message_id not in known]
    if cancelled:  # the campaign was cancelled: its late batches are never sent
        messages = [
            replace(m, status=Status.CANCELLED) if m.status is Status.PENDING else m
            for m in messages
        ]
    stamp = now()
    for status in created:
        rows = [
            {
                "message_id": m.message_id,
                "campaign_id": m.campaign_id,
                "customer_id": m.customer_id,
                "recipient": m.to,
                "message": m.body,
                "subject": m.subject,
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
    # A row skipped by IGNORE (a concurrent redelivery wrote it first) may be listed here
    # and in that transaction's work item too: sent twice, the vendor dedupes it by id.
    to_send = [m.message_id for m in messages if m.status is Status.PENDING]
    return Inserted(created, to_send)


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
    customer_id: str = ""
    channel: str = "sms"  # the campaign's: which adapter sends it
    subject: str | None = None  # an email's


async def unsent(conn: AsyncConnection, message_ids: Sequence[str]) -> list[Outgoing]:
    """Those of ``message_ids`` still to send: PENDING, not yet accepted by the vendor, of a
    campaign neither paused nor cancelled (read just before the vendor call: a pause takes
    effect at the next batch).

    No locks: a work item reaches one sender at a time (RabbitMQ), and a redelivered one
    that races its first delivery only re-sends messages the vendor dedupes by id.
    """
    out: list[Outgoing] = []
    for start in range(0, len(message_ids), CHUNK):
        rows = await conn.execute(
            select(
                log.c.id,
                log.c.message_id,
                log.c.recipient,
                log.c.message,
                log.c.customer_id,
                log.c.subject,
                campaigns.c.channel,
            )
            .join(campaigns, campaigns.c.campaign_id == log.c.campaign_id)
            .where(
                log.c.message_id.in_(message_ids[start : start + CHUNK]),
                log.c.status == Status.PENDING.value,
                log.c.sent_to_vendor_at.is_(None),
                campaigns.c.state == "active",
            )
        )
        out.extend(
            Outgoing(
                r.id,
                r.message_id,
                r.recipient or "",
                r.message,
                r.customer_id,
                r.channel,
                r.subject,
            )
            for r in rows
        )
    return out


async def cancel_unsent(conn: AsyncConnection, campaign_id: str) -> int:
    """Every message of the campaign not handed to the vendor yet: CANCELLED. How many."""
    result = await conn.execute(
        update(log)
        .where(
            log.c.campaign_id == campaign_id,
            log.c.status == Status.PENDING.value,
            log.c.sent_to_vendor_at.is_(None),
        )
        .values(status=Status.CANCELLED.value, updated_at=now())
    )
    return int(result.rowcount)


async def unsent_ids(conn: AsyncConnection, campaign_id: str) -> list[str]:
    """Message ids of the campaign's PENDING rows not handed to the vendor yet (a resumed
    campaign's work), in id order."""
    rows = await conn.execute(
        select(log.c.message_id)
        .where(
            log.c.campaign_id == campaign_id,
            log.c.status == Status.PENDING.value,
            log.c.sent_to_vendor_at.is_(None),
        )
        .order_by(log.c.id)
    )
    return [r.message_id for r in rows]


async def mark_accepted(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """The vendor answered 202: these are never sent again (whatever their status now)."""
    stamp = now()
    for start in range(0, len(ids), CHUNK):
        await conn.execute(
            update(log)
            .where(log.c.id.in_(ids[start : start + CHUNK]), log.c.sent_to_vendor_at.is_(None))
            .values(sent_to_vendor_at=stamp)
        )


_PUBLIC = (
    log.c.message_id,
    log.c.campaign_id,
    log.c.customer_id,
    log.c.message,
    log.c.subject,
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
    customer_id: str | None = None,
    newest_first: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """Log rows in insertion order after ``after_id`` (newest first: before it, 0 meaning
    from the newest); the last id when more may follow."""
    query = select(log.c.id, *_PUBLIC)
    if newest_first:
        query = query.where(log.c.id < after_id) if after_id else query
    else:
        query = query.where(log.c.id > after_id)
    if campaign_id is not None:
        query = query.where(log.c.campaign_id == campaign_id)
    if customer_id is not None:
        query = query.where(log.c.customer_id == customer_id)
    if status is not None:
        query = query.where(log.c.status == status.value)
    ordered = log.c.id.desc() if newest_first else log.c.id
    rows = (await conn.execute(query.order_by(ordered).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for r in rows:
        item = {k: v for k, v in r._mapping.items() if k != "id"}
        for key in ("sent_to_vendor_at", "created_at", "updated_at"):
            item[key] = _iso(item[key])
        items.append(item)
    return items, (rows[-1].id if more else None)


ERASED_MESSAGE = "(erased)"


async def forget_customer(
    conn: AsyncConnection, customer_ids: Sequence[str], tombstone: str
) -> int:
    """An erased person's log rows keep their status and times (the campaign's counts stay
    true) but lose the address and the rendered text, and name the tombstone. A scan of
    the log by ``ix_log_customer``."""
    result = await conn.execute(
        log.update()
        .where(log.c.customer_id.in_(list(customer_ids)))
        .values(
            customer_id=tombstone,
            recipient=None,
            message=ERASED_MESSAGE,
            subject=None,
            updated_at=now(),
        )
    )
    return int(result.rowcount)


async def unsent_of_active_campaigns(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(campaign id, message id) of every PENDING row not handed to the vendor yet whose
    campaign is active, in id order: the rows a work item should name (``requeue``)."""
    rows = await conn.execute(
        select(log.c.campaign_id, log.c.message_id)
        .join(campaigns, campaigns.c.campaign_id == log.c.campaign_id)
        .where(
            log.c.status == Status.PENDING.value,
            log.c.sent_to_vendor_at.is_(None),
            campaigns.c.state == "active",
        )
        .order_by(log.c.id)
    )
    return [(r.campaign_id, r.message_id) for r in rows]
