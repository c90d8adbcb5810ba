"""Right to erasure in a service's event log: rewrite the outbox rows that mention a person.

An outbox keeps published events (ingest's is its event log, replayed to rebuild read
models; the others keep theirs for ``BEACON_RETENTION_DAYS``), so an erased person's
email, phone and ids may sit in old event bodies. :func:`scrub_outbox` finds the rows that
mention any of them (a scan of the table: erasure is rare) and lets the service rewrite
each payload with its own rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import contains_pattern

# The service's rule: the payload of an event of this type, without the person.
Redactor = Callable[[str, dict[str, Any]], dict[str, Any]]


def mentions(item: Any, ids: set[str], secrets: Iterable[str]) -> bool:
    """Whether an event's item names one of ``ids`` or holds one of the ``secrets``
    (emails, phones: compared in lower case)."""
    if isinstance(item, dict) and item.get("customer_id") in ids:
        return True
    found = orjson.dumps(item).decode().lower()
    return any(secret.lower() in found for secret in secrets)


async def scrub_outbox(
    conn: AsyncConnection,
    outbox: Table,
    ids: Iterable[str],
    secrets: Iterable[str],
    redact: Redactor,
) -> int:
    """Rewrite every outbox row mentioning the person; returns how many were rewritten."""
    needles = [orjson.dumps(i).decode().lower() for i in sorted(set(ids))]
    needles += sorted({s.lower() for s in secrets if s})
    if not needles:
        return 0
    condition = " OR ".join(
        f"LOWER(CONVERT(body USING utf8mb4)) LIKE :n{i}" for i in range(len(needles))
    )
    params = {f"n{i}": contains_pattern(n) for i, n in enumerate(needles)}
    rows = (
        await conn.execute(
            text(f"SELECT id, body FROM {outbox.name} WHERE {condition} FOR UPDATE"), params
        )
    ).all()
    for row in rows:
        envelope = orjson.loads(row.body)
        envelope["payload"] = redact(envelope["type"], envelope["payload"])
        await conn.execute(
            outbox.update().where(outbox.c.id == row.id).values(body=orjson.dumps(envelope))
        )
    return len(rows)
