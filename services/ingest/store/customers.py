"""Queries on ``customers``: the identity directory a batch locks, its writes, the reads.

A batch loads the rows its records name (by id, by email, and the aliases and survivors
around them) with ``FOR UPDATE``, lets ``domain.identity.Directory`` decide, then writes
what changed: updates through one set-based UPDATE (``shared.db.update_rows``; a unique
email another transaction took meanwhile raises, and the batch is retried, instead of an
upsert silently writing over that other row), new rows through one INSERT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain.identity import FIELDS, Row, Write
from services.ingest.store.tables import customers
from shared.db import contains_pattern, execute_rows, insert_rows, update_rows
from shared.events import CUSTOMER_FIELDS

CHUNK = 1000
_TIMES = frozenset({"created_at", "email_consent_at", "sms_consent_at", "whatsapp_consent_at"})
_STATE = ("state", "merged_into", "version")
_LOADED = ("customer_id", *_STATE, *FIELDS)
# What readers see of an active customer.
PUBLIC = ("customer_id", "name", "email", "phone", "city", *FIELDS[5:])
_WRITTEN = ("state", "merged_into", *FIELDS, "email_norm", "version", "updated_at")


def _naive(value: Any) -> Any:
    """A time as the DATETIME columns hold it (naive UTC); anything else as it is."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


_FIRST_FIELD = len(_LOADED) - len(FIELDS)
_CONSENTS = ("email_consent", "sms_consent", "whatsapp_consent")


def _row(found: Any) -> Row:
    """A row selected with ``_LOADED``'s columns, in that order."""
    values = dict(zip(FIELDS, found[_FIRST_FIELD : _FIRST_FIELD + len(FIELDS)], strict=True))
    for name in _CONSENTS:
        if values[name] is not None:
            values[name] = bool(values[name])
    return Row(found[0], found[1], found[2], found[3], values)


class ConcurrentIdentity(Exception):
    """Another transaction stored the same id or email first: retry, and see it."""

    retry_later = True


Lock = Literal["update", "share"]


async def _select(conn: AsyncConnection, condition: ColumnElement[bool], lock: Lock) -> list[Row]:
    query = (
        select(*(customers.c[name] for name in _LOADED))
        .where(condition)
        .order_by(customers.c.customer_id)
        .with_for_update(read=lock == "share")
    )
    return [_row(r) for r in await conn.execute(query)]


async def load_directory(
    conn: AsyncConnection, ids: Iterable[str], emails: Iterable[str], *, lock: Lock
) -> list[Row]:
    """The rows named by ``ids`` or holding ``emails`` and the survivors they were merged
    into, locked until the transaction ends: ``update``
    to change them, ``share`` to keep them from changing (a merge of an id then waits for
    the orders naming it, and moves those too)."""
    found: dict[str, Row] = {}

    async def add(column: Any, values: Iterable[str]) -> list[Row]:
        """Rows whose ``column`` is one of ``values`` (one indexed IN list per chunk:
        an OR of two columns would scan the table)."""
        wanted = sorted(set(values))
        fresh = []
        for start in range(0, len(wanted), CHUNK):
            for row in await _select(conn, column.in_(wanted[start : start + CHUNK]), lock):
                if row.customer_id not in found:
                    found[row.customer_id] = row
                    fresh.append(row)
        return fresh

    await add(customers.c.customer_id, ids)
    await add(customers.c.email_norm, emails)
    for _ in range(8):  # the survivors aliases were merged into
        missing = {r.merged_into for r in found.values() if r.merged_into} - found.keys()
        if not await add(customers.c.customer_id, missing):
            break
    return list(found.values())


async def repoint(
    conn: AsyncConnection, alias: str, survivor: str, now: datetime
) -> list[tuple[str, dict[str, Any], int]]:
    """Aliases of a customer just merged now name its survivor (the directory loaded only
    the rows its records named); returns (id, before, new version) of each."""
    found = await _select(conn, customers.c.merged_into == alias, "update")
    if not found:
        return []
    await conn.execute(
        customers.update()
        .where(customers.c.merged_into == alias)
        .values(merged_into=survivor, version=customers.c.version + 1, updated_at=now)
    )
    return [(r.customer_id, before_image(r), r.version + 1) for r in found]


