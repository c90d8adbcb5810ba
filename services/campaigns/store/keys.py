"""Queries on ``api_keys`` (campaigns holds the original of every key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
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


async def revoke(conn: AsyncConnection, key_id: str) -> Any | None:
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return await get(conn, key_id)
