"""Queries on ``orders``: the idempotent upsert by ``order_id`` and the reads.

An order sent again updates the stored one (its status, refund, lines...) unless it is
older than what is stored (its ``updated_at`` before the stored one: stale) or the same
(a true duplicate changes nothing). New orders, the usual case, cost one bulk
``INSERT IGNORE``; only a chunk with orders already stored reads those back (locked) and
compares them in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.store.tables import orders
from shared.db import insert_rows, update_rows

CHUNK = 1000
# What an order is: compared to tell an update from a duplicate, and stored.
CONTENT = (
    "customer_id",
    "customer_email",
    "amount",
    "status",
    "refunded_amount",
    "currency",
    "line_items",
    "ordered_at",
    "source_updated_at",
)
_INSERT_COLUMNS = (
    "order_id",
    *CONTENT,
    "recorded_at",
    "version",
    "import_id",
    "last_import_id",
)


def db_time(iso: str | None) -> str | None:
    """``2025-01-02T03:04:05.123Z`` (UTC, as the API writes it) as a DATETIME literal."""
    return iso.replace("T", " ").removesuffix("Z") if iso else None


def _lines(row: dict[str, Any]) -> str | None:
    lines = row.get("line_items")
    return orjson.dumps(lines).decode() if lines else None


def refunded(row: dict[str, Any]) -> str:
    """The refund as the API's models read it: as sent, or all of a refunded order."""
    given = row.get("refunded_amount")
    if given is not None:
        return str(given)
    return str(row["amount"]) if row.get("status") == "refunded" else "0"


def _content(row: dict[str, Any]) -> tuple[Any, ...]:
    """An incoming order (as the API wrote it) in the stored columns' form."""
    return (
        row["customer_id"],
        row.get("customer_email"),
        str(row["amount"]),
        row.get("status") or "paid",
        refunded(row),
        row.get("currency"),
        _lines(row),
        db_time(row["ordered_at"]),
        db_time(row.get("updated_at")),
    )


def _comparable(values: Sequence[Any]) -> tuple[Any, ...]:
    """Either form (incoming text, stored values) as one comparable tuple."""
    cid, email, amount, status, refund, currency, lines, at, updated = values
    return (
        cid,
        email,
        Decimal(str(amount)),
        status,
        Decimal(str(refund)),
        currency,
        orjson.loads(lines) if isinstance(lines, (str, bytes)) else lines,
        _time(at),
        _time(updated),
    )


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass
class Recorded:
    """What an upsert did: the orders to announce (new or changed, as stored, with their
    versions), each order's outcome, and what changed orders were before (for undo)."""

    announce: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict)  # order_id -> new|updated|...
    before: dict[str, dict[str, Any]] = field(default_factory=dict)


def announced(row: dict[str, Any], version: int) -> dict[str, Any]:
    """An ``order.recorded`` row: the order as stored, in the API's JSON form. The row
    itself (the worker's own copy, made for this batch), completed: no dict per order."""
    row["version"] = version
    row["refunded_amount"] = refunded(row)
    if "status" not in row:
        row["status"] = "paid"
    return row


async def upsert(
    conn: AsyncConnection,
    rows: Sequence[dict[str, Any]],
    import_of: dict[str, int | None],
    now: datetime,
) -> Recorded:
    """Store each order (rows resolved to their customer, as the API wrote them; the last
    copy of a repeated id wins) in one lock order; see the module's docstring."""
    latest: dict[str, dict[str, Any]] = {row["order_id"]: row for row in rows}
    items = [latest[order_id] for order_id in sorted(latest)]
    done = Recorded()
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        rows_of_chunk = []
        for r in chunk:
            import_id = import_of[r["order_id"]]
            rows_of_chunk.append((r["order_id"], *_content(r), now, 1, import_id, import_id))
        inserted = await insert_rows(conn, "orders", _INSERT_COLUMNS, rows_of_chunk, ignore=True)

        if inserted == len(chunk):
            fresh = chunk
            existing: list[dict[str, Any]] = []
        else:
            new_ids = {
                r.order_id
                for r in await conn.execute(
                    select(orders.c.order_id).where(
                        orders.c.order_id.in_([r["order_id"] for r in chunk]),
                        orders.c.recorded_at == now,
                        orders.c.version == 1,
                    )
                )
            }
            fresh = [r for r in chunk if r["order_id"] in new_ids]
            existing = [r for r in chunk if r["order_id"] not in new_ids]
        for r in fresh:
            done.outcome[r["order_id"]] = "new"
            done.announce.append(announced(r, 1))
        if existing:
            await _update_existing(conn, existing, import_of, now, done)
    return done


