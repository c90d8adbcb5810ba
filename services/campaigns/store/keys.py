"""Queries on ``api_keys`` (campaigns holds the original of every key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.campaigns.store.campaigns import now
from services.campaigns.store.tables import api_keys


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> Any:
    await conn.execute(api_keys.insert().values(**values, created_at=now()))
    return await get(conn, values["id"])


async def get(conn: AsyncConnection, key_id: str, *, lock: bool = False) -> Any | None:
    query = select(api_keys).where(api_keys.c.id == key_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def all_keys(conn: AsyncConnection) -> list[Any]:
    return list((await conn.execute(select(api_keys).order_by(api_keys.c.created_at.desc()))).all())


async def mark_used(conn: AsyncConnection, key_id: str, at: datetime) -> None:
    """Keep the latest use reported by any service (reports may come out of order)."""
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id)
        .values(last_used_at=func.greatest(func.coalesce(api_keys.c.last_used_at, at), at))
    )


async def revoke(conn: AsyncConnection, key_id: str) -> Any | None:
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return await get(conn, key_id)
