"""Queries on ``campaigns``: the template of each launched campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.mysql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery.store.tables import campaigns


@dataclass(frozen=True)
class CampaignTemplate:
    campaign_id: str
    name: str | None
    template: str
    template_error: str | None


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


async def remember(
    conn: AsyncConnection,
    campaign_id: str,
    name: str | None,
    template: str,
    template_error: str | None,
    launched_at: datetime,
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
            ).where(campaigns.c.campaign_id == campaign_id)
        )
    ).first()
    if row is None:
        return None
    return CampaignTemplate(row.campaign_id, row.name, row.template, row.template_error)
