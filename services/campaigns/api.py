"""Campaigns' HTTP API: create (and so launch, or schedule) campaigns; list and read them.

Creating writes the campaign and its ``campaign.launched`` event in one transaction through
the outbox: a campaign exists if and only if its launch will be announced.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns.domain import events
from services.campaigns.domain.campaign import NewCampaign, audience_ceiling
from services.campaigns.settings import CampaignsSettings
from services.campaigns.store import campaigns as store
from services.campaigns.store.tables import outbox as outbox_table
from shared import outbox
from shared.auth.dependency import Caller
from shared.db import unit_of_work
from shared.errors import responses
from shared.pagination import decode_cursor, encode_cursor


def build_router(
    settings: CampaignsSettings, engine: AsyncEngine, notify: Callable[[], None]
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/campaigns")

    @router.post("", status_code=201)
    async def create(body: NewCampaign, who: Caller) -> dict[str, Any]:
        launch_now = body.schedule_at is None or body.schedule_at <= datetime.now(UTC)
        async with unit_of_work(engine) as conn:
            rules = body.rules
            if body.segment_id is not None:
                rules = await store.segment_rules(conn, body.segment_id)
                if rules is None:
                    raise HTTPException(
                        422,
                        [
                            {
                                "loc": ["body", "segment_id"],
                                "msg": f"segment {body.segment_id!r} does not exist",
                                "type": "value_error",
                            }
                        ],
                    )
            campaign = await store.insert_campaign(
                conn,
                {
                    "id": str(uuid.uuid4()),
                    "name": body.name,
                    "status": "launching" if launch_now else "scheduled",
                    "message": body.message,
                    "rules": rules,
                    "segment_id": body.segment_id,
                    "schedule_at": body.schedule_at.replace(tzinfo=None)
                    if body.schedule_at
                    else None,
                    "launched_at": store.now() if launch_now else None,
                    "max_audience": audience_ceiling(
                        body.confirm_audience_size, settings.campaign_confirm_above
                    ),
                    "created_by_sub": who.actor()["sub"],
                    "created_by_email": who.actor()["email"],
                },
            )
            if launch_now:
                await outbox.add(conn, outbox_table, [events.campaign_launched(campaign)])
        notify()
        return campaign

    @router.get("")
    async def list_campaigns(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await store.page(conn, before_seq=decode_cursor(cursor), limit=limit)
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get("/{campaign_id}", responses=responses(404))
    async def get_campaign(campaign_id: str) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await store.get(conn, campaign_id)
        if found is None:
            raise HTTPException(404, f"campaign {campaign_id!r} not found")
        return found

    return router
