"""Providers' status webhooks (``/api/v1/webhooks/...``): each checked the way its provider
signs it, turned into receipts, and accepted like the simulator's callback (one
``receipt.received`` event, 2xx once RabbitMQ confirmed it; applying them is the worker's).

- ``GET /webhooks/whatsapp``: Meta's subscription handshake (``hub.verify_token``).
- ``POST /webhooks/whatsapp``: status webhooks, ``X-Hub-Signature-256`` over the raw body.
- ``POST /webhooks/twilio?message_id=``: status callbacks, ``X-Twilio-Signature`` over our
  public URL of the callback and its form fields.

A provider that is not configured answers 404 (nothing to forge); a bad signature 403,
before the body is parsed. See services/delivery/providers/ for each provider's documents.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from services.delivery.domain import events as ev
from services.delivery.domain.status import Receipt
from services.delivery.providers import twilio, whatsapp
from services.delivery.settings import DeliverySettings
from shared.envelope import Envelope
from shared.errors import ApiError, invalid_field, responses

Accept = Callable[[Envelope, int], Awaitable[Response]]
TWILIO_PATH = "/api/v1/webhooks/twilio"


def build_router(settings: DeliverySettings, accept: Accept) -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])

    async def accepted(receipts: list[Receipt]) -> Response:
        if not receipts:  # statuses on the way (sent, queued): nothing to apply
            return Response(status_code=200)
        return await accept(ev.receipt_received(receipts), len(receipts))

    @router.get(
        "/whatsapp",
        summary="WhatsApp's webhook subscription handshake",
        # Response, not PlainTextResponse: that would document every error (JSON) as text.
        response_class=Response,
        responses={
            200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
            **responses(403, 404),
        },
    )
    async def whatsapp_handshake(
        mode: Annotated[str, Query(alias="hub.mode", max_length=50)] = "",
        token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
        challenge: Annotated[str, Query(alias="hub.challenge", max_length=500)] = "",
    ) -> PlainTextResponse:
        expected = settings.whatsapp_verify_token
        if not expected:
            raise ApiError(404, "WhatsApp is not configured (BEACON_WHATSAPP_VERIFY_TOKEN)")
        if mode != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
            raise ApiError(403, "hub.verify_token does not match", code="bad_verify_token")
        return PlainTextResponse(challenge)

    @router.post(
        "/whatsapp",
        summary="WhatsApp message statuses (signed by Meta)",
        responses={**responses(403, 404, 422, 503)},
    )
    async def whatsapp_statuses(request: Request) -> Response:
        if not settings.whatsapp_app_secret:
            raise ApiError(404, "WhatsApp is not configured (BEACON_WHATSAPP_APP_SECRET)")
        body = await request.body()
        header = request.headers.get(whatsapp.SIGNATURE_HEADER)
        if not whatsapp.signature_ok(settings.whatsapp_app_secret, body, header):
            raise ApiError(
                403, f"{whatsapp.SIGNATURE_HEADER} does not match the body", code="bad_signature"
            )
        try:
            receipts = whatsapp.receipts_of(orjson.loads(body))
        except orjson.JSONDecodeError as error:
            raise invalid_field("body", f"invalid JSON: {error}", "json_invalid") from None
        except whatsapp.BadWebhook as error:
            raise invalid_field("body", str(error)) from None
        return await accepted(receipts)

    @router.post(
        "/twilio",
        summary="Twilio status callbacks (signed by Twilio)",
        responses={**responses(403, 404, 422, 503)},
    )
    async def twilio_status(
        request: Request,
        message_id: Annotated[str, Query(min_length=1, max_length=64)],
    ) -> Response:
        if not settings.twilio_auth_token:
            raise ApiError(404, "Twilio is not configured (BEACON_TWILIO_AUTH_TOKEN)")
        body = await request.body()
        try:
            fields = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise invalid_field("body", "not a UTF-8 form") from None
        # Twilio signs the URL it was given: ours as the public sees it, not the one a
        # proxy handed this process.
        url = f"{settings.delivery_public_url.rstrip('/')}{TWILIO_PATH}?{request.url.query}"
        header = request.headers.get(twilio.SIGNATURE_HEADER)
        if not twilio.signature_ok(settings.twilio_auth_token, url, fields, header):
            raise ApiError(403, f"{twilio.SIGNATURE_HEADER} does not match", code="bad_signature")
        receipt = twilio.receipt_of(message_id, dict(fields))
        return await accepted([receipt] if receipt else [])

    return router
