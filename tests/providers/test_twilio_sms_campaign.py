"""An SMS campaign sent through Twilio (``BEACON_SMS_PROVIDER=twilio``), Prism standing in
for Twilio from its published document: every recipient is handed to Twilio exactly once,
in a request the document accepts, with the status callback URL naming its message; the
signed callbacks then make each message SENT or FAILED."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest

from services.delivery.providers import twilio
from services.delivery.tests.integration.support import (
    audience_batches,
    launch,
    message_id,
    people,
    start_delivery,
)
from tests.providers.conftest import ACCOUNT, TOKEN, twilio_up
from tests.support.bus import publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

PUBLIC = "https://beacon.example"


def twilio_env(prism: str, **more: str) -> dict[str, str]:
    """Delivery sending sms through Twilio, here Prism."""
    return {
        "BEACON_SMS_PROVIDER": "twilio",
        "BEACON_TWILIO_API_URL": prism,
        "BEACON_TWILIO_ACCOUNT_SID": ACCOUNT,
        "BEACON_TWILIO_AUTH_TOKEN": TOKEN,
        "BEACON_TWILIO_SENDER": "+14155550100",
        "BEACON_DELIVERY_PUBLIC_URL": PUBLIC,
        **more,
    }


async def rows(stack: Stack, campaign_id: str) -> dict[str, tuple[str, bool, str | None]]:
    found = await stack.rows(
        "delivery",
        "SELECT customer_id, status, sent_to_vendor_at IS NOT NULL AS handed, reason "
        "FROM communications_log WHERE campaign_id = :c",
        c=campaign_id,
    )
    return {r.customer_id: (r.status, bool(r.handed), r.reason) for r in found}


async def test_an_sms_campaign_goes_through_twilio(stack: Stack, prism: str) -> None:
    await eventually(lambda: twilio_up(prism), bool, timeout=60, what="Prism listening")
    # Quiet hours off: this test sends at any hour (the next one is about them).
    provider = twilio_env(prism, BEACON_QUIET_HOURS="")
    delivery = start_delivery(stack, vendor=False, worker_env=provider, api_env=provider)
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    recipients = people(6, prefix="t-")
    await publish(stack, "campaigns", [launch(campaign_id)])
    await publish(stack, "segments", audience_batches(campaign_id, recipients, 4))
    # Handed to Twilio (Prism answered 201 with a message resource), still PENDING.
    handed = await eventually(
        lambda: rows(stack, campaign_id),
        lambda r: len(r) == 6 and all(h for _, h, _ in r.values()),
        timeout=60,
        what="every message handed to Twilio",
    )
    assert {s for s, _, _ in handed.values()} == {"PENDING"}

    async with httpx.AsyncClient(base_url=delivery.api.url, timeout=30) as client:
        for i, person in enumerate(recipients):
            mid = message_id(campaign_id, person["customer_id"])
            fields = (
                {"MessageSid": f"SM{i}", "MessageStatus": "delivered"}
                if i % 3
                else {"MessageSid": f"SM{i}", "MessageStatus": "undelivered", "ErrorCode": "30003"}
            )
            query = urlencode({"message_id": mid})
            url = f"{PUBLIC}/api/v1/webhooks/twilio?{query}"
            signature = twilio.signature(TOKEN, url, fields.items())
            answer = await client.post(
                f"/api/v1/webhooks/twilio?{query}",
                content=urlencode(fields),
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    twilio.SIGNATURE_HEADER: signature,
                },
            )
            assert answer.status_code == 202, answer.text
    want = {
        p["customer_id"]: ("FAILED", True, "twilio 30003: unreachable")
        if i % 3 == 0
        else ("SENT", True, None)
        for i, p in enumerate(recipients)
    }
    await eventually(
        lambda: rows(stack, campaign_id), lambda r: r == want, what="callbacks applied"
    )


async def test_quiet_hours_hold_an_sms_campaign_until_its_window_opens(
    stack: Stack, prism: str
) -> None:
    """Issue 26: outside the window nothing goes to Twilio, nothing is dropped; the work
    waits in deferred_sends and is sent once the window opens (here, seconds from now)."""
    await eventually(lambda: twilio_up(prism), bool, timeout=60, what="Prism listening")
    # Far enough ahead for the worker to start and the audience to reach it first.
    opens = datetime.now(UTC) + timedelta(seconds=30)
    closes = opens + timedelta(hours=1)
    provider = twilio_env(
        prism,
        BEACON_QUIET_HOURS=f"{opens:%H:%M:%S}-{closes:%H:%M:%S}",
        BEACON_QUIET_HOURS_ZONE="UTC",
    )
    start_delivery(stack, vendor=False, worker_env=provider)
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    recipients = people(5, prefix="q-")
    await publish(stack, "campaigns", [launch(campaign_id)])
    await publish(stack, "segments", audience_batches(campaign_id, recipients, 10))
    held = await eventually(
        lambda: stack.scalar(
            "delivery", "SELECT COUNT(*) FROM deferred_sends WHERE campaign_id = :c", c=campaign_id
        ),
        lambda n: n >= 1,
        timeout=25,
        what="the work held",
    )
    assert held >= 1 and datetime.now(UTC) < opens
    early = await rows(stack, campaign_id)
    assert len(early) == 5 and not any(h for _, h, _ in early.values())  # nothing sent yet
    handed = await eventually(
        lambda: rows(stack, campaign_id),
        lambda r: len(r) == 5 and all(h for _, h, _ in r.values()),
        timeout=60,
        what="sent once the window opened",
    )
    assert datetime.now(UTC) >= opens and {s for s, _, _ in handed.values()} == {"PENDING"}
    assert (
        await stack.scalar(
            "delivery", "SELECT COUNT(*) FROM deferred_sends WHERE campaign_id = :c", c=campaign_id
        )
        == 0
    )
