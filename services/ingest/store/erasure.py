"""Erasure: a person's data out of ingest's tables and event log, a tombstone left.

The tombstone keeps the person's orders (amounts, times: the shop's books) under a
pseudonymous id, and ``erasures`` keeps keyed HMACs of every id and email they had, so an
import that names them later is skipped rather than bringing them back. The event log
(the outbox, replayed to rebuild read models) is rewritten too: their items leave
``customer.upserted`` and ``customer.merged``, and their orders name the tombstone.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain.identity import CONSENT
from services.ingest.store.tables import (
    customers,
    erasure_events,
    erasures,
    import_changes,
    orders,
    outbox,
)
from shared.db import contains_pattern, execute_rows
from shared.events import CUSTOMER_ERASED
from shared.scrub import mentions, scrub_outbox

CHUNK = 1000


def key_hash(pepper: bytes, key: str) -> str:
    return hmac.new(pepper, b"erased:" + key.encode(), hashlib.sha256).hexdigest()


def tombstone_id(pepper: bytes, customer_id: str) -> str:
    return "erased-" + key_hash(pepper, customer_id)[:24]


async def erased(conn: AsyncConnection, pepper: bytes, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` (ids, normalised emails) belonged to an erased person."""
    if (await conn.execute(text("SELECT 1 FROM erasures LIMIT 1"))).first() is None:
        return set()  # the usual case: no hashing, no lookup
    by_hash = {key_hash(pepper, k): k for k in set(keys)}
    found: set[str] = set()
    hashes = sorted(by_hash)
    for start in range(0, len(hashes), CHUNK):
        rows = await conn.execute(
            select(erasures.c.key_hash).where(
                erasures.c.key_hash.in_(hashes[start : start + CHUNK])
            )
        )
        found.update(by_hash[r.key_hash] for r in rows)
    return found


async def person(
    conn: AsyncConnection, customer_id: str
) -> tuple[dict[str, Any], list[str]] | None:
    """The active customer an id stands for, locked, and every id that is theirs."""
    row = (
        await conn.execute(
            select(customers).where(customers.c.customer_id == customer_id).with_for_update()
        )
    ).first()
    for _ in range(8):
        if row is None or row.state != "merged":
            break
        row = (
            await conn.execute(
                select(customers)
                .where(customers.c.customer_id == row.merged_into)
                .with_for_update()
            )
        ).first()
    if row is None or row.state != "active":
        return None
    aliases = [
        r.customer_id
        for r in await conn.execute(
            select(customers.c.customer_id)
            .where(customers.c.merged_into == row.customer_id)
            .with_for_update()
        )
    ]
    return dict(row._mapping), [row.customer_id, *aliases]


async def erase(
    conn: AsyncConnection, pepper: bytes, found: dict[str, Any], ids: Sequence[str], now: datetime
) -> str:
    """Replace the person by a tombstone; returns its id."""
    tomb = tombstone_id(pepper, found["customer_id"])
    secrets = [v for v in (found.get("email"), found.get("phone")) if v]
    keys = {*ids, *(k for k in (found.get("email_norm"),) if k)}
    await execute_rows(
        conn,
        "INSERT IGNORE INTO erasures (key_hash, erased_at) VALUES (%s, %s)",
        [(key_hash(pepper, k), now) for k in sorted(keys)],
    )
    order_ids = [
        r.order_id
        for r in await conn.execute(select(orders.c.order_id).where(orders.c.customer_id.in_(ids)))
    ]
    await conn.execute(
        orders.update()
        .where(orders.c.customer_id.in_(ids))
        .values(customer_id=tomb, customer_email=None, changed_at=now)
    )
    if found.get("email_norm"):  # orders of other ids that still name the address
        await conn.execute(
            text("UPDATE orders SET customer_email = NULL WHERE LOWER(customer_email) = :e"),
            {"e": found["email_norm"]},
        )
    await conn.execute(customers.delete().where(customers.c.merged_into == found["customer_id"]))
    personal = ("merged_into", "name", "email", "email_norm", "phone", "city", "created_at")
    blank = {name: None for name in (*personal, *CONSENT)}
    await conn.execute(
        customers.update()
        .where(customers.c.customer_id == found["customer_id"])
        .values(
            customer_id=tomb,
            state="erased",
            updated_at=now,
            version=customers.c.version + 1,
            **blank,
        )
    )
    # An import's undo data may hold their rows as they were: gone with them.
    await conn.execute(
        import_changes.delete().where(
            ((import_changes.c.entity == "customer") & import_changes.c.entity_key.in_(ids))
            | ((import_changes.c.entity == "order") & import_changes.c.entity_key.in_(order_ids))
        )
    )
    for secret in secrets:
        await conn.execute(
            text("DELETE FROM import_changes WHERE LOWER(CAST(`before` AS CHAR)) LIKE :s"),
            {"s": contains_pattern(secret.lower())},
        )
    id_set = set(ids)
    await scrub_outbox(
        conn,
        outbox,
        id_set,
        secrets,
        lambda type_, payload: _redacted(type_, payload, id_set, tomb, secrets),
    )
    return tomb


def _redacted(
    type_: str, payload: dict[str, Any], ids: set[str], tomb: str, secrets: list[str]
) -> dict[str, Any]:
    """An ingest event without the person: their customers dropped, their orders and
    merges naming the tombstone (the shop's books keep the amounts)."""
    if type_ == CUSTOMER_ERASED:
        return {**payload, "customer_ids": [tomb], "redacted": True}
    if "customers" in payload:
        kept = [c for c in payload["customers"] if not mentions(c, ids, secrets)]
        return {**payload, "customers": kept}
    if "orders" in payload:
        out = []
        for order in payload["orders"]:
            if mentions(order, ids, secrets):
                order = {**order, "customer_id": tomb}
                order.pop("customer_email", None)
                order.pop("customer_name", None)
            out.append(order)
        return {**payload, "orders": out}
    if "merges" in payload:  # kept (a merge event lists at least one), naming the tombstone
        merges = [{k: tomb if v in ids else v for k, v in m.items()} for m in payload["merges"]]
        return {**payload, "merges": merges}
    return payload


async def remember_event(conn: AsyncConnection, event_id: str) -> None:
    """A ``customer.erased`` event to rewrite once it is published."""
    await conn.execute(erasure_events.insert().values(event_id=event_id))


async def redact_published_erasures(conn: AsyncConnection) -> int:
    """``customer.erased`` events carry the person's ids until every consumer has them:
    once published, rewrite them to name the tombstone alone. Returns rows rewritten."""
    waiting = [r.event_id for r in await conn.execute(select(erasure_events.c.event_id))]
    if not waiting:
        return 0
    rows = (
        await conn.execute(
            select(outbox.c.id, outbox.c.event_id, outbox.c.body)
            .where(outbox.c.event_id.in_(waiting), outbox.c.published_at.is_not(None))
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        envelope = orjson.loads(row.body)
        payload = envelope["payload"]
        envelope["payload"] = {
            **payload,
            "customer_ids": [payload["tombstone_id"]],
            "redacted": True,
        }
        await conn.execute(
            outbox.update().where(outbox.c.id == row.id).values(body=orjson.dumps(envelope))
        )
    await conn.execute(
        erasure_events.delete().where(erasure_events.c.event_id.in_([r.event_id for r in rows]))
    )
    return len(rows)
