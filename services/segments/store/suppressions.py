"""Queries on ``suppressions``: recording an unsubscribe, and the audience condition that
leaves suppressed and non-consenting customers out of an email campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.store.tables import profiles, suppressions


async def suppress(conn: AsyncConnection, customer_id: str, channel: str, reason: str) -> bool:
    """Record it (idempotent: a second click keeps the first record). True when new."""
    result = await conn.execute(
        insert(suppressions)
        .prefix_with("IGNORE")
        .values(
            customer_id=customer_id,
            channel=channel,
            reason=reason,
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )
    return bool(result.rowcount == 1)


async def suppressed(conn: AsyncConnection, channel: str) -> set[str]:
    rows = await conn.execute(
        select(suppressions.c.customer_id).where(suppressions.c.channel == channel)
    )
    return {r.customer_id for r in rows}


def not_suppressed(channel: str) -> ColumnElement[bool]:
    """Profiles not on ``channel``'s suppression list."""
    return ~exists().where(
        suppressions.c.customer_id == profiles.c.customer_id,
        suppressions.c.channel == channel,
    )


def reachable_by_email() -> ColumnElement[bool]:
    """Profiles an email campaign may go to: an address, email consent given (None, never
    said, is not consent), and no suppression on the email channel."""
    return and_(
        profiles.c.email.is_not(None),
        profiles.c.email != "",
        profiles.c.email_consent.is_(True),
        not_suppressed("email"),
    )


async def carry_over(conn: AsyncConnection, merges: list[tuple[str, str]]) -> None:
    """One person found under two ids: what the alias unsubscribed from, ``into`` stays
    unsubscribed from (an unsubscribe must never be lost to a merge)."""
    for alias, into in merges:
        rows = (
            await conn.execute(
                select(suppressions.c.channel, suppressions.c.reason).where(
                    suppressions.c.customer_id == alias
                )
            )
        ).all()
        for row in rows:
            await suppress(conn, into, row.channel, row.reason)


async def forget(conn: AsyncConnection, customer_ids: list[str]) -> None:
    """An erased person's suppressions go with the rest of their data."""
    await conn.execute(delete(suppressions).where(suppressions.c.customer_id.in_(customer_ids)))


def _listed() -> Any:
    """Suppressions with the name and email the profile holds (None once erased)."""
    return select(
        suppressions.c.customer_id,
        suppressions.c.channel,
        suppressions.c.reason,
        suppressions.c.created_at,
        profiles.c.name,
        profiles.c.email,
    ).select_from(
        suppressions.outerjoin(profiles, profiles.c.customer_id == suppressions.c.customer_id)
    )


def _as_dict(r: Any) -> dict[str, object]:
    return {
        "customer_id": r.customer_id,
        "channel": r.channel,
        "reason": r.reason,
        "created_at": r.created_at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        "name": r.name,
        "email": r.email,
    }


async def page(
    conn: AsyncConnection, channel: str, after: str, limit: int
) -> list[dict[str, object]]:
    """One channel's suppressions in customer id order, after ``after``."""
    rows = await conn.execute(
        _listed()
        .where(suppressions.c.channel == channel, suppressions.c.customer_id > after)
        .order_by(suppressions.c.customer_id)
        .limit(limit)
    )
    return [_as_dict(r) for r in rows]


async def one(conn: AsyncConnection, customer_id: str, channel: str) -> dict[str, object] | None:
    row = (
        await conn.execute(
            _listed().where(
                suppressions.c.channel == channel, suppressions.c.customer_id == customer_id
            )
        )
    ).first()
    return None if row is None else _as_dict(row)


async def customer_by_email(conn: AsyncConnection, email: str) -> str | None:
    """The known customer with this address (compared as the column's collation does:
    without regard to case), or None."""
    row = (
        await conn.execute(
            select(profiles.c.customer_id)
            .where(profiles.c.email == email.strip(), profiles.c.known.is_(True))
            .limit(1)
        )
    ).first()
    return None if row is None else str(row.customer_id)


async def known_customer(conn: AsyncConnection, customer_id: str) -> bool:
    row = (
        await conn.execute(
            select(profiles.c.customer_id).where(
                profiles.c.customer_id == customer_id, profiles.c.known.is_(True)
            )
        )
    ).first()
    return row is not None


async def reason_of(conn: AsyncConnection, customer_id: str, channel: str) -> str | None:
    row = (
        await conn.execute(
            select(suppressions.c.reason).where(
                suppressions.c.customer_id == customer_id, suppressions.c.channel == channel
            )
        )
    ).first()
    return None if row is None else str(row.reason)


async def lift(conn: AsyncConnection, customer_id: str, channel: str) -> bool:
    result = await conn.execute(
        delete(suppressions).where(
            suppressions.c.customer_id == customer_id, suppressions.c.channel == channel
        )
    )
    return bool(result.rowcount)
