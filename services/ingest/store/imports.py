"""Queries on ``imports`` and ``import_changes``: an import's record, its running counts,
and what it changed (for undo)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.store.tables import import_changes, imports
from shared.db import execute_rows

COUNTS = ("new", "updated", "unchanged", "merged", "stale", "erased", "no_customer")
_UNDO = ("undo_restored", "undo_removed", "undo_conflicts")


async def create(
    conn: AsyncConnection,
    *,
    kind: str,
    source: str,
    file_name: str | None,
    actor: Mapping[str, Any],
    now: datetime,
) -> int:
    result = await conn.execute(
        imports.insert().values(
            kind=kind,
            source=source,
            file_name=file_name,
            status="open",
            created_at=now,
            created_by_sub=actor.get("sub"),
            created_by_email=actor.get("email"),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get(
    conn: AsyncConnection, import_id: int, *, lock: bool = False
) -> dict[str, Any] | None:
    query = select(imports).where(imports.c.id == import_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return as_json(row._mapping) if row else None


async def sources(conn: AsyncConnection, import_ids: Iterable[int]) -> dict[int, str]:
    """Each import's source (a customer's consent says where it was given)."""
    wanted = sorted(set(import_ids))
    if not wanted:
        return {}
    rows = await conn.execute(
        select(imports.c.id, imports.c.source).where(imports.c.id.in_(wanted))
    )
    return {r.id: r.source for r in rows}


async def page(
    conn: AsyncConnection, *, before_id: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Imports, newest first, before the cursor."""
    query = select(imports)
    if before_id:
        query = query.where(imports.c.id < before_id)
    rows = (await conn.execute(query.order_by(imports.c.id.desc()).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [as_json(r._mapping) for r in rows], (rows[-1].id if more else None)


def as_json(row: Any) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None

    undo = None
    if row["undo_requested_at"] is not None:
        undo = {
            "restored": row["undo_restored"],
            "removed": row["undo_removed"],
            "conflicts": row["undo_conflicts"],
            "requested_at": when(row["undo_requested_at"]),
            "finished_at": when(row["undone_at"]),
        }
    return {
        "import_id": str(row["id"]),
        "kind": row["kind"],
        "source": row["source"],
        "file_name": row["file_name"],
        "status": row["status"],
        "created_at": when(row["created_at"]),
        "created_by": row["created_by_email"] or row["created_by_sub"],
        "sent": row["sent"],
        "bad": row["bad"],
        "processed": row["processed"],
        "counts": {name: row[name] for name in COUNTS},
        "sealed_at": when(row["sealed_at"]),
        "finished_at": when(row["finished_at"]),
        "undo": undo,
    }


# MariaDB applies SET assignments left to right: status sees the new processed, and
# finished_at the new status.
_DONE = (
    " status = IF(status = 'sealed' AND processed >= sent, 'done', status),"
    " finished_at = IF(status = 'done' AND finished_at IS NULL, :now, finished_at)"
)


async def seal(
    conn: AsyncConnection, import_id: int, *, sent: int, bad: int, now: datetime
) -> None:
    await conn.execute(
        text(
            "UPDATE imports SET sent = :sent, bad = :bad, sealed_at = :now,"
            " status = IF(status = 'open', 'sealed', status)," + _DONE + " WHERE id = :id"
        ),
        {"sent": sent, "bad": bad, "now": now, "id": import_id},
    )


async def add_counts(
    conn: AsyncConnection, counts: Mapping[int, Counter[str]], now: datetime
) -> None:
    """Add a batch's outcomes to its imports' counts (``processed``: rows applied)."""
    for import_id in sorted(counts):
        tally = counts[import_id]
        assignments = ", ".join(f"`{name}` = `{name}` + :{name}" for name in ("processed", *COUNTS))
        await conn.execute(
            text(f"UPDATE imports SET {assignments}," + _DONE + " WHERE id = :id"),
            {"id": import_id, "now": now, **{n: tally.get(n, 0) for n in ("processed", *COUNTS)}},
        )


async def add_undo_counts(
    conn: AsyncConnection, import_id: int, tally: Counter[str], *, finished: bool, now: datetime
) -> None:
    assignments = ", ".join(f"{name} = {name} + :{name}" for name in _UNDO)
    await conn.execute(
        text(
            f"UPDATE imports SET {assignments},"
            " status = IF(:finished, 'undone', status),"
            " undone_at = IF(:finished, :now, undone_at) WHERE id = :id"
        ),
        {"id": import_id, "now": now, "finished": finished, **{n: tally.get(n, 0) for n in _UNDO}},
    )


async def request_undo(conn: AsyncConnection, import_id: int, now: datetime) -> None:
    await conn.execute(
        imports.update()
        .where(imports.c.id == import_id)
        .values(status="undoing", undo_requested_at=func.coalesce(imports.c.undo_requested_at, now))
    )


async def record_changes(
    conn: AsyncConnection, import_id: int, entity: str, changes: Iterable[tuple[str, Any, int]]
) -> None:
    """What rows looked like before this import first changed them, and the version it
    left (an undo restores only rows nobody changed since). The first before-image wins."""
    rows = [
        (import_id, entity, key, orjson.dumps(before).decode(), version)
        for key, before, version in changes
    ]
    if rows:
        await execute_rows(
            conn,
            "INSERT INTO import_changes (import_id, entity, entity_key, `before`, after_version)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON DUPLICATE KEY UPDATE after_version = VALUES(after_version)",
            rows,
        )


async def next_changes(
    conn: AsyncConnection, import_id: int, entity: str, limit: int
) -> list[tuple[str, dict[str, Any], int]]:
    rows = await conn.execute(
        select(import_changes.c.entity_key, import_changes.c.before, import_changes.c.after_version)
        .where(import_changes.c.import_id == import_id, import_changes.c.entity == entity)
        .order_by(import_changes.c.entity_key)
        .limit(limit)
    )
    return [
        (
            r.entity_key,
            orjson.loads(r.before) if isinstance(r.before, str) else r.before,
            r.after_version,
        )
        for r in rows
    ]


async def forget_changes(
    conn: AsyncConnection, import_id: int, entity: str, keys: list[str]
) -> None:
    if keys:
        await conn.execute(
            import_changes.delete().where(
                import_changes.c.import_id == import_id,
                import_changes.c.entity == entity,
                import_changes.c.entity_key.in_(keys),
            )
        )
