"""The suppression lists (``/api/v1/suppressions``): who a channel's campaigns leave out.

Read by viewers; a marketer adds a customer (by id or email) with reason ``manual``, or
takes off one added that way. A person who unsubscribed by their own link stays on the
list (409): only they can opt back in. Each change is a ``suppression.changed`` event,
written with it (service.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from services.segments import service
from services.segments.store import suppressions
from shared.auth.dependency import Caller, access
from shared.db import unit_of_work
from shared.errors import ApiError, invalid_field, responses
from shared.pagination import decode_text_cursor, encode_text_cursor

ChannelName = Literal["email", "sms", "whatsapp"]


class Suppression(BaseModel):
    customer_id: str
    channel: ChannelName
    reason: str = Field(
        description="unsubscribed (their link), manual (a marketer) or provider (a refusal)"
    )
    created_at: str
    name: str | None
    email: str | None


class SuppressionList(BaseModel):
    items: list[Suppression]
    next_cursor: str | None


class NewSuppression(BaseModel):
    """A customer to leave out of a channel's campaigns: by ``customer_id`` or ``email``
    (already on the list: kept as it was, with its first reason)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: ChannelName
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    email: str | None = Field(default=None, min_length=3, max_length=254)

    @model_validator(mode="after")
    def _one(self) -> NewSuppression:
        if (self.customer_id is None) == (self.email is None):
            raise ValueError("give exactly one of 'customer_id' or 'email'")
        return self


def build_router(engine: AsyncEngine, notify: Callable[[], None]) -> APIRouter:
    router = APIRouter(prefix="/api/v1/suppressions", tags=["suppressions"])

    @router.get("", response_model=SuppressionList)
    async def list_suppressions(
        channel: ChannelName,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> dict[str, Any]:
        after = decode_text_cursor(cursor)
        async with engine.connect() as conn:
            items = await suppressions.page(conn, channel, after, limit)
        last = str(items[-1]["customer_id"]) if len(items) == limit else None
        return {"items": items, "next_cursor": encode_text_cursor(last)}

    @router.post(
        "",
        status_code=201,
        response_model=Suppression,
        responses=responses(404),
        openapi_extra=access("marketer", "write"),
    )
    async def add(body: NewSuppression, who: Caller) -> dict[str, Any]:
        async with unit_of_work(engine) as conn:
            if body.email is not None:
                customer_id = await suppressions.customer_by_email(conn, body.email)
                if customer_id is None:
                    raise invalid_field("body.email", "no customer has this email")
            else:
                customer_id = str(body.customer_id)
                if not await suppressions.known_customer(conn, customer_id):
                    raise ApiError(404, f"no customer {customer_id!r}")
            await service.suppress(conn, customer_id, body.channel, "manual", who.actor())
            row = await suppressions.one(conn, customer_id, body.channel)
        notify()
        assert row is not None  # written in this very transaction
        return row

    @router.delete(
        "/{channel}/{customer_id}",
        status_code=204,
        responses=responses(404, 409),
        openapi_extra=access("marketer", "write"),
    )
    async def remove(channel: ChannelName, customer_id: str, who: Caller) -> Response:
        try:
            async with unit_of_work(engine) as conn:
                lifted = await service.lift(conn, customer_id, channel, who.actor())
        except service.CannotLift as error:
            raise ApiError(409, str(error)) from None
        if not lifted:
            raise ApiError(404, f"{customer_id[:80]!r} is not on the {channel} list")
        notify()
        return Response(status_code=204)

    return router
