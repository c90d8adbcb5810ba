"""Providers' status webhooks move the log like the simulator's receipts do: WhatsApp's
(``X-Hub-Signature-256``) and Twilio's (``X-Twilio-Signature``), each signed as its provider
documents it (tests/support/provider_mocks.py builds WhatsApp's body; Twilio's signature
is checked against its documented vector in the unit tests). Bad signatures are refused
before anything is parsed; a provider that is not configured answers 404."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest

from services.delivery.providers import twilio
from services.delivery.tests.integration.support import (
    audience_batches,
    launch,
    message_id,
    people,
    start,
    start_delivery,
)
from tests.support.bus import publish
from tests.support.provider_mocks import whatsapp_status_webhook
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

APP_SECRET = "whatsapp-app-secret-" + "x" * 20
VERIFY = "verify-me"
AUTH_TOKEN = "twilio-auth-token-" + "y" * 20
PUBLIC = "https://beacon.example"
PROVIDERS = {
    "BEACON_WHATSAPP_APP_SECRET": APP_SECRET,
    "BEACON_WHATSAPP_VERIFY_TOKEN": VERIFY,
    "BEACON_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "BEACON_DELIVERY_PUBLIC_URL": PUBLIC,
}


async def log_of(stack: Stack, campaign_id: str) -> dict[str, tuple[str, str | None]]:
    rows = await stack.rows(
        "delivery",
        "SELECT customer_id, status, reason FROM communications_log WHERE campaign_id = :c",
        c=campaign_id,
    )
    return {r.customer_id: (r.status, r.reason) for r in rows}


def twilio_callback(
    mid: str, fields: dict[str, str], token: str = AUTH_TOKEN
) -> tuple[str, str, dict[str, str]]:
    """(path, form body, headers) of Twilio's status callback for message ``mid``."""
    query = urlencode({"message_id": mid})
    url = f"{PUBLIC}/api/v1/webhooks/twilio?{query}"
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        twilio.SIGNATURE_HEADER: twilio.signature(token, url, fields.items()),
    }
    return f"/api/v1/webhooks/twilio?{query}", urlencode(fields), headers


async def test_signed_provider_statuses_update_the_log(stack: Stack) -> None:
    # No vendor: the messages stay PENDING unless a provider's status says otherwise.
    delivery = start_delivery(stack, vendor=False, api_env=PROVIDERS)
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    recipients = people(7, prefix="w-")
    mids = [message_id(campaign_id, p["customer_id"]) for p in recipients]
    await publish(stack, "campaigns", [launch(campaign_id)])
    await publish(stack, "segments", audience_batches(campaign_id, recipients, 10))
    await eventually(
        lambda: log_of(stack, campaign_id), lambda s: len(s) == 7, what="log rows written"
    )
    now = str(int(time.time()))

    def status(i: int, kind: str, **extra: object) -> dict[str, object]:
        return {
            "id": f"wamid.{i}",
            "status": kind,
            "timestamp": now,
            "recipient_id": "919812345678",
            "biz_opaque_callback_data": mids[i],
            **extra,
        }

    async with httpx.AsyncClient(base_url=delivery.api.url, timeout=30) as client:
        handshake = await client.get(
            "/api/v1/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY,
                "hub.challenge": "1158201444",
            },
        )
        assert handshake.status_code == 200 and handshake.text == "1158201444"
        wrong = await client.get(
            "/api/v1/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        )
        assert wrong.status_code == 403

        statuses = [
            status(0, "delivered"),
            status(1, "read"),
            status(
                2,
                "failed",
                errors=[
                    {
                        "code": 131049,
                        "title": "This message was not delivered to maintain healthy ecosystem engagement.",
                    }
                ],
            ),
            status(3, "sent"),  # in transit: changes nothing
            {**status(6, "delivered"), "biz_opaque_callback_data": None},  # not ours
        ]
        body, headers = whatsapp_status_webhook(statuses, APP_SECRET)
        forged_body, forged = whatsapp_status_webhook(statuses, "not-the-secret")
        refused = await client.post(
            "/api/v1/webhooks/whatsapp", content=forged_body, headers=forged
        )
        assert refused.status_code == 403 and refused.json()["code"] == "bad_signature"
        tampered = body.replace(b'"delivered"', b'"failed"', 1)
        assert (
            await client.post("/api/v1/webhooks/whatsapp", content=tampered, headers=headers)
        ).status_code == 403
        unsigned = {"content-type": "application/json"}
        assert (
            await client.post("/api/v1/webhooks/whatsapp", content=body, headers=unsigned)
        ).status_code == 403
        accepted = await client.post("/api/v1/webhooks/whatsapp", content=body, headers=headers)
        assert accepted.status_code == 202, accepted.text

        path, form, signed = twilio_callback(
            mids[4], {"MessageSid": "SM1", "MessageStatus": "delivered", "AccountSid": "AC1"}
        )
        assert (await client.post(path, content=form, headers=signed)).status_code == 202
        path, form, signed = twilio_callback(
            mids[5],
            {"MessageSid": "SM2", "MessageStatus": "undelivered", "ErrorCode": "30007"},
        )
        assert (await client.post(path, content=form, headers=signed)).status_code == 202
        # Signed for another message: the id in the URL is part of what Twilio signs.
        path6, form6, _ = twilio_callback(
            mids[6], {"MessageSid": "SM3", "MessageStatus": "delivered"}
        )
        _, _, signed_for_5 = twilio_callback(
            mids[5], {"MessageSid": "SM3", "MessageStatus": "delivered"}
        )
        moved = await client.post(path6, content=form6, headers=signed_for_5)
        assert moved.status_code == 403
        queued = twilio_callback(mids[6], {"MessageSid": "SM3", "MessageStatus": "queued"})
        assert (
            await client.post(queued[0], content=queued[1], headers=queued[2])
        ).status_code == 200

    want = {
        "w-0": ("SENT", None),
        "w-1": ("SENT", None),
        "w-2": (
            "FAILED",
            "whatsapp 131049: marketing_limit (This message was not delivered to maintain "
            "healthy ecosystem engagement.)",
        ),
        "w-3": ("PENDING", None),
        "w-4": ("SENT", None),
        "w-5": ("FAILED", "twilio 30007: carrier_filtered"),
        "w-6": ("PENDING", None),
    }
    await eventually(
        lambda: log_of(stack, campaign_id), lambda s: s == want, what="statuses applied"
    )


async def test_an_unconfigured_provider_accepts_nothing(stack: Stack) -> None:
    api = start(stack, "api", {})
    body, headers = whatsapp_status_webhook([], "")
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        assert (
            await client.post("/api/v1/webhooks/whatsapp", content=body, headers=headers)
        ).status_code == 404
        assert (
            await client.get("/api/v1/webhooks/whatsapp", params={"hub.verify_token": ""})
        ).status_code == 404
        path, form, signed = twilio_callback("m", {"MessageStatus": "delivered"}, token="")
        assert (await client.post(path, content=form, headers=signed)).status_code == 404
