"""Queries on ``suppressions``: recording an unsubscribe, and the audience condition that
leaves suppressed and non-consenting customers out of an email campaign."""

from __future__ import annotations

from datetime import UTC, datetime

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


def reachable_by_email() -> ColumnElement[bool]:
    """Profiles an email campaign may go to: an address, email consent given (None, never
    said, is not consent), and no suppression on the email channel."""
    return and_(
        profiles.c.email.is_not(None),
        profiles.c.email != "",
        profiles.c.email_consent.is_(True),
        ~exists().where(
            suppressions.c.customer_id == profiles.c.customer_id,
            suppressions.c.channel == "email",
        ),
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
