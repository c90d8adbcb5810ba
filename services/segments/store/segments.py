"""Queries on ``segments``: saved audience definitions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.store.tables import segments


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _as_json(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["id"] = str(out["id"])
    sub, email = out.pop("created_by_sub"), out.pop("created_by_email")
    out["created_by"] = {"sub": sub, "email": email} if sub else None
    for key in ("created_at", "updated_at", "last_used_at"):
        if out.get(key) is not None:
            out[key] = out[key].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return out


async def create(
    conn: AsyncConnection, name: str, rules: dict[str, Any], actor: dict[str, Any]
) -> dict[str, Any]:
    now = _now()
    result = await conn.execute(
        segments.insert().values(
            name=name,
            rules=rules,
            created_at=now,
            updated_at=now,
            created_by_sub=actor["sub"],
            created_by_email=actor["email"],
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    found = await get(conn, int(key[0]))
    assert found is not None
    return found


async def get(conn: AsyncConnection, segment_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(segments).where(segments.c.id == segment_id))).first()
    return _as_json(row) if row else None


async def replace(
    conn: AsyncConnection, segment_id: int, name: str, rules: dict[str, Any], actor: dict[str, Any]
) -> dict[str, Any] | None:
    result = await conn.execute(
        update(segments)
        .where(segments.c.id == segment_id)
        .values(name=name, rules=rules, updated_at=_now(), updated_by_email=actor["email"])
    )
    return await get(conn, segment_id) if result.rowcount else None


async def mark_used(conn: AsyncConnection, segment_id: int, at: datetime) -> None:
    """A campaign was launched with this segment (the audiences list says when, last)."""
    await conn.execute(
        update(segments)
        .where(segments.c.id == segment_id)
        .values(last_used_at=func.greatest(func.coalesce(segments.c.last_used_at, at), at))
    )


async def remove(conn: AsyncConnection, segment_id: int) -> bool:
    return bool((await conn.execute(delete(segments).where(segments.c.id == segment_id))).rowcount)


async def page(
    conn: AsyncConnection, *, before_id: int | None, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Most recent first."""
    query = select(segments).order_by(segments.c.id.desc()).limit(limit + 1)
    if before_id is not None:
        query = query.where(segments.c.id < before_id)
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_as_json(r) for r in rows], (rows[-1].id if more else None)
