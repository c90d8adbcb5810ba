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
from shared.db import execute_rows, update_rows
from shared.events import CUSTOMER_FIELDS

CHUNK = 1000
IDENTITY = CUSTOMER_FIELDS  # the profile's columns a customer.upserted row sets
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


# One order to count: (order_id, customer_id, money kept, whether a visit, ordered_at as
# naive UTC, ingest's version). A plain tuple: built once per order, and a dataclass's
# __init__ was a third of building it.
OrderFact = tuple[str, str, Decimal, bool, datetime, int]
_ORDER_ID = itemgetter(0)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Driver-level statements, executed with many rows at once (the driver sends them as one
# multi-row INSERT): SQLAlchemy compiling a 1,000-row VALUES clause per batch was most of
# the projection's time. Every value is a %s, or the driver would fall back to one row at
# a time. MariaDB applies the assignments left to right: version must come last, so each
# identity column still compares against the old version.
_UPSERT_IDENTITY = (
    "INSERT INTO profiles (customer_id, known, version, revision, "
    + ", ".join(IDENTITY)
    + ", updated_at) VALUES ("
    + ", ".join(["%s"] * (len(IDENTITY) + 5))
    + ") ON DUPLICATE KEY UPDATE"
    + ",".join(f" {k} = IF(VALUES(version) > version, VALUES({k}), {k})" for k in IDENTITY)
    + ", known = IF(VALUES(version) > version, VALUES(known), known),"
    " revision = revision + 1, updated_at = VALUES(updated_at),"
    " version = GREATEST(version, VALUES(version))"
)
_COUNT_ORDER = (
    "INSERT IGNORE INTO profile_orders (order_id, customer_id, kept, visit, ordered_at, version)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
# New orders add to the totals in place (two workers adding orders of one customer both
# count). A batch with no visit for a customer sends NULL times: kept as they are.
_ADD_TOTALS = (
    "INSERT INTO profiles (customer_id, known, revision, total_spend, visits, first_visit_at,"
    " last_visit_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " ON DUPLICATE KEY UPDATE total_spend = total_spend + VALUES(total_spend),"
    " visits = visits + VALUES(visits),"
    " first_visit_at = LEAST(COALESCE(first_visit_at, VALUES(first_visit_at)),"
    " COALESCE(VALUES(first_visit_at), first_visit_at)),"
    " last_visit_at = GREATEST(COALESCE(last_visit_at, VALUES(last_visit_at)),"
    " COALESCE(VALUES(last_visit_at), last_visit_at)),"
    " revision = revision + 1, updated_at = VALUES(updated_at)"
)
# A profile counted again from its orders (an order changed or moved, a customer merged).
_RECOUNT = (
    "UPDATE profiles p LEFT JOIN (SELECT customer_id, SUM(kept) AS spend, SUM(visit) AS visits,"
    " MIN(IF(visit, ordered_at, NULL)) AS first_at, MAX(IF(visit, ordered_at, NULL)) AS last_at"
    " FROM profile_orders WHERE customer_id IN ({ids}) GROUP BY customer_id) t"
    " ON t.customer_id = p.customer_id"
    " SET p.total_spend = COALESCE(t.spend, 0), p.visits = COALESCE(t.visits, 0),"
    " p.first_visit_at = t.first_at, p.last_visit_at = t.last_at,"
    " p.revision = p.revision + 1, p.updated_at = %s"
    " WHERE p.customer_id IN ({ids})"
)


# Every multi-row write goes through shared.db.execute_rows: bound in binary, in bulk.


async def upsert_identities(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Apply customers (each with ingest's ``version``; ``removed``: no longer a customer,
    its identity cleared); returns the customer ids touched."""
    now = _now()
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        cid = row["customer_id"]
        if cid not in newest or row["version"] > newest[cid]["version"]:
            newest[cid] = row
    ids = sorted(newest)
    for start in range(0, len(ids), CHUNK):
        values = []
        for cid in ids[start : start + CHUNK]:
            row = newest[cid]
            removed = bool(row.get("removed"))
            identity = (None,) * len(IDENTITY) if removed else (row.get(k) for k in IDENTITY)
            values.append((cid, 0 if removed else 1, row["version"], 1, *identity, now))
        await execute_rows(conn, _UPSERT_IDENTITY, values)
    return ids


async def add_orders(conn: AsyncConnection, orders: Sequence[OrderFact]) -> list[str]:
    """Count each order into its customer's profile: a new one adds to the totals, a newer
    version of a counted one (refunded, cancelled, moved to another customer) has its
    customers counted again from their orders; returns ids touched.

    Safe with competing workers: an order is first counted by whichever transaction
    inserts its ``profile_orders`` row, and ``INSERT IGNORE`` waits on a row another
    transaction inserted until that one commits (then skips it) or rolls back (then
    inserts it). So nothing is read first: when every row was inserted, the usual case,
    all are fresh.
    """
    # The newest version of each order id, in one lock order for every worker.
    wanted: dict[str, OrderFact] = {}
    for o in orders:
        held = wanted.get(o[0])
        if held is None or o[5] > held[5]:
            wanted[o[0]] = o
    candidates = sorted(wanted.values(), key=_ORDER_ID)
    fresh: list[OrderFact] = []
    recount: set[str] = set()
    for start in range(0, len(candidates), CHUNK):
        new, changed = await _claim_orders(conn, candidates[start : start + CHUNK])
        fresh += new
        recount |= changed
    # Per customer: spend, visits, first and last visit. Once per order, so no list built
    # for a customer already seen, and no min()/max() calls.
    totals: dict[str, list[Any]] = {}
    for _, customer_id, kept, visit, at, _ in fresh:
        if customer_id in recount:
            continue  # counted again from its orders below, these included
        t = totals.get(customer_id)
        if t is None:
            t = totals[customer_id] = [kept, 0, None, None]
        else:
            t[0] += kept
        if visit:
            t[1] += 1
            if t[2] is None or at < t[2]:
                t[2] = at
            if t[3] is None or at > t[3]:
                t[3] = at
    now = _now()
    customers = sorted(totals)
    for start in range(0, len(customers), CHUNK):
        await execute_rows(
            conn,
            _ADD_TOTALS,
            [(c, 0, 1, *totals[c], now) for c in customers[start : start + CHUNK]],
        )
    await recount_profiles(conn, recount)
    return sorted({*customers, *recount})


async def recount_profiles(conn: AsyncConnection, customer_ids: set[str]) -> None:
    """Count these profiles again from their orders (a profile made for an id that has
    none yet: orders may arrive before their customer)."""
    ids = sorted(customer_ids)
    now = _now()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await execute_rows(
            conn,
            "INSERT IGNORE INTO profiles (customer_id, known, revision, updated_at)"
            " VALUES (%s, %s, %s, %s)",
            [(c, 0, 1, now) for c in chunk],
        )
        marks = ", ".join(["%s"] * len(chunk))
        await conn.exec_driver_sql(_RECOUNT.format(ids=marks), (*chunk, now, *chunk))


class _SomeCountedAlready(Exception):
    """Rolls the chunk's savepoint back: some of its orders were counted before."""


async def _claim_orders(
    conn: AsyncConnection, chunk: list[OrderFact]
) -> tuple[list[OrderFact], set[str]]:
    """Insert the chunk's ``profile_orders`` rows; returns the orders this call inserted,
    and the customers to count again because a counted order changed.

    A multi-row ``INSERT IGNORE`` says only how many rows it inserted, not which. When it
    inserted fewer than all (an order sent again, or a new version of it), the savepoint
    undoes it; the rows that exist are then read with a locking read (the newest committed
    state, and it keeps others from inserting those ids meanwhile), the rest inserted and
    the newer versions written over the older.
    """
    try:
        async with conn.begin_nested():
            inserted = await execute_rows(conn, _COUNT_ORDER, chunk)
            if inserted != len(chunk):
                raise _SomeCountedAlready
        return chunk, set()
    except _SomeCountedAlready:
        pass
    found = await conn.execute(
        select(profile_orders.c.order_id, profile_orders.c.customer_id, profile_orders.c.version)
        .where(profile_orders.c.order_id.in_([o[0] for o in chunk]))
        .with_for_update()
    )
    counted = {r.order_id: r for r in found}
    fresh = [o for o in chunk if o[0] not in counted]
    newer = [o for o in chunk if o[0] in counted and o[5] > counted[o[0]].version]
    if fresh:
        inserted = await execute_rows(conn, _COUNT_ORDER, fresh)
        if inserted != len(fresh):  # the locking read should make this impossible
            raise ConcurrentCount(f"{len(fresh) - inserted} order(s) counted concurrently")
    await update_rows(
        conn,
        "profile_orders",
        "order_id",
        ("customer_id", "kept", "visit", "ordered_at", "version"),
        [(o[0], o[1], o[2], o[3], o[4], o[5]) for o in newer],
    )
    recount = {o[1] for o in newer} | {counted[o[0]].customer_id for o in newer}
    return fresh, recount


class ConcurrentCount(Exception):
    """Transient: the batch is retried and then sees the other transaction's rows."""

    retry_later = True


async def merge(
    conn: AsyncConnection, merges: Sequence[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """One person found under two ids: the alias's orders count for ``into`` now, and the
    alias's profile is in no audience (kept, known = 0, so its revision keeps growing).
    Returns (ids counted again, ids no longer customers)."""
    recount: set[str] = set()
    for alias, into in merges:
        await conn.execute(
            profile_orders.update()
            .where(profile_orders.c.customer_id == alias)
            .values(customer_id=into)
        )
        recount |= {alias, into}
    aliases = sorted({alias for alias, _ in merges})
    await conn.execute(
        profiles.update()
        .where(profiles.c.customer_id.in_(aliases))
        .values(known=False, **{k: None for k in IDENTITY}, updated_at=_now())
    )
    await recount_profiles(conn, recount)
    return sorted(recount - set(aliases)), aliases


async def erase(
    conn: AsyncConnection, customer_ids: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Forget the person's profiles and counted orders; returns the removal rows for the
    caches (each with the next revision) and the email and phone they had."""
    found = (
        await conn.execute(
            select(profiles.c.customer_id, profiles.c.revision, profiles.c.email, profiles.c.phone)
            .where(profiles.c.customer_id.in_(list(customer_ids)))
            .with_for_update()
        )
    ).all()
    await conn.execute(profiles.delete().where(profiles.c.customer_id.in_(list(customer_ids))))
    await conn.execute(
        profile_orders.delete().where(profile_orders.c.customer_id.in_(list(customer_ids)))
    )
    secrets = sorted({v for r in found for v in (r.email, r.phone) if v})
    return [removal(r.customer_id, r.revision + 1) for r in found], secrets


def removal(customer_id: str, revision: int) -> dict[str, Any]:
    """A ``profile.changed`` row saying this id is in no audience any more."""
    return {
        "customer_id": customer_id,
        "revision": revision,
        "total_spend": "0",
        "visits": 0,
        "removed": True,
    }


async def removed_profiles(
    conn: AsyncConnection, customer_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Removal rows for those of ``customer_ids`` whose profile is not a known customer."""
    if not customer_ids:
        return []
    rows = await conn.execute(
        select(profiles.c.customer_id, profiles.c.revision).where(
            profiles.c.customer_id.in_(list(customer_ids)), profiles.c.known.is_(False)
        )
    )
    return [removal(r.customer_id, r.revision) for r in rows]


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
