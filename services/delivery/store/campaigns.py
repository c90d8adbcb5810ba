"""Queries on ``campaigns``: each launched campaign's template, channel (and an email's
subject), state (active, paused, cancelled), and whether it is a test send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery.store.tables import campaigns


@dataclass(frozen=True)
class CampaignTemplate:
    campaign_id: str
    name: str | None
    template: str
    template_error: str | None
    state: str = "active"  # active, paused, cancelled
    test: bool = False
    channel: str = "sms"  # or email
    subject: str | None = None  # an email's subject template


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


async def remember(
    conn: AsyncConnection,
    campaign_id: str,
    name: str | None,
    template: str,
    template_error: str | None,
    launched_at: datetime,
    test: bool = False,
    channel: str = "sms",
    subject: str | None = None,
) -> bool:
    """Store a campaign's template; the first launch event wins (its messages may already
    be rendered). True when it was new."""
    result = await conn.execute(
        insert(campaigns)
        .prefix_with("IGNORE")
        .values(
            campaign_id=campaign_id,
            name=name[:200] if name else None,
            template=template,
            template_error=template_error[:1000] if template_error else None,
            launched_at=_naive(launched_at),
            received_at=datetime.now(UTC).replace(tzinfo=None),
            test=test,
            channel=channel,
            subject=subject,
        )
    )
    return bool(result.rowcount == 1)


async def get(conn: AsyncConnection, campaign_id: str) -> CampaignTemplate | None:
    row = (
        await conn.execute(
            select(
                campaigns.c.campaign_id,
                campaigns.c.name,
                campaigns.c.template,
                campaigns.c.template_error,
                campaigns.c.state,
                campaigns.c.test,
                campaigns.c.channel,
                campaigns.c.subject,
            ).where(campaigns.c.campaign_id == campaign_id)
        )
    ).first()
    if row is None:
        return None
    return CampaignTemplate(
        row.campaign_id,
        row.name,
        row.template,
        row.template_error,
        row.state,
        bool(row.test),
        row.channel,
        row.subject,
    )


async def set_state(conn: AsyncConnection, campaign_id: str, state: str) -> str | None:
    """Pause, resume (``active``) or cancel a campaign; its state before (None: unknown
    yet). A cancelled campaign stays cancelled."""
    row = (
        await conn.execute(
            select(campaigns.c.state)
            .where(campaigns.c.campaign_id == campaign_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    if row.state != "cancelled":
        await conn.execute(
            update(campaigns).where(campaigns.c.campaign_id == campaign_id).values(state=state)
        )
    return str(row.state)


async def tests_among(conn: AsyncConnection, campaign_ids: list[str]) -> frozenset[str]:
    """Which of these campaigns are test sends."""
    if not campaign_ids:
        return frozenset()
    rows = await conn.execute(
        select(campaigns.c.campaign_id).where(
            campaigns.c.campaign_id.in_(campaign_ids), campaigns.c.test.is_(True)
        )
    )
    return frozenset(r.campaign_id for r in rows)
