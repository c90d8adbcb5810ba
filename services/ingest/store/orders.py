"""Queries on ``orders``: idempotent multi-row insert by ``order_id`` and the reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain.models import Order
from services.ingest.store.tables import orders

CHUNK = 1000
_PUBLIC = (
    orders.c.order_id,
    orders.c.customer_id,
    orders.c.amount,
    orders.c.ordered_at,
    orders.c.recorded_at,
)


async def record_new(conn: AsyncConnection, batch: Sequence[Order]) -> list[Order]:
    """Store the orders not stored yet; return exactly those (first copy of a repeated id).

    An order is stored whether or not its customer has arrived: there is no foreign key.
    """
    wanted: dict[str, Order] = {}
    for order in batch:
        wanted.setdefault(order.order_id, order)
    known: set[str] = set()
    ids = list(wanted)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = await conn.execute(select(orders.c.order_id).where(orders.c.order_id.in_(chunk)))
        known.update(r.order_id for r in rows)
    fresh = [o for oid, o in wanted.items() if oid not in known]
    now = datetime.now(UTC).replace(tzinfo=None)
    for start in range(0, len(fresh), CHUNK):
        await conn.execute(
            insert(orders).prefix_with("IGNORE"),
            [
                {
                    "order_id": o.order_id,
                    "customer_id": o.customer_id,
                    "amount": o.amount,
                    "ordered_at": o.ordered_at.astimezone(UTC).replace(tzinfo=None),
                    "recorded_at": now,
                }
                for o in fresh[start : start + CHUNK]
            ],
        )
    return fresh


def _as_json(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "id"}
    out["amount"] = str(out["amount"])
    for key in ("ordered_at", "recorded_at"):
        out[key] = out[key].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return out


async def page(
    conn: AsyncConnection, *, after_id: int, limit: int, customer_id: str | None
) -> tuple[list[dict[str, Any]], int | None]:
    query = select(orders.c.id, *_PUBLIC).where(orders.c.id > after_id)
    if customer_id is not None:
        query = query.where(orders.c.customer_id == customer_id)
    rows = (await conn.execute(query.order_by(orders.c.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_as_json(r._mapping) for r in rows], (rows[-1].id if more else None)


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(orders))).scalar_one())
