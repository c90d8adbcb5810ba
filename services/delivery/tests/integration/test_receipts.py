"""The receipt callback: signature, validation, the one event it publishes; then how the
worker applies receipts: early ones parked until their message exists, late and duplicate
ones changing nothing; and 503 at once when the broker is away."""

from __future__ import annotations

import time
import uuid
from typing import Any

import aio_pika
import httpx
import orjson
import pytest

from services.delivery.tests.integration.support import (
    SECRET,
    audience_batches,
    launch,
    message_id,
    people,
    post_receipts,
    signed,
    start_delivery,
    tap,
)
from shared.envelope import new_event
from tests.support.bus import publish
from tests.support.processes import free_port
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

NOW = "2026-11-01T10:00:00Z"


def receipt(mid: str, status: str = "SENT", reason: str | None = None) -> dict[str, Any]:
    return {"message_id": mid, "status": status, "at": NOW, "reason": reason}


async def statuses(stack: Stack, campaign_id: str) -> dict[str, tuple[str, str | None]]:
    rows = await stack.rows(
        "delivery",
        "SELECT customer_id, status, reason FROM communications_log WHERE campaign_id = :c",
        c=campaign_id,
    )
    return {r.customer_id: (r.status, r.reason) for r in rows}


async def test_signatures_and_validation(stack: Stack) -> None:
    api = stack.start("delivery", "api", BEACON_VENDOR_SECRET=SECRET)
    body = orjson.dumps({"receipts": [receipt("m-1")]})
    async with (
        tap(stack, "receipt.received") as events,
        httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client,
    ):

        async def post(content: bytes, headers: dict[str, str]) -> httpx.Response:
            return await client.post("/api/v1/receipts", content=content, headers=headers)

        refused = {
            "unsigned": await post(body, {"content-type": "application/json"}),
            "wrong secret": await post(body, signed(body, secret="not-the-secret")),
            "301 s old": await post(body, signed(body, at=time.time() - 301)),
            "301 s ahead": await post(body, signed(body, at=time.time() + 301)),
            "tampered": await post(body.replace(b"SENT", b"FAILED"), signed(body)),
            "garbage header": await post(body, {"X-Beacon-Signature": "nonsense"}),
        }
        for case, response in refused.items():
            assert response.status_code == 401, (case, response.text)
            assert response.json()["code"] == "bad_signature", case

        bad = await post_receipts(
            client, [receipt("m-1"), receipt("m-2", "DELIVERED"), {"message_id": "m-3"}]
        )
        assert bad.status_code == 422
        problems = {d["field"] for d in bad.json()["errors"]}
        assert {
            "body.receipts[1].status",
            "body.receipts[2].status",
            "body.receipts[2].at",
        } <= problems
        assert all(d["message"] for d in bad.json()["errors"])
        for receipts in ([], [receipt("m")] * 10_001):
            assert (await post_receipts(client, receipts)).status_code == 422
        not_json = b"{nope"
        assert (await post(not_json, signed(not_json))).status_code == 422

        ok = await post_receipts(client, [receipt("m-1"), receipt("m-2", "FAILED", "full")])
        assert ok.status_code == 202, ok.text
        stamped = await eventually(events.drain, lambda e: len(e) >= 1, what="receipt event")
        [event] = stamped.values()  # one event per accepted callback, none for refused ones
        assert event["event_id"] == ok.json()["event_id"]
        assert event["payload"] == {"receipts": [receipt("m-1"), receipt("m-2", "FAILED", "full")]}
    # No worker ever ran, yet the accepted receipts wait in the consumer's queue, which
    # the API declared: a 202 never means a receipt was dropped.
    assert await queued_messages(stack, "delivery.receipts") == 1


async def queued_messages(stack: Stack, queue: str) -> int:
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(stack.settings.amqp_name(queue), passive=True)
        return int(declared.declaration_result.message_count or 0)


