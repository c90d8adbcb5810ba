"""Queries on ``users`` and ``refresh_tokens``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.campaigns.store.campaigns import now
from services.campaigns.store.tables import refresh_tokens, users


async def get_user(conn: AsyncConnection, sub: str, *, lock: bool = False) -> Any | None:
    query = select(users).where(users.c.sub == sub)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def any_user(conn: AsyncConnection) -> bool:
    return (await conn.execute(select(users.c.sub).limit(1))).first() is not None


async def save_user(conn: AsyncConnection, values: dict[str, Any], *, known: bool) -> None:
    stamp = now()
    if known:
        await conn.execute(
            update(users)
            .where(users.c.sub == values["sub"])
            .values(**values, last_sign_in_at=stamp)
        )
    else:
        await conn.execute(users.insert().values(**values, created_at=stamp, last_sign_in_at=stamp))


async def add_refresh(
    conn: AsyncConnection,
    token_hash: str,
    sub: str,
    ttl_s: int,
    *,
    family: str,
    started_at: datetime,
    session_max_s: int,
) -> None:
    """A refresh token of the session ``family`` signed in at ``started_at``: it expires
    ``ttl_s`` from now, never after the session's absolute end."""
    stamp = now()
    ends = min(stamp + timedelta(seconds=ttl_s), started_at + timedelta(seconds=session_max_s))
    await conn.execute(
        refresh_tokens.insert().values(
            token_hash=token_hash,
            sub=sub,
            created_at=stamp,
            expires_at=ends,
            family=family,
            session_started_at=started_at,
        )
    )


async def set_role(conn: AsyncConnection, sub: str, role: str, source: str | None) -> None:
    await conn.execute(
        update(users).where(users.c.sub == sub).values(role=role, role_source=source)
    )


async def revoke_family(conn: AsyncConnection, row: Any) -> None:
    """End one session: every token of its family (a token from before families: itself)."""
    where = (
        refresh_tokens.c.family == row.family
        if row.family is not None
        else refresh_tokens.c.token_hash == row.token_hash
    )
    await conn.execute(
        update(refresh_tokens)
        .where(where, refresh_tokens.c.sub == row.sub, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )


async def lock_refresh(conn: AsyncConnection, token_hash: str) -> Any | None:
    query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
    return (await conn.execute(query.with_for_update())).first()


async def revoke_refresh(conn: AsyncConnection, token_hash: str, *, rotated: bool = False) -> None:
    await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now(), rotated=rotated)
    )


async def revoke_all_refresh(conn: AsyncConnection, sub: str) -> None:
    await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.sub == sub, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def expired(row: Any, at: datetime | None = None) -> bool:
    return bool(row.revoked_at is not None or row.expires_at <= (at or now()))


async def list_users(conn: AsyncConnection) -> list[Any]:
    """Everyone who ever signed in, by email, with how many sessions each has open now."""
    open_sessions = (
        select(
            func.count(
                func.distinct(func.coalesce(refresh_tokens.c.family, refresh_tokens.c.token_hash))
            )
        )
        .where(
            and_(
                refresh_tokens.c.sub == users.c.sub,
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now(),
            )
        )
        .scalar_subquery()
    )
    query = select(users, open_sessions.label("open_sessions")).order_by(users.c.email, users.c.sub)
    return list((await conn.execute(query)).all())


async def set_disabled(conn: AsyncConnection, sub: str, disabled: bool) -> None:
    await conn.execute(
        update(users).where(users.c.sub == sub).values(disabled_at=now() if disabled else None)
    )


async def active_admins(conn: AsyncConnection) -> list[str]:
    query = select(users.c.sub).where(users.c.role == "admin", users.c.disabled_at.is_(None))
    return list((await conn.execute(query)).scalars())
