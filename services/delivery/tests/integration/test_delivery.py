"""Delivery end to end on real MariaDB and RabbitMQ processes, with the vendor simulator:
audience → communications_log → vendor → signed receipts → batched status updates."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from services.delivery.domain.messages import NO_ADDRESS
from services.delivery.tests.integration.support import (
    TEMPLATE,
    audience_batches,
    expected_address,
    expected_message,
    launch,
    message_id,
    people,
    start,
    start_delivery,
    tap,
    vendor_stats,
)
from simulators.vendor.registry import outcome
from tests.support import auth
from tests.support.bus import publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

SEED = 7
LOG_ROWS = (
    "SELECT customer_id, message_id, recipient, message, status, reason, sent_to_vendor_at "
    "FROM communications_log WHERE campaign_id = :c"
)


async def status_counts(stack: Stack, campaign_id: str) -> dict[str, int]:
    rows = await stack.rows(
        "delivery",
        "SELECT status, COUNT(*) FROM communications_log WHERE campaign_id = :c GROUP BY status",
        c=campaign_id,
    )
    return {status: int(n) for status, n in rows}


async def all_final(stack: Stack, campaign_id: str, total: int, timeout: float) -> dict[str, int]:
    return await eventually(
        lambda: status_counts(stack, campaign_id),
        lambda c: sum(c.values()) == total and not c.get("PENDING"),
        timeout=timeout,
        interval=0.25,
        what="every message final",
    )


async def test_campaign_is_delivered_once_per_recipient(stack: Stack) -> None:
    recipients = people(2_000)
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    batches = audience_batches(campaign_id, recipients, 500)
    async with tap(stack, "delivery.updated") as events:
        delivery = start_delivery(
            stack,
            BEACON_VENDOR_SEED=str(SEED),
            BEACON_VENDOR_DELAY_MIN_S="0.05",
            BEACON_VENDOR_DELAY_MAX_S="0.4",
        )
        assert delivery.vendor is not None
        # A second worker: both consume the audience and share the sending, and still no
        # message goes to the vendor twice.
        start(stack, "worker", delivery.worker_env)
        # An audience batch before its campaign's template: it waits, then is applied.
        await publish(stack, "segments", batches[:1])
        await publish(stack, "campaigns", [launch(campaign_id)])
        await publish(stack, "segments", batches[1:])
        counts = await all_final(stack, campaign_id, 2_000, timeout=90)

        rows = {r.customer_id: r for r in await stack.rows("delivery", LOG_ROWS, c=campaign_id)}
        assert len(rows) == 2_000
        nowhere = 0
        for person in recipients:
            row = rows[person["customer_id"]]
            mid = message_id(campaign_id, person["customer_id"])
            assert row.message_id == mid
            assert row.message == expected_message(person), person
            assert row.recipient == expected_address(person)
            if row.recipient is None:  # nowhere to send: failed at once, never sent
                nowhere += 1
                assert (row.status, row.reason) == ("FAILED", NO_ADDRESS)
                assert row.sent_to_vendor_at is None
                continue
            assert row.sent_to_vendor_at is not None
            want_status, want_reason = outcome(SEED, mid, 0.1)
            assert (row.status, row.reason) == (want_status, want_reason), person
        assert nowhere == 8
        assert 0.07 <= counts["FAILED"] / 2_000 <= 0.13, counts

        stats = await vendor_stats(delivery.vendor)
        assert stats["unique"] == stats["received"] == 2_000 - nowhere, stats
        assert stats["duplicates"] == 0 and stats["max_delivered"] == 1
        assert stats["by_status"] == {"SENT": counts["SENT"], "FAILED": counts["FAILED"] - nowhere}
        want_totals = {"queued": 2_000, "sent": counts["SENT"], "failed": counts["FAILED"]}
        await eventually(events.totals, lambda t: t == want_totals, what="delivery.updated totals")

        # The same batches again (a redelivery), the same recipients under new event ids
        # (a re-publish), and the launch again with another template: nothing changes.
        outbox_before = await stack.scalar("delivery", "SELECT COUNT(*) FROM outbox")
        await publish(stack, "segments", batches)
        await publish(stack, "campaigns", [launch(campaign_id, template="Changed {name}")])
        await publish(stack, "segments", audience_batches(campaign_id, recipients, 500, salt="2"))
        await eventually(
            lambda: stack.scalar(
                "delivery", "SELECT COUNT(*) FROM inbox WHERE consumer = 'delivery.audience'"
            ),
            lambda n: n == 8,
            what="re-published batches handled",
        )
        await eventually(
            lambda: stack.scalar(
                "delivery", "SELECT COUNT(*) FROM inbox WHERE consumer = 'delivery.campaigns'"
            ),
            lambda n: n == 2,
            what="second launch handled",
        )
        assert await stack.scalar("delivery", "SELECT COUNT(*) FROM outbox") == outbox_before
        assert await status_counts(stack, campaign_id) == counts
        again = {r.customer_id: r for r in await stack.rows("delivery", LOG_ROWS, c=campaign_id)}
        assert again == rows
        assert await events.totals() == want_totals
        assert (await vendor_stats(delivery.vendor))["received"] == 2_000 - nowhere
        template = await stack.scalar(
            "delivery", "SELECT template FROM campaigns WHERE campaign_id = :c", c=campaign_id
        )
        assert template == TEMPLATE

    await check_communications_api(delivery.api.url, campaign_id, rows, counts)


async def check_communications_api(
    url: str, campaign_id: str, rows: dict[str, Any], counts: dict[str, int]
) -> None:
    async with httpx.AsyncClient(headers=auth.headers(), base_url=url, timeout=30) as client:
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"campaign_id": campaign_id, "limit": 700}
            if cursor:
                params["cursor"] = cursor
            response = await client.get("/api/v1/communications", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert len(seen) == len({i["message_id"] for i in seen}) == 2_000
        item = seen[0]
        assert {
            "message_id",
            "campaign_id",
            "customer_id",
            "message",
            "status",
            "reason",
            "created_at",
            "updated_at",
        } <= item.keys()
        row = rows[item["customer_id"]]
        assert (item["message"], item["status"]) == (row.message, row.status)

        failed = await client.get(
            "/api/v1/communications",
            params={"campaign_id": campaign_id, "status": "FAILED", "limit": 1000},
        )
        assert Counter(i["status"] for i in failed.json()["items"]) == {"FAILED": counts["FAILED"]}
        other = await client.get("/api/v1/communications", params={"campaign_id": "nope"})
        assert other.json() == {"items": [], "next_cursor": None}
        for bad in ({"status": "DELIVERED"}, {"limit": 0}, {"limit": 1001}, {"cursor": "?!"}):
            response = await client.get("/api/v1/communications", params=bad)
            assert response.status_code == 422, (bad, response.text)
            assert response.json()["errors"][0]["field"].startswith("query."), response.text
