"""Queries on ``profiles`` and ``profile_orders``: the projection's writes and reads.

Both writes are single multi-row upserts, safe under concurrent workers: identity takes the
newest customer ``version`` (so reordered events never move a profile back), aggregates are
added in place (so two workers adding orders of one customer both count). Rows are sorted
by key to keep lock order stable and deadlocks rare.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.store.tables import inbox, profile_orders, profiles
from shared.db import execute_rows

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


# One order to count: (order_id, customer_id, amount, ordered_at as naive UTC). A plain
# tuple: built once per order, and a dataclass's __init__ was a third of building it.
OrderFact = tuple[str, str, Decimal, datetime]
_ORDER_ID = itemgetter(0)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Driver-level statements, executed with many rows at once (the driver sends them as one
# multi-row INSERT): SQLAlchemy compiling a 1,000-row VALUES clause per batch was most of
# the projection's time. Every value is a %s, or the driver would fall back to one row at
# a time. MariaDB applies the assignments left to right: version must come last, so each
# identity column still compares against the old version.
_UPSERT_IDENTITY = (
    "INSERT INTO profiles (customer_id, known, version, revision, name, email, phone, city,"
    " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON DUPLICATE KEY UPDATE"
    + ",".join(f" {k} = IF(VALUES(version) > version, VALUES({k}), {k})" for k in IDENTITY)
    + ", known = 1, revision = revision + 1, updated_at = VALUES(updated_at),"
    " version = GREATEST(version, VALUES(version))"
)
_COUNT_ORDER = "INSERT IGNORE INTO profile_orders (order_id, customer_id) VALUES (%s, %s)"
_ADD_TOTALS = (
    "INSERT INTO profiles (customer_id, known, revision, total_spend, visits, first_visit_at,"
    " last_visit_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " ON DUPLICATE KEY UPDATE total_spend = total_spend + VALUES(total_spend),"
    " visits = visits + VALUES(visits),"
    " first_visit_at = LEAST(COALESCE(first_visit_at, VALUES(first_visit_at)),"
    " VALUES(first_visit_at)),"
    " last_visit_at = GREATEST(COALESCE(last_visit_at, VALUES(last_visit_at)),"
    " VALUES(last_visit_at)),"
    " revision = revision + 1, updated_at = VALUES(updated_at)"
)


# Every multi-row write goes through shared.db.execute_rows: bound in binary, in bulk.


async def upsert_identities(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Apply customers (each with ingest's ``version``); returns the customer ids touched."""
    now = _now()
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        cid = row["customer_id"]
        if cid not in newest or row["version"] > newest[cid]["version"]:
            newest[cid] = row
    ids = sorted(newest)
    for start in range(0, len(ids), CHUNK):
        await execute_rows(
            conn,
            _UPSERT_IDENTITY,
            [
                (cid, 1, newest[cid]["version"], 1, *(newest[cid].get(k) for k in IDENTITY), now)
                for cid in ids[start : start + CHUNK]
            ],
        )
    return ids


async def add_orders(conn: AsyncConnection, orders: Sequence[OrderFact]) -> list[str]:
    """Count each order not counted yet into its customer's profile; returns ids touched.

    Safe with competing workers: an order is counted by whichever transaction inserts its
    ``profile_orders`` row, and ``INSERT IGNORE`` waits on a row another transaction
    inserted until that one commits (then skips it) or rolls back (then inserts it). So
    nothing is read first: when every row was inserted, the usual case, all are fresh.
    """
    # The first copy of each order id (the comprehension keeps the last it sees, and sees
    # them from the end), in one lock order for every worker.
    wanted = {o[0]: o for o in reversed(orders)}
    candidates = sorted(wanted.values(), key=_ORDER_ID)
    fresh: list[OrderFact] = []
    for start in range(0, len(candidates), CHUNK):
        fresh += await _claim_orders(conn, candidates[start : start + CHUNK])
    if not fresh:
        return []
    # Per customer: spend, visits, first and last visit. Once per order, so no list built
    # for a customer already seen, and no min()/max() calls.
    totals: dict[str, list[Any]] = {}
    for _, customer_id, amount, at in fresh:
        t = totals.get(customer_id)
        if t is None:
            totals[customer_id] = [amount, 1, at, at]
            continue
        t[0] += amount
        t[1] += 1
        if at < t[2]:
            t[2] = at
        elif at > t[3]:
            t[3] = at
    now = _now()
    customers = sorted(totals)
    for start in range(0, len(customers), CHUNK):
        await execute_rows(
            conn,
            _ADD_TOTALS,
            [(c, 0, 1, *totals[c], now) for c in customers[start : start + CHUNK]],
        )
    return customers


class _SomeCountedAlready(Exception):
    """Rolls the chunk's savepoint back: some of its orders were counted before."""


