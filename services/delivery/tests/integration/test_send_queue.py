"""The sender's work queue (``delivery.send``): what the audience consumer hands over is sent
once, survives a vendor outage, and a work item that can never be done is parked."""

from __future__ import annotations

import uuid

import pytest

from services.delivery.tests.integration.support import (
    SECRET,
    audience_batches,
    launch,
    people,
    progress,
    start,
    start_delivery,
    vendor_stats,
)
from shared.envelope import new_event
from tests.support.bus import dead_lettered, metric, publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

N = 1_200


async def test_work_items_wait_out_a_vendor_outage(stack: Stack) -> None:
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    recipients = [{**p, "email": p["email"] or f"{p['customer_id']}@example.in"} for p in people(N)]
    # No vendor at first: each work item retries for a short window, then goes back to the
    # queue, again and again (well under the queue's delivery limit).
    down = start_delivery(
        stack,
        vendor=False,
        worker_env={
            "BEACON_SEND_RETRY_WINDOW_S": "0.3",
            "BEACON_SEND_BACKOFF_BASE_S": "0.05",
            "BEACON_SEND_BACKOFF_MAX_S": "0.1",
        },
    )
    await publish(stack, "campaigns", [launch(campaign_id)])
    await publish(stack, "segments", audience_batches(campaign_id, recipients, 400))
    await eventually(
        lambda: metric(down.worker.url, "beacon_delivery_vendor_errors_total", kind="unavailable"),
        lambda n: n >= 6,
        timeout=60,
        what="work items handed back while the vendor is down",
    )
    rows, accepted, final = await progress(stack, campaign_id)
    assert (rows, accepted, final) == (N, 0, 0)

    # The vendor comes up; a worker that knows where it is takes the items over.
    down.worker.kill()
    vendor = stack.start_vendor(
        BEACON_VENDOR_SECRET=SECRET,
        BEACON_VENDOR_DELAY_MIN_S="0.01",
        BEACON_VENDOR_DELAY_MAX_S="0.1",
    )
    start(stack, "worker", {**down.worker_env, "BEACON_VENDOR_URL": vendor.url})
    await eventually(
        lambda: progress(stack, campaign_id),
        lambda p: p == (N, N, N),
        timeout=120,
        interval=0.25,
        what="every message sent and final once the vendor is back",
    )
    stats = await vendor_stats(vendor)
    assert stats["unique"] == stats["received"] == N, stats
    assert stats["duplicates"] == 0 and stats["max_delivered"] == 1
    assert await dead_lettered(stack, "delivery.send") == []


async def test_a_work_item_that_cannot_be_done_is_parked(stack: Stack) -> None:
    start_delivery(stack)
    bad = new_event(
        "delivery.send_requested", {"campaign_id": "c", "message_ids": ["m"]}, "test"
    ).model_copy(update={"payload": {"campaign_id": "c", "message_ids": "not a list"}})
    await publish(stack, "delivery", [bad])
    parked = await eventually(
        lambda: dead_lettered(stack, "delivery.send"),
        lambda p: len(p) == 1,
        what="the bad work item parked",
    )
    envelope, reason = parked[0]
    assert envelope["event_id"] == str(bad.event_id)
    assert "message_ids" in reason
