"""Queries on ``orders``: idempotent multi-row insert by ``order_id`` and the reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.store.tables import orders
from shared.db import execute_rows

CHUNK = 1000
_PUBLIC = (
    orders.c.order_id,
    orders.c.customer_id,
    orders.c.amount,
    orders.c.ordered_at,
    orders.c.recorded_at,
)


_INSERT = (
    "INSERT IGNORE INTO orders (order_id, customer_id, amount, ordered_at, recorded_at)"
    " VALUES (%s, %s, %s, %s, %s)"
)


def _db_time(iso: str) -> str:
    """``2025-01-02T03:04:05.123Z`` (UTC, as the API writes it) as a DATETIME literal."""
    return iso.replace("T", " ").removesuffix("Z")


async def record_new(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store the orders not stored yet; return exactly those (first copy of a repeated id).

    Rows are as the API wrote them (validated, UTC times, amounts as strings). One
    ``INSERT IGNORE`` per chunk, its rows bound in binary in one round trip
    (``shared.db.execute_rows``); when it stored every row, the usual case,
    nothing else is read, else the rows it stored are found by this call's ``recorded_at``.
    An order is stored whether or not its customer has arrived: there is no foreign key.
    """
    wanted: dict[str, dict[str, Any]] = {}
    for row in rows:
        wanted.setdefault(row["order_id"], row)
    now = datetime.now(UTC).replace(tzinfo=None)
    fresh: list[dict[str, Any]] = []
    items = [wanted[order_id] for order_id in sorted(wanted)]  # one lock order for all
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        inserted = await execute_rows(
            conn,
            _INSERT,
            [
                (r["order_id"], r["customer_id"], r["amount"], _db_time(r["ordered_at"]), now)
                for r in chunk
            ],
        )
        if inserted == len(chunk):
            fresh.extend(chunk)
            continue
        stored = await conn.execute(
            select(orders.c.order_id).where(
                orders.c.order_id.in_([r["order_id"] for r in chunk]), orders.c.recorded_at == now
            )
        )
        new_ids = {r.order_id for r in stored}
        fresh.extend(r for r in chunk if r["order_id"] in new_ids)
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