async def _claim_orders(conn: AsyncConnection, chunk: list[OrderFact]) -> list[OrderFact]:
    """Insert the chunk's ``profile_orders`` rows; returns the orders this call inserted.

    A multi-row ``INSERT IGNORE`` says only how many rows it inserted, not which. When it
    inserted fewer than all (an order sent again in another event), the savepoint undoes
    it; the rows that exist are then read with a locking read (the newest committed state,
    and it keeps others from inserting those ids meanwhile) and only the rest inserted.
    """
    rows = [o[:2] for o in chunk]  # (order_id, customer_id)
    try:
        async with conn.begin_nested():
            inserted = await execute_rows(conn, _COUNT_ORDER, rows)
            if inserted != len(rows):
                raise _SomeCountedAlready
        return chunk
    except _SomeCountedAlready:
        pass
    found = await conn.execute(
        select(profile_orders.c.order_id)
        .where(profile_orders.c.order_id.in_([o[0] for o in chunk]))
        .with_for_update()
    )
    counted = {r.order_id for r in found}
    fresh = [o for o in chunk if o[0] not in counted]
    if fresh:
        inserted = await execute_rows(conn, _COUNT_ORDER, [o[:2] for o in fresh])
        if inserted != len(fresh):  # the locking read should make this impossible
            raise ConcurrentCount(f"{len(fresh) - inserted} order(s) counted concurrently")
    return fresh


class ConcurrentCount(Exception):
    """Transient: the batch is retried and then sees the other transaction's rows."""

    retry_later = True


# The projection's read-back, once per changed profile: a driver-level statement (no
# SQLAlchemy compile of a 1,000-id IN list per chunk) whose rows go straight into the
# event's dicts. total_spend is read as text, which is what the event carries anyway
# (the envelope wrote the Decimal as its string): no Decimal built per row, and no
# serialiser callback for it.
_PROFILE_NAMES = tuple(c.name for c in PROFILE_COLUMNS)
_KNOWN_PROFILES = (
    "SELECT "
    + ", ".join(
        "CAST(total_spend AS CHAR)" if name == "total_spend" else name for name in _PROFILE_NAMES
    )
    + " FROM profiles WHERE known = 1 AND customer_id IN ({})"
)


async def known_profiles(
    conn: AsyncConnection, customer_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The current state of the given profiles whose customer is known, as
    ``profile.changed`` carries it (``total_spend`` a decimal string)."""
    out: list[dict[str, Any]] = []
    ids = list(customer_ids)
    names = _PROFILE_NAMES
    for start in range(0, len(ids), CHUNK):
        chunk = tuple(ids[start : start + CHUNK])
        statement = _KNOWN_PROFILES.format(", ".join(["%s"] * len(chunk)))
        rows = await conn.exec_driver_sql(statement, chunk)
        out.extend(dict(zip(names, r, strict=True)) for r in rows)
    return out


async def get_profile(conn: AsyncConnection, customer_id: str) -> dict[str, Any] | None:
    """One known customer's profile as JSON (money as a decimal string, times in UTC)."""
    row = (
        await conn.execute(
            select(
                profiles.c.customer_id,
                profiles.c.name,
                profiles.c.total_spend,
                profiles.c.visits,
                profiles.c.first_visit_at,
                profiles.c.last_visit_at,
                profiles.c.updated_at,
            ).where(profiles.c.customer_id == customer_id, profiles.c.known.is_(True))
        )
    ).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out["total_spend"] = str(out["total_spend"])
    for key in ("first_visit_at", "last_visit_at", "updated_at"):
        if out[key] is not None:
            out[key] = out[key].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
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


MEMBER_COLUMNS = (
    profiles.c.customer_id,
    profiles.c.name,
    profiles.c.email,
    profiles.c.phone,
    profiles.c.city,
    profiles.c.total_spend,
    profiles.c.visits,
    profiles.c.last_visit_at,
)


async def members_where(
    conn: AsyncConnection, condition: ColumnElement[bool], after: str, limit: int
) -> list[dict[str, Any]]:
    """One page of matching known profiles after ``after``, in customer id order (keyset)."""
    query = (
        select(*MEMBER_COLUMNS)
        .where(and_(profiles.c.known.is_(True), profiles.c.customer_id > after, condition))
        .order_by(profiles.c.customer_id)
        .limit(limit)
    )
    out = []
    for row in await conn.execute(query):
        item = dict(row._mapping)
        item["total_spend"] = str(item["total_spend"])
        last = item["last_visit_at"]
        item["last_visit_at"] = (
            last.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if last else None
        )
        out.append(item)
    return out


async def reset(conn: AsyncConnection, consumer: str) -> None:
    """Forget every profile and every applied ingest event, ready for a replay."""
    await conn.execute(text("DELETE FROM profiles"))
    await conn.execute(text("DELETE FROM profile_orders"))
    await conn.execute(inbox.delete().where(inbox.c.consumer == consumer))
