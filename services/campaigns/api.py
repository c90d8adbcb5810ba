"""Campaigns' HTTP API: create (and so launch, or schedule) campaigns; list and read them.

Routes only translate HTTP to the use cases of :mod:`services.campaigns.service` and back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns import service
from services.campaigns.domain.campaign import NewCampaign
from services.campaigns.settings import CampaignsSettings
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
        try:
            async with unit_of_work(engine) as conn:
                campaign = await service.create_campaign(
                    conn, body, who.actor(), confirm_above=settings.campaign_confirm_above
                )
        except service.UnknownSegment as error:
            raise HTTPException(
                422,
                [{"loc": ["body", "segment_id"], "msg": str(error), "type": "value_error"}],
            ) from None
        notify()
        return campaign

    @router.get("")
    async def list_campaigns(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await service.list_campaigns(
                conn, before_seq=decode_cursor(cursor), limit=limit
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get("/{campaign_id}", responses=responses(404))
    async def get_campaign(campaign_id: str) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await service.get_campaign(conn, campaign_id)
        if found is None:
            raise HTTPException(404, f"campaign {campaign_id!r} not found")
        return found

    return router
