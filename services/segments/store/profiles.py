"""Queries on ``profiles`` and ``profile_orders``: the projection's writes and reads.

Both writes are single multi-row upserts, safe under concurrent workers: identity takes the
newest customer ``version`` (so reordered events never move a profile back), aggregates are
added in place (so two workers adding orders of one customer both count). Rows are sorted
by key to keep lock order stable and deadlocks rare.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, text
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.store.tables import inbox, profile_orders, profiles

CHUNK = 1000
IDENTITY = ("name", "email", "phone", "city", "created_at")
PROFILE_COLUMNS = (
    profiles.c.customer_id,
    profiles.c.revision,
    profiles.c.name,
    profiles.c.email,
    profiles.c.phone,
    profiles.c.city,
    profiles.c.created_at,
    profiles.c.total_spend,
    profiles.c.visits,
    profiles.c.first_visit_at,
    profiles.c.last_visit_at,
)


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    customer_id: str
    amount: Decimal
    ordered_at: datetime  # naive UTC


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def upsert_identities(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Apply customers (each with ingest's ``version``); returns the customer ids touched."""
    now = _now()
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if (
            row["customer_id"] not in newest
            or row["version"] > newest[row["customer_id"]]["version"]
        ):
            newest[row["customer_id"]] = row
    ordered = [newest[k] for k in sorted(newest)]
    for start in range(0, len(ordered), CHUNK):
        stmt = insert(profiles).values(
            [
                {
                    "customer_id": r["customer_id"],
                    "known": True,
                    "version": r["version"],
                    "revision": 1,
                    **{k: r.get(k) for k in IDENTITY},
                    "updated_at": now,
                }
                for r in ordered[start : start + CHUNK]
            ]
        )
        newer = stmt.inserted.version > profiles.c.version
        # MariaDB applies these assignments left to right: version must be last, so every
        # identity column still compares against the old version.
        updates: dict[str, Any] = {
            k: case((newer, getattr(stmt.inserted, k)), else_=profiles.c[k]) for k in IDENTITY
        }
        updates.update(
            known=True,
            revision=profiles.c.revision + 1,
            updated_at=now,
            version=func.greatest(profiles.c.version, stmt.inserted.version),
        )
        await conn.execute(stmt.on_duplicate_key_update(list(updates.items())))
    return list(newest)


async def add_orders(conn: AsyncConnection, orders: Sequence[OrderFact]) -> list[str]:
    """Count each order not counted yet into its customer's profile; returns ids touched."""
    wanted: dict[str, OrderFact] = {}
    for order in orders:
        wanted.setdefault(order.order_id, order)
    ids = sorted(wanted)
    known: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        found = await conn.execute(
            select(profile_orders.c.order_id).where(
                profile_orders.c.order_id.in_(ids[start : start + CHUNK])
            )
        )
        known.update(r.order_id for r in found)
    fresh = [wanted[i] for i in ids if i not in known]
    if not fresh:
        return []
    for start in range(0, len(fresh), CHUNK):
        await conn.execute(
            insert(profile_orders).prefix_with("IGNORE"),
            [
                {"order_id": o.order_id, "customer_id": o.customer_id}
                for o in fresh[start : start + CHUNK]
            ],
        )
    totals: dict[str, list[Any]] = {}
    for o in fresh:
        t = totals.setdefault(o.customer_id, [Decimal(0), 0, o.ordered_at, o.ordered_at])
        t[0] += o.amount
        t[1] += 1
        t[2] = min(t[2], o.ordered_at)
        t[3] = max(t[3], o.ordered_at)
    now = _now()
    customers = sorted(totals)
    for start in range(0, len(customers), CHUNK):
        stmt = insert(profiles).values(
            [
                {
                    "customer_id": c,
                    "known": False,
                    "revision": 1,
                    "total_spend": totals[c][0],
                    "visits": totals[c][1],
                    "first_visit_at": totals[c][2],
                    "last_visit_at": totals[c][3],
                    "updated_at": now,
                }
                for c in customers[start : start + CHUNK]
            ]
        )
        await conn.execute(
            stmt.on_duplicate_key_update(
                total_spend=profiles.c.total_spend + stmt.inserted.total_spend,
                visits=profiles.c.visits + stmt.inserted.visits,
                first_visit_at=func.least(
                    func.coalesce(profiles.c.first_visit_at, stmt.inserted.first_visit_at),
                    stmt.inserted.first_visit_at,
                ),
                last_visit_at=func.greatest(
                    func.coalesce(profiles.c.last_visit_at, stmt.inserted.last_visit_at),
                    stmt.inserted.last_visit_at,
                ),
                revision=profiles.c.revision + 1,
                updated_at=now,
            )
        )
    return customers


async def known_profiles(
    conn: AsyncConnection, customer_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The current state of the given profiles whose customer is known."""
    out: list[dict[str, Any]] = []
    ids = list(customer_ids)
    for start in range(0, len(ids), CHUNK):
        rows = await conn.execute(
            select(*PROFILE_COLUMNS).where(
                profiles.c.known.is_(True), profiles.c.customer_id.in_(ids[start : start + CHUNK])
            )
        )
        out.extend(dict(r._mapping) for r in rows)
    return out


async def stream_known(conn: AsyncConnection, chunk: int = 20_000) -> AsyncIterator[list[Any]]:
    """Every known profile, in key order, a chunk at a time (for loading the cache)."""
    after = ""
    while True:
        rows = (
            await conn.execute(
                select(*PROFILE_COLUMNS)
                .where(profiles.c.known.is_(True), profiles.c.customer_id > after)
                .order_by(profiles.c.customer_id)
                .limit(chunk)
            )
        ).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1].customer_id


async def count_where(conn: AsyncConnection, condition: ColumnElement[bool]) -> int:
    query = (
        select(func.count())
        .select_from(profiles)
        .where(and_(profiles.c.known.is_(True), condition))
    )
    return int((await conn.execute(query)).scalar_one())


async def sample_where(
    conn: AsyncConnection, condition: ColumnElement[bool], limit: int
) -> list[dict[str, Any]]:
    query = (
        select(profiles.c.customer_id, profiles.c.name)
        .where(and_(profiles.c.known.is_(True), condition))
        .order_by(profiles.c.customer_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def reset(conn: AsyncConnection, consumer: str) -> None:
    """Forget every profile and every applied ingest event, ready for a replay."""
    await conn.execute(text("DELETE FROM profiles"))
    await conn.execute(text("DELETE FROM profile_orders"))
    await conn.execute(inbox.delete().where(inbox.c.consumer == consumer))
