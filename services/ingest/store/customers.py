"""Queries on ``customers``: the multi-row upsert and the reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain.models import Customer
from services.ingest.store.tables import customers

CHUNK = 1000
_PUBLIC = (
    customers.c.customer_id,
    customers.c.name,
    customers.c.email,
    customers.c.phone,
    customers.c.city,
    # When the shop does not say when a customer joined, it is when we first saw them.
    func.coalesce(customers.c.created_at, customers.c.first_seen_at).label("created_at"),
    customers.c.updated_at,
)


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value else None


async def upsert(conn: AsyncConnection, batch: Sequence[Customer]) -> list[dict[str, Any]]:
    """Insert or replace customers by ``customer_id``; return them as stored, with versions.

    A customer sent again without ``created_at`` keeps the one already known. Rows are
    written in key order (a stable sort: a later copy of a customer still wins), so
    concurrent batches lock them in one order.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    batch = sorted(batch, key=lambda c: c.customer_id)
    for start in range(0, len(batch), CHUNK):
        stmt = insert(customers).values(
            [
                {
                    "customer_id": c.customer_id,
                    "name": c.name,
                    "email": c.email,
                    "phone": c.phone,
                    "city": c.city,
                    "created_at": _naive(c.created_at),
                    "first_seen_at": now,
                    "updated_at": now,
                }
                for c in batch[start : start + CHUNK]
            ]
        )
        await conn.execute(
            stmt.on_duplicate_key_update(
                name=stmt.inserted.name,
                email=stmt.inserted.email,
                phone=stmt.inserted.phone,
                city=stmt.inserted.city,
                created_at=func.coalesce(stmt.inserted.created_at, customers.c.created_at),
                updated_at=stmt.inserted.updated_at,
                version=customers.c.version + 1,
            )
        )
    stored = await conn.execute(
        select(*_PUBLIC, customers.c.version).where(
            customers.c.customer_id.in_({c.customer_id for c in batch})
        )
    )
    return [_as_json(row._mapping) for row in stored]


def _as_json(row: Any) -> dict[str, Any]:
    out = dict(row)
    for key in ("created_at", "updated_at"):
        if out.get(key) is not None:
            out[key] = out[key].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return out


async def get(conn: AsyncConnection, customer_id: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(select(*_PUBLIC).where(customers.c.customer_id == customer_id))
    ).first()
    return _as_json(row._mapping) if row else None


def _matching(q: str) -> ColumnElement[bool]:
    """Customers whose id, name or email starts with ``q`` (LIKE wildcards taken literally)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        customers.c.customer_id.like(escaped),
        customers.c.name.like(escaped),
        customers.c.email.like(escaped),
    )


async def page(
    conn: AsyncConnection, *, after_id: int, limit: int, q: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Customers in insertion order after ``after_id`` (those matching ``q`` when given);
    the last id when more may follow."""
    query = select(customers.c.id, *_PUBLIC).where(customers.c.id > after_id)
    if q:
        query = query.where(_matching(q))
    rows = (await conn.execute(query.order_by(customers.c.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_as_json({k: v for k, v in r._mapping.items() if k != "id"}) for r in rows]
    return items, (rows[-1].id if more else None)


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(customers))).scalar_one())