async def _update_existing(
    conn: AsyncConnection,
    rows: list[dict[str, Any]],
    import_of: dict[str, int | None],
    now: datetime,
    done: Recorded,
) -> None:
    stored = {
        r.order_id: r
        for r in await conn.execute(
            select(
                orders.c.order_id,
                orders.c.version,
                orders.c.removed_at,
                *(orders.c[c] for c in CONTENT),
            )
            .where(orders.c.order_id.in_([r["order_id"] for r in rows]))
            .order_by(orders.c.order_id)
            .with_for_update()
        )
    }
    changes = []
    for row in rows:
        old = stored[row["order_id"]]
        old_content = tuple(getattr(old, c) for c in CONTENT)
        new_content = _content(row)
        incoming, kept = _comparable(new_content), _comparable(old_content)
        updated_at, stored_updated = incoming[-1], kept[-1]
        if updated_at is not None and stored_updated is not None and updated_at < stored_updated:
            done.outcome[row["order_id"]] = "stale"
            continue
        if incoming == kept and old.removed_at is None:
            done.outcome[row["order_id"]] = "unchanged"
            continue
        version = old.version + 1
        done.outcome[row["order_id"]] = "updated"
        done.before[row["order_id"]] = _before(old)
        changes.append(
            (row["order_id"], *new_content, None, now, version, import_of[row["order_id"]])
        )
        done.announce.append(announced(row, version))
    await update_rows(
        conn,
        "orders",
        "order_id",
        (*CONTENT, "removed_at", "changed_at", "version", "last_import_id"),
        changes,
    )


def _before(old: Any) -> dict[str, Any]:
    """A stored order as JSON, for an import's undo."""
    out: dict[str, Any] = {"version": old.version}
    for name in (*CONTENT, "removed_at"):
        value = getattr(old, name)
        if isinstance(value, datetime):
            value = value.isoformat() + "Z"
        elif isinstance(value, Decimal):
            value = str(value)
        elif name == "line_items" and isinstance(value, str):
            value = orjson.loads(value)
        out[name] = value
    return out


async def move(
    conn: AsyncConnection, alias: str, survivor: str, now: datetime
) -> list[tuple[str, dict[str, Any], int]]:
    """Give ``alias``'s orders to ``survivor`` (a merge); returns (order_id, before, new
    version) for each order moved."""
    found = (
        await conn.execute(
            select(
                orders.c.order_id,
                orders.c.version,
                orders.c.removed_at,
                *(orders.c[c] for c in CONTENT),
            )
            .where(orders.c.customer_id == alias)
            .with_for_update()
        )
    ).all()
    if not found:
        return []
    await conn.execute(
        orders.update()
        .where(orders.c.customer_id == alias)
        .values(customer_id=survivor, version=orders.c.version + 1, changed_at=now)
    )
    return [(r.order_id, _before(r), r.version + 1) for r in found]


# --- reads ---------------------------------------------------------------------------

_PUBLIC = (
    orders.c.order_id,
    orders.c.customer_id,
    orders.c.customer_email,
    orders.c.amount,
    orders.c.status,
    orders.c.refunded_amount,
    orders.c.currency,
    orders.c.line_items,
    orders.c.ordered_at,
    orders.c.source_updated_at,
    orders.c.recorded_at,
    orders.c.version,
)


def as_json(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "id"}
    out["amount"] = str(out["amount"])
    out["refunded_amount"] = str(out["refunded_amount"])
    out["updated_at"] = out.pop("source_updated_at")
    if isinstance(out.get("line_items"), str):
        out["line_items"] = orjson.loads(out["line_items"])
    for key in ("ordered_at", "recorded_at", "updated_at"):
        if out[key] is not None:
            out[key] = out[key].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return out


