"""Delivery's HTTP API: the vendor's signed receipt callback and the communications log.

``POST /api/v1/receipts`` checks the signature on the raw body first (nothing unsigned is
even parsed), validates the receipts, and answers 202 once RabbitMQ confirmed the one
``receipt.received`` event carrying them; applying them is the worker's job.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from faststream.rabbit import RabbitBroker, RabbitExchange
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_formats.spreadsheet import csv_line
from services.delivery import webhooks_api
from services.delivery.domain import events as ev
from services.delivery.domain.receipts import InvalidReceipts, ReceiptProblem, parse_receipts
from services.delivery.domain.status import Status
from services.delivery.responses import CommunicationList
from services.delivery.settings import DeliverySettings
from services.delivery.store import log as log_store
from shared.envelope import Envelope
from shared.errors import ApiError, ErrorItem, invalid, invalid_field, responses
from shared.pagination import Cursor, decode_cursor, encode_cursor
from shared.publishing import ACCEPTED, accept_confirmed
from shared.signature import (
    HEADER,
    SignatureError,
    check_body,
    parse_header,
)

_RECEIPTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["receipts"],
                    "properties": {
                        "receipts": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 10_000,
                            "items": {
                                "type": "object",
                                "required": ["message_id", "status", "at"],
                                "properties": {
                                    "message_id": {"type": "string"},
                                    "status": {"enum": ["SENT", "FAILED"]},
                                    "at": {"type": "string", "format": "date-time"},
                                    "reason": {"type": ["string", "null"]},
                                },
                            },
                        }
                    },
                }
            }
        },
    },
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
        }
    ],
}


def receipt_problem(problem: ReceiptProblem) -> ErrorItem:
    """A receipt's problem, with its path in the body (``receipts[i].field``)."""
    if problem.index is None:
        return ErrorItem(field=f"body.{problem.field}", message=problem.message)
    where = f"body.receipts[{problem.index}]"
    field = where if problem.field == "(receipt)" else f"{where}.{problem.field}"
    return ErrorItem(field=field, message=problem.message)


def build_router(
    settings: DeliverySettings,
    engine: AsyncEngine,
    broker: RabbitBroker,
    exchange: RabbitExchange,
    broker_ready: asyncio.Event,
) -> tuple[APIRouter, APIRouter]:
    """(public routes, routes behind sign-in): the receipt callback is authenticated by the
    vendor's HMAC signature instead of a Beacon token, so it is served on the public one."""
    public = APIRouter(prefix="/api/v1")
    router = APIRouter(prefix="/api/v1")

    async def accept(envelope: Envelope, count: int) -> Response:
        return await accept_confirmed(
            broker,
            exchange,
            envelope,
            ready=broker_ready,
            timeout=settings.publish_timeout_s,
            count=count,
        )

    public.include_router(webhooks_api.build_router(settings, accept))

    @public.post(
        "/receipts",
        status_code=202,
        openapi_extra=_RECEIPTS_BODY,
        summary="The vendor's delivery receipts (signed callback)",
        responses={**ACCEPTED, **responses(401, 503)},
    )
    async def post_receipts(request: Request) -> Response:
        # The header is checked before the body is read, and the body's size is limited
        # while it streams (shared.health's middleware), so an unsigned sender costs little.
        try:
            timestamp, candidates = parse_header(
                request.headers.get(HEADER),
                now=time.time(),
                tolerance_s=settings.signature_tolerance_s,
            )
            body = await request.body()
            check_body(settings.vendor_secret, timestamp, candidates, body)
        except SignatureError as error:
            raise ApiError(401, str(error), code="bad_signature") from None
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise invalid_field("body", f"invalid JSON: {error}", "json_invalid") from None
        try:
            receipts = parse_receipts(data)
        except InvalidReceipts as error:
            raise invalid([receipt_problem(p) for p in error.problems]) from None
        return await accept(ev.receipt_received(receipts), len(receipts))

    @router.get(
        "/communications",
        summary="The communications log, oldest first",
        response_model=CommunicationList,
    )
    async def list_communications(
        campaign_id: Annotated[str | None, Query(max_length=64)] = None,
        customer_id: Annotated[
            str | None, Query(max_length=64, description="the messages one customer received")
        ] = None,
        status: Status | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Cursor = None,
        order: Annotated[Literal["oldest", "newest"], Query()] = "oldest",
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await log_store.page(
                conn,
                campaign_id=campaign_id,
                customer_id=customer_id,
                status=status,
                after_id=decode_cursor(cursor) or 0,
                limit=limit,
                newest_first=order == "newest",
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get(
        "/communications/export",
        summary="A campaign's whole log as CSV, streamed",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def export_communications(
        campaign_id: Annotated[str, Query(min_length=1, max_length=64)],
        status: Status | None = None,
    ) -> StreamingResponse:
        async def lines() -> AsyncIterator[bytes]:
            yield csv_line(EXPORT_COLUMNS)
            after = 0
            while True:
                async with engine.connect() as conn:
                    items, last = await log_store.page(
                        conn, campaign_id=campaign_id, status=status, after_id=after, limit=5000
                    )
                yield b"".join(csv_line([item[c] for c in EXPORT_COLUMNS]) for item in items)
                if last is None:
                    return
                after = last

        # Only safe characters in the header: an id is any string, and a header is latin-1.
        name = f"communications-{re.sub(r'[^A-Za-z0-9_-]', '_', campaign_id[:36])}.csv"
        return StreamingResponse(
            lines(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return public, router


EXPORT_COLUMNS = (
    "message_id",
    "campaign_id",
    "customer_id",
    "status",
    "reason",
    "message",
    "created_at",
    "updated_at",
)
