"""Stats on real MariaDB and RabbitMQ: a 5,000-recipient run counted exactly and pushed
live; redeliveries, out-of-order events and bad payloads change nothing they should not."""

from __future__ import annotations

import asyncio
import time
import uuid
from functools import partial
from typing import Any

import aio_pika
import httpx
import pytest

from services.stats.settings import StatsSettings
from services.stats.tests.integration.helpers import (
    Publisher,
    Watcher,
    campaign_run,
    counts,
    latest_counts,
    metric,
    polled,
    start,
)
from tests.support.stack import Stack
from tests.support.wait import eventually

WINDOW_S = StatsSettings().stats_ws_coalesce_s  # at most one push per window

pytestmark = pytest.mark.integration

SIZE = 5_000
FINAL = {
    "audience_size": SIZE,
    "queued": SIZE,
    "pending": 0,
    "sent": 4_500,
    "failed": 500,
    "failure_rate": 0.1,
}


async def get(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_campaign_run_is_counted_exactly_and_pushed_live(stack: Stack) -> None:
    worker, api = start(stack, "worker", "api")
    cid = f"camp-{uuid.uuid4().hex[:8]}"
    deltas = list(campaign_run(cid, SIZE))
    async with (
        Publisher(stack) as pub,
        Watcher(api.url) as everything,
        Watcher(api.url, subscribe=[cid]) as one,
        httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=10) as client,
    ):
        started = time.monotonic()
        # Out of order: delivery's first delta before the launch and the audience size.
        first = await pub.delivery([deltas[0]])
        await eventually(
            lambda: client.get(f"/api/v1/stats/campaigns/{cid}"),
            lambda r: r.status_code == 200,
            what="row created on first sight",
        )
        early = (await client.get(f"/api/v1/stats/campaigns/{cid}")).json()
        assert (early["name"], early["audience_size"], early["queued"]) == (None, None, 1_000)
        assert early["pending"] == 1_000  # before the size: queued - sent - failed
        await pub.launched(cid, "Diwali 🪔 offer")
        await pub.resolved(cid, SIZE)
        for wave in range(1, len(deltas), 10):  # in waves, so the counters visibly rise
            for delta in deltas[wave : wave + 10]:
                await pub.delivery([delta])
            await asyncio.sleep(0.15)
        await pub.publish("delivery", first)  # a redelivery of an applied event

        final = await eventually(
            lambda: get(client, f"/api/v1/stats/campaigns/{cid}"),
            lambda s: counts(s) == FINAL,
            timeout=60,
            what="final counters",
        )
        assert final["name"] == "Diwali 🪔 offer"
        for watcher in (everything, one):
            await eventually(
                polled(partial(latest_counts, watcher, cid)),
                lambda c: c == FINAL,
                what="WebSocket client reaches the final numbers",
            )
        finished = time.monotonic()

        # Nothing counted twice: one deltas row and one inbox row per distinct event.
        assert await stack.scalar(
            "stats", "SELECT COUNT(*) FROM delivery_deltas WHERE campaign_id = :c", c=cid
        ) == len(deltas)
        await eventually(
            lambda: metric(
                worker.url,
                'beacon_events_consumed_total{consumer="stats.counters",outcome="duplicate"',
            ),
            lambda n: n >= 1,
            what="the redelivery skipped",
        )
        # Delivering an applied event again, now at rest, changes nothing at all.
        await pub.publish("delivery", first)
        await eventually(
            lambda: metric(
                worker.url,
                'beacon_events_consumed_total{consumer="stats.counters",outcome="duplicate"',
            ),
            lambda n: n >= 2,
            what="the second redelivery skipped",
        )
        assert await get(client, f"/api/v1/stats/campaigns/{cid}") == final

        # The clients saw the numbers rise, never going back, coalesced.
        for watcher in (everything, one):
            history = watcher.history(cid)
            revisions = [s["revision"] for s in history]
            assert revisions == sorted(set(revisions))
            sent = [s["sent"] for s in history]
            assert sent == sorted(sent) and len(set(sent)) >= 3, sent
            assert len(history) <= (finished - started) / WINDOW_S + 3
        # The per-second series adds up to the counters.
        series = await get(client, f"/api/v1/stats/campaigns/{cid}/series")
        assert sum(b["sent"] for b in series["items"]) == 4_500
        assert sum(b["failed"] for b in series["items"]) == 500
        assert series["next_cursor"] is None and series["bucket_seconds"] == 1


async def test_bad_events_are_parked_and_never_block_the_queue(stack: Stack) -> None:
    _, api = start(stack, "worker", "api")
    cid = f"camp-{uuid.uuid4().hex[:8]}"
    async with (
        Publisher(stack) as pub,
        httpx.AsyncClient(headers=stack.headers(), base_url=api.url) as client,
    ):
        await pub.delivery([{"campaign_id": cid, "sent": "lots"}], check=False)
        await pub.delivery([{"campaign_id": cid, "queued": 3}, {"campaign_id": cid, "sent": 2}])
        snap = await eventually(
            lambda: client.get(f"/api/v1/stats/campaigns/{cid}"),
            lambda r: r.status_code == 200,
            what="the good event applied",
        )
        assert (snap.json()["queued"], snap.json()["sent"]) == (3, 2)
    dlq = stack.settings.amqp_name("stats.counters.dlq")
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(dlq, durable=True, passive=True)
        parked = await eventually(
            lambda: queue.get(fail=False), lambda m: m is not None, what="poison parked"
        )
        assert parked is not None and b"lots" in parked.body
        reason = str(parked.headers["x-beacon-reason"])
        assert "sent" in reason and "integer" in reason, reason
        await parked.ack()