async def page(
    conn: AsyncConnection,
    *,
    after_id: int,
    limit: int,
    customer_id: str | None,
    newest_first: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """Orders after the cursor (the last id of the previous page): one customer's by when
    they were placed (``newest_first`` or oldest first), all of them by when Beacon
    received them. A customer's orders are few, read through their index and sorted."""
    query = select(orders.c.id, *_PUBLIC).where(orders.c.removed_at.is_(None))
    if customer_id is not None:
        query = query.where(orders.c.customer_id == customer_id)
        keys: tuple[Any, ...] = (orders.c.ordered_at, orders.c.id)
        if after_id:
            at = select(orders.c.ordered_at).where(orders.c.id == after_id).scalar_subquery()
            key = tuple_(orders.c.ordered_at, orders.c.id)
            query = query.where(
                key < tuple_(at, after_id) if newest_first else key > tuple_(at, after_id)
            )
    else:
        keys = (orders.c.id,)
        if after_id:
            query = query.where(orders.c.id < after_id if newest_first else orders.c.id > after_id)
    query = query.order_by(*(k.desc() if newest_first else k for k in keys))
    rows = (await conn.execute(query.limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [as_json(r._mapping) for r in rows], (rows[-1].id if more else None)


async def count(conn: AsyncConnection) -> int:
    query = select(func.count()).select_from(orders).where(orders.c.removed_at.is_(None))
    return int((await conn.execute(query)).scalar_one())


# --- undo ----------------------------------------------------------------------------


def _stored(row: Any) -> dict[str, Any]:
    """A stored order (a row, or a before-image) in the API's JSON form."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    out: dict[str, Any] = {"order_id": get("order_id")}
    for name in CONTENT:
        value = get(name)
        if isinstance(value, datetime):
            value = value.isoformat() + "Z"
        elif isinstance(value, Decimal):
            value = str(value)
        elif name == "line_items" and isinstance(value, str):
            value = orjson.loads(value)
        out[name] = value
    out["updated_at"] = out.pop("source_updated_at")
    return out


async def created_by(conn: AsyncConnection, import_id: int, limit: int) -> list[Any]:
    """Orders this import created that are still there, locked."""
    return list(
        (
            await conn.execute(
                select(
                    orders.c.order_id,
                    orders.c.version,
                    orders.c.last_import_id,
                    *(orders.c[c] for c in CONTENT),
                )
                .where(orders.c.import_id == import_id, orders.c.removed_at.is_(None))
                .order_by(orders.c.order_id)
                .limit(limit)
                .with_for_update()
            )
        ).all()
    )


async def remove(conn: AsyncConnection, found: list[Any], now: datetime) -> list[dict[str, Any]]:
    """Mark orders removed (kept, so a later import of the same id is a newer version);
    returns their ``order.recorded`` rows."""
    if not found:
        return []
    await conn.execute(
        orders.update()
        .where(orders.c.order_id.in_([r.order_id for r in found]))
        .values(removed_at=now, changed_at=now, version=orders.c.version + 1)
    )
    return [{**announced(_stored(r), r.version + 1), "removed": True} for r in found]


async def disown(conn: AsyncConnection, order_ids: list[str]) -> None:
    """Orders an import created but someone changed since: an undo leaves them, and stops
    looking at them."""
    if order_ids:
        await conn.execute(
            orders.update().where(orders.c.order_id.in_(order_ids)).values(import_id=None)
        )


async def versions(conn: AsyncConnection, order_ids: list[str]) -> dict[str, int]:
    rows = await conn.execute(
        select(orders.c.order_id, orders.c.version)
        .where(orders.c.order_id.in_(order_ids))
        .order_by(orders.c.order_id)
        .with_for_update()
    )
    return {r.order_id: r.version for r in rows}


async def restore(
    conn: AsyncConnection, images: list[tuple[str, dict[str, Any], int]], now: datetime
) -> list[dict[str, Any]]:
    """Put orders back as they were (``(order_id, before, current version)``); returns
    their ``order.recorded`` rows."""
    rows = []
    announce = []
    for order_id, before, version in images:
        image = _stored({**before, "order_id": order_id})
        removed = before.get("removed_at")
        rows.append(
            (
                order_id,
                *(_content_of_image(before)),
                db_time(removed) if removed else None,
                now,
                version + 1,
                None,
            )
        )
        item = announced(image, version + 1)
        if removed:
            item["removed"] = True
        announce.append(item)
    await update_rows(
        conn,
        "orders",
        "order_id",
        (*CONTENT, "removed_at", "changed_at", "version", "last_import_id"),
        rows,
    )
    return announce


def _content_of_image(before: dict[str, Any]) -> tuple[Any, ...]:
    lines = before.get("line_items")
    return (
        before["customer_id"],
        before.get("customer_email"),
        before["amount"],
        before["status"],
        before["refunded_amount"],
        before.get("currency"),
        orjson.dumps(lines).decode() if lines else None,
        db_time(before["ordered_at"]),
        db_time(before.get("source_updated_at")),
    )