async def states(conn: AsyncConnection, ids: Iterable[str], *, lock: bool = True) -> dict[str, str]:
    """The state of each of ``ids`` that has a row (held with a shared lock, ``lock``).
    A driver-level statement: SQLAlchemy expanding a 1,000-id IN list per chunk cost more
    than the query."""
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = tuple(wanted[start : start + CHUNK])
        marks = ", ".join(["%s"] * len(chunk))
        rows: Any = await conn.exec_driver_sql(
            f"SELECT customer_id, state FROM customers WHERE customer_id IN ({marks})"
            + (" LOCK IN SHARE MODE" if lock else ""),
            chunk,
        )
        found.update((row[0], row[1]) for row in rows)
    return found


async def add_pending(conn: AsyncConnection, ids: Sequence[str], now: datetime) -> None:
    """A ``pending`` row for each of ``ids`` (ids orders name that have no row yet), in
    the caller's own short transaction: committed at once, they hold no lock another batch
    naming the same ids would wait on for a whole batch. A lock another transaction holds
    for long (a customer it is creating) is not waited out: the batch is retried."""
    await conn.exec_driver_sql("SET SESSION innodb_lock_wait_timeout = 2")
    try:
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), CHUNK):
            await execute_rows(
                conn,
                "INSERT IGNORE INTO customers (customer_id, state, first_seen_at, updated_at)"
                " VALUES (%s, 'pending', %s, %s)",
                [(cid, now, now) for cid in ordered[start : start + CHUNK]],
            )
    finally:
        await conn.exec_driver_sql("SET SESSION innodb_lock_wait_timeout = DEFAULT")


def _values(row: Row) -> tuple[Any, ...]:
    get = row.values.get
    return (
        row.state,
        row.merged_into,
        *[_naive(get(name)) if name in _TIMES else get(name) for name in FIELDS],
        row.email_norm,
    )


async def write(
    conn: AsyncConnection, writes: Sequence[Write], now: datetime, import_id: int | None
) -> list[Row]:
    """Store the directory's writes; returns them with their new versions."""
    updates = [w for w in writes if w.before is not None]
    inserts = [w for w in writes if w.before is None]
    for w in writes:
        w.row.version = (w.before.version if w.before else 0) + 1
    try:
        if updates:
            # Emails move between rows in a merge: free them all first, so no row's new
            # email meets another row's old one halfway through the statement.
            await update_rows(
                conn,
                "customers",
                "customer_id",
                ("email_norm",),
                [(w.row.customer_id, None) for w in updates],
            )
            await update_rows(
                conn,
                "customers",
                "customer_id",
                (*_WRITTEN, "last_import_id"),
                [
                    (w.row.customer_id, *_values(w.row), w.row.version, now, import_id)
                    for w in updates
                ],
            )
        if inserts:
            columns = ("customer_id", *_WRITTEN, "first_seen_at", "import_id", "last_import_id")
            rows = [
                (w.row.customer_id, *_values(w.row), w.row.version, now, now, import_id, import_id)
                for w in inserts
            ]
            await insert_rows(conn, "customers", columns, rows)

    except Exception as error:
        if getattr(getattr(error, "orig", None), "args", (None,))[0] == 1062:
            raise ConcurrentIdentity(str(error)[:300]) from error
        raise
    return [w.row for w in writes]