async def test_early_late_and_duplicate_receipts(stack: Stack) -> None:
    # No vendor: the messages stay PENDING unless a receipt says otherwise.
    delivery = start_delivery(stack, vendor=False)
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    recipients = people(6, prefix="r-")
    mids = [message_id(campaign_id, p["customer_id"]) for p in recipients]
    async with (
        tap(stack, "delivery.updated") as events,
        httpx.AsyncClient(headers=stack.headers(), base_url=delivery.api.url, timeout=30) as client,
    ):
        # Receipts before their messages exist: parked, not lost. For r-2 the first of
        # two conflicting receipts wins.
        early = [
            receipt(mids[0]),
            receipt(mids[1], "FAILED", "mailbox full"),
            receipt(mids[2], "SENT"),
            receipt(mids[2], "FAILED", "too late"),
            receipt("never-a-message"),
        ]
        assert (await post_receipts(client, early)).status_code == 202
        await eventually(
            lambda: stack.scalar("delivery", "SELECT COUNT(*) FROM parked_receipts"),
            lambda n: n == 4,
            what="early receipts parked",
        )

        await publish(stack, "campaigns", [launch(campaign_id)])
        await publish(stack, "segments", audience_batches(campaign_id, recipients, 10))
        want = {
            "r-0": ("SENT", None),
            "r-1": ("FAILED", "mailbox full"),
            "r-2": ("SENT", None),
            "r-3": ("PENDING", None),
            "r-4": ("PENDING", None),
            "r-5": ("PENDING", None),
        }
        await eventually(
            lambda: statuses(stack, campaign_id), lambda s: s == want, what="parked applied"
        )
        assert await stack.scalar("delivery", "SELECT COUNT(*) FROM parked_receipts") == 1

        # Late, duplicate and conflicting receipts: only r-3 and r-4 move, once each.
        late = [
            receipt(mids[0], "FAILED", "late"),
            receipt(mids[3]),
            receipt(mids[3], "FAILED", "second thoughts"),
            receipt(mids[4], "FAILED", "blocked"),
        ]
        for _ in range(3):  # the vendor calling back again, and again
            assert (await post_receipts(client, late)).status_code == 202
        want |= {"r-3": ("SENT", None), "r-4": ("FAILED", "blocked")}
        await eventually(
            lambda: statuses(stack, campaign_id), lambda s: s == want, what="late receipts"
        )
        await eventually(
            lambda: stack.scalar(
                "delivery", "SELECT COUNT(*) FROM inbox WHERE consumer = 'delivery.receipts'"
            ),
            lambda n: n == 4,
            what="every callback handled",
        )
        totals = await eventually(
            events.totals,
            lambda t: t == {"queued": 6, "sent": 3, "failed": 2},
            what="delivery.updated totals",
        )
        assert await statuses(stack, campaign_id) == want
        assert await events.totals() == totals

        # A poison event (it never passed the API's validation, but has the catalogue's
        # shape, so only the handler rejects it) is parked with its reason.
        poison = new_event(
            "receipt.received",
            {"receipts": [{"message_id": "x", "status": "LOST", "at": "2026-01-01T00:00:00Z"}]},
            "test",
            check_catalogue=False,
        )
        await publish(stack, "delivery", [poison])
        reason = await eventually(
            lambda: dead_letter_reason(stack, "delivery.receipts.dlq"),
            lambda r: r is not None,
            what="poison event dead-lettered",
        )
        assert reason is not None and "bad receipts" in reason
        assert await statuses(stack, campaign_id) == want


async def dead_letter_reason(stack: Stack, queue: str) -> str | None:
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue(stack.settings.amqp_name(queue), passive=True)
        message = await dlq.get(fail=False)
        if message is None:
            return None
        await message.ack()
        return str((message.headers or {}).get("x-beacon-reason"))


async def test_broker_down_answers_503_at_once(stack: Stack) -> None:
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    api = stack.start(
        "delivery", "api", wait=False, BEACON_AMQP_URL=closed, BEACON_VENDOR_SECRET=SECRET
    )
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client:

        async def healthz() -> int:
            try:
                return (await client.get("/healthz")).status_code
            except httpx.HTTPError:
                return 0

        await eventually(healthz, lambda s: s == 200, timeout=60, what="api up")
        started = time.perf_counter()
        response = await post_receipts(client, [receipt("m-1")])
        assert response.status_code == 503, response.text
        assert time.perf_counter() - started < 1.0
        assert (await client.get("/readyz")).status_code == 503
