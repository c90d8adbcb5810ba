"""Publishing from an HTTP request: the request is accepted only once RabbitMQ confirmed.

Used by APIs that answer ``202 Accepted`` (ingest's writes, delivery's receipts): either the
one event carrying the whole request is confirmed, or the caller gets a 503 quickly and
nothing was accepted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from faststream.rabbit import RabbitBroker, RabbitExchange
from pydantic import BaseModel, Field

from shared.envelope import Envelope
from shared.errors import ServiceUnavailable
from shared.outbox import publish_envelope


class Accepted(BaseModel):
    """The 202 of a write: how many items the confirmed event carries, and its id."""

    accepted: int = Field(ge=0)
    event_id: str = Field(description="the event carrying them (shared by coalesced requests)")


# ``responses=`` of a route answering :class:`Accepted` itself (no per-request validation).
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": Accepted, "description": "Accepted: RabbitMQ confirmed the event"}
}


async def accept_confirmed(
    broker: RabbitBroker,
    exchange: RabbitExchange,
    envelope: Envelope,
    *,
    ready: asyncio.Event,
    timeout: float,
    count: int,
) -> Response:
    """Publish ``envelope`` and answer 202 with ``count``, or raise ServiceUnavailable."""
    # Fail fast while the connection is down rather than wait out the publish timeout.
    if not ready.is_set() or not await broker.ping(timeout=0.25):
        raise ServiceUnavailable("message broker unavailable; nothing was accepted")
    try:
        async with asyncio.timeout(timeout):
            await publish_envelope(broker, exchange, envelope, timeout=timeout)
    except Exception:
        raise ServiceUnavailable("message broker did not confirm; nothing was accepted") from None
    return JSONResponse({"accepted": count, "event_id": str(envelope.event_id)}, status_code=202)