def announced(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """``customer.upserted`` rows: active customers as stored, each with its version."""
    out = []
    for row in rows:
        if row.state != "active":
            continue
        item: dict[str, Any] = {"customer_id": row.customer_id, "version": row.version}
        for name in CUSTOMER_FIELDS:
            item[name] = _json(row.values.get(name))
        out.append(item)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        value = _naive(value)
        assert value is not None
        return value.isoformat() + "Z"
    return value


def before_image(row: Row) -> dict[str, Any]:
    """A row as it was, for an import's undo (JSON)."""
    return {
        "state": row.state,
        "merged_into": row.merged_into,
        "version": row.version,
        "values": {k: _json(v) for k, v in row.values.items()},
    }


# --- reads ---------------------------------------------------------------------------


def _public_columns() -> list[Any]:
    return [
        *(customers.c[name] for name in PUBLIC),
        # When the shop does not say when a customer joined, it is when we first saw them.
        func.coalesce(customers.c.created_at, customers.c.first_seen_at).label("created_at"),
        customers.c.updated_at,
    ]


def as_json(row: Any) -> dict[str, Any]:
    out = dict(row)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = _json(value)
    for channel in ("email", "sms", "whatsapp"):
        consent = out.pop(f"{channel}_consent", None)
        out[f"accepts_{channel}_marketing"] = None if consent is None else bool(consent)
        out[f"accepts_{channel}_marketing_at"] = out.pop(f"{channel}_consent_at", None)
        out[f"accepts_{channel}_marketing_source"] = out.pop(f"{channel}_consent_source", None)
    return out


async def resolve(conn: AsyncConnection, customer_id: str) -> str | None:
    """The id of the active customer ``customer_id`` stands for (itself or, for an alias,
    the person it was merged into); None when there is none."""
    current = customer_id
    for _ in range(8):
        found = (
            await conn.execute(
                select(customers.c.state, customers.c.merged_into).where(
                    customers.c.customer_id == current
                )
            )
        ).first()
        if found is None or found.state in ("pending", "erased"):
            return None
        if found.state == "active":
            return current
        current = found.merged_into
    return None


async def get(conn: AsyncConnection, customer_id: str) -> dict[str, Any] | None:
    """An active customer (found by its id or an alias), with its aliases."""
    resolved = await resolve(conn, customer_id)
    if resolved is None:
        return None
    row = (
        await conn.execute(select(*_public_columns()).where(customers.c.customer_id == resolved))
    ).first()
    if row is None:
        return None
    aliases = await conn.execute(
        select(customers.c.customer_id)
        .where(customers.c.merged_into == resolved)
        .order_by(customers.c.customer_id)
    )
    return {**as_json(row._mapping), "aliases": [a.customer_id for a in aliases]}


def _matching(q: str) -> ColumnElement[bool]:
    """Customers whose id, name, email, phone or city contains ``q`` (LIKE wildcards
    taken literally)."""
    escaped = contains_pattern(q)
    return or_(
        customers.c.customer_id.like(escaped),
        customers.c.name.like(escaped),
        customers.c.email.like(escaped),
        customers.c.phone.like(escaped),
        customers.c.city.like(escaped),
    )


async def page(
    conn: AsyncConnection, *, after_id: int, limit: int, q: str | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Active customers in insertion order after ``after_id`` (those matching ``q`` when
    given); the last id when more may follow."""
    query = select(customers.c.id, *_public_columns()).where(
        and_(customers.c.id > after_id, customers.c.state == "active")
    )
    if q:
        query = query.where(_matching(q))
    rows = (await conn.execute(query.order_by(customers.c.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [as_json({k: v for k, v in r._mapping.items() if k != "id"}) for r in rows]
    return items, (rows[-1].id if more else None)


async def count(conn: AsyncConnection) -> int:
    query = select(func.count()).select_from(customers).where(customers.c.state == "active")
    return int((await conn.execute(query)).scalar_one())


# --- undo ----------------------------------------------------------------------------


def from_image(customer_id: str, image: dict[str, Any]) -> Row:
    """A row as :func:`before_image` saved it."""
    values = dict(image["values"])
    for name in _TIMES:
        if values.get(name):
            values[name] = datetime.fromisoformat(str(values[name]).removesuffix("Z"))
    return Row(customer_id, image["state"], image["merged_into"], image["version"], values)


async def created_by(conn: AsyncConnection, import_id: int, limit: int) -> list[tuple[Row, Any]]:
    """Rows this import created that are still more than a pending id, locked, each with
    the import that wrote it last."""
    query = (
        select(*(customers.c[name] for name in _LOADED), customers.c.last_import_id)
        .where(customers.c.import_id == import_id, customers.c.state.in_(("active", "merged")))
        .order_by(customers.c.customer_id)
        .limit(limit)
        .with_for_update()
    )
    return [(_row(r), r.last_import_id) for r in await conn.execute(query)]


async def current(conn: AsyncConnection, ids: list[str]) -> dict[str, Row]:
    if not ids:
        return {}
    rows = await _select(conn, customers.c.customer_id.in_(sorted(ids)), "update")
    return {r.customer_id: r for r in rows}


async def disown(conn: AsyncConnection, ids: list[str]) -> None:
    if ids:
        await conn.execute(
            customers.update().where(customers.c.customer_id.in_(ids)).values(import_id=None)
        )


def announced_removed(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """``customer.upserted`` rows for customers that are no longer customers."""
    return [
        {"customer_id": r.customer_id, "version": r.version, "removed": True}
        for r in rows
        if r.state != "active"
    ]
