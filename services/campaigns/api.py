"""Campaigns' HTTP API: create (and so launch, or schedule) campaigns; list and read them;
pause, resume, cancel, edit (scheduled), duplicate; send a test.

Routes only translate HTTP to the use cases of :mod:`services.campaigns.service` and back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns import service
from services.campaigns.domain.campaign import (
    CampaignEdit,
    Duplicate,
    NewCampaign,
    NotAllowed,
    Status,
    TestSend,
)
from services.campaigns.responses import CampaignList, CampaignOut, TestSendOut
from services.campaigns.settings import CampaignsSettings
from services.campaigns.store.campaigns import Filters
from shared.auth.dependency import Caller
from shared.db import unit_of_work
from shared.errors import ApiError, invalid_field, responses
from shared.pagination import Cursor, decode_cursor, encode_cursor
from shared.validation import UtcTime

CampaignId = Annotated[str, Path(max_length=64)]


def build_router(
    settings: CampaignsSettings, engine: AsyncEngine, notify: Callable[[], None]
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/campaigns")

    def unknown_segment(error: service.UnknownSegment) -> HTTPException:
        return HTTPException(
            422, [{"loc": ["body", "segment_id"], "msg": str(error), "type": "value_error"}]
        )

    @router.post("", status_code=201, response_model=CampaignOut)
    async def create(body: NewCampaign, who: Caller) -> dict[str, Any]:
        try:
            async with unit_of_work(engine) as conn:
                campaign = await service.create_campaign(
                    conn, body, who.actor(), confirm_above=settings.campaign_confirm_above
                )
        except service.UnknownSegment as error:
            raise unknown_segment(error) from None
        notify()
        return campaign

    @router.post(
        "/test-send",
        status_code=202,
        summary="Send a message to named customers as a test (in no list, no statistics)",
        response_model=TestSendOut,
    )
    async def test_send(body: TestSend, who: Caller) -> dict[str, Any]:
        try:
            async with unit_of_work(engine) as conn:
                campaign = await service.test_send(conn, body, who.actor())
        except service.NoEmail as error:
            raise invalid_field("body.to_me", str(error)) from None
        notify()
        return {"test_id": campaign["id"], "recipients": campaign["max_audience"]}

    @router.get("", response_model=CampaignList)
    async def list_campaigns(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: Cursor = None,
        q: Annotated[str | None, Query(max_length=200, description="name contains")] = None,
        status: Status | None = None,
        since: Annotated[UtcTime | None, Query(description="created at or after")] = None,
        until: Annotated[UtcTime | None, Query(description="created before")] = None,
        order: Annotated[Literal["newest", "oldest"], Query()] = "newest",
    ) -> dict[str, Any]:
        filters = Filters(
            q=(q or "").strip() or None,
            status=status,
            since=since.replace(tzinfo=None) if since else None,
            until=until.replace(tzinfo=None) if until else None,
            oldest_first=order == "oldest",
        )
        async with engine.connect() as conn:
            items, last = await service.list_campaigns(
                conn, before_seq=decode_cursor(cursor), limit=limit, filters=filters
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get("/{campaign_id}", response_model=CampaignOut, responses=responses(404))
    async def get_campaign(campaign_id: CampaignId) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await service.get_campaign(conn, campaign_id)
        if found is None:
            raise HTTPException(404, f"campaign {campaign_id!r} not found")
        return found

    async def act(campaign_id: str, action: str, who: Any) -> dict[str, Any]:
        try:
            async with unit_of_work(engine) as conn:
                campaign = await service.control(conn, campaign_id, action, who.actor())
        except service.UnknownCampaign as error:
            raise HTTPException(404, str(error)) from None
        except NotAllowed as error:
            raise ApiError(409, str(error)) from None
        notify()
        return campaign

    @router.post("/{campaign_id}/pause", response_model=CampaignOut, responses=responses(404, 409))
    async def pause(campaign_id: CampaignId, who: Caller) -> dict[str, Any]:
        """Stop sending (within about a second); what was sent stays sent."""
        return await act(campaign_id, "pause", who)

    @router.post("/{campaign_id}/resume", response_model=CampaignOut, responses=responses(404, 409))
    async def resume(campaign_id: CampaignId, who: Caller) -> dict[str, Any]:
        """Send what is left of a paused campaign."""
        return await act(campaign_id, "resume", who)

    @router.post("/{campaign_id}/cancel", response_model=CampaignOut, responses=responses(404, 409))
    async def cancel(campaign_id: CampaignId, who: Caller) -> dict[str, Any]:
        """Cancel a scheduled or sending campaign: nothing more is sent, and every message
        not sent yet ends CANCELLED."""
        return await act(campaign_id, "cancel", who)

    @router.patch("/{campaign_id}", response_model=CampaignOut, responses=responses(404, 409))
    async def edit(campaign_id: CampaignId, body: CampaignEdit) -> dict[str, Any]:
        """Change a scheduled campaign: name, message (an email's subject), audience, time,
        confirmed size."""
        try:
            async with unit_of_work(engine) as conn:
                return await service.edit_scheduled(
                    conn, campaign_id, body, confirm_above=settings.campaign_confirm_above
                )
        except service.UnknownCampaign as error:
            raise HTTPException(404, str(error)) from None
        except service.UnknownSegment as error:
            raise unknown_segment(error) from None
        except service.NoSubject as error:
            raise invalid_field("body.subject", str(error)) from None
        except NotAllowed as error:
            raise ApiError(409, str(error)) from None

    @router.post(
        "/{campaign_id}/duplicate",
        status_code=201,
        response_model=CampaignOut,
        responses=responses(404),
    )
    async def duplicate(campaign_id: CampaignId, body: Duplicate, who: Caller) -> dict[str, Any]:
        """A new campaign with this one's audience rules and message: launched at once
        unless ``schedule_at`` is given, with the same confirmation rules as any."""
        try:
            async with unit_of_work(engine) as conn:
                campaign = await service.duplicate(
                    conn,
                    campaign_id,
                    body,
                    who.actor(),
                    confirm_above=settings.campaign_confirm_above,
                )
        except service.UnknownCampaign as error:
            raise HTTPException(404, str(error)) from None
        notify()
        return campaign

    return router
