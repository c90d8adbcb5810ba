"""Ingest's worker applies many messages per transaction (shared.batch_consumer), on real
MariaDB and RabbitMQ: exact counts when whole batches are redelivered, a poison message in
a group dead-lettered alone, orders before their customer kept, and exact totals when
eight clients post shuffled single orders to two competing workers."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.ingest.domain.events import CUSTOMER_SUBMITTED, ORDER_SUBMITTED
from shared.envelope import Envelope, new_event
from tests.support import data
from tests.support.bus import dead_lettered, metric, publish
from tests.support.processes import ServiceProcess
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration
QUEUE = "ingest.persistence"


def one_order(order: dict[str, Any]) -> Envelope:
    """What the API publishes for a single-order POST."""
    return new_event(ORDER_SUBMITTED, {"orders": [order]}, "ingest")


async def count(stack: Stack, table: str) -> int:
    # Customers: people (an id only orders named is a pending row, not a customer).
    where = " WHERE state = 'active'" if table == "customers" else ""
    return int(await stack.scalar("ingest", f"SELECT COUNT(*) FROM {table}{where}"))


async def consumed(worker: ServiceProcess, outcome: str | None = None) -> int:
    labels = {"consumer": QUEUE, **({"outcome": outcome} if outcome else {})}
    return int(await metric(worker.url, "beacon_events_consumed_total", **labels))


async def test_whole_batches_redelivered_store_each_order_once_and_group_commits(
    stack: Stack,
) -> None:
    stack.start("ingest", "api")  # declares the queue, so events wait for the worker
    orders = data.orders(300, customers=40, prefix="r")
    # An order before its customer, in the same batch.
    orders.append({**orders[0], "order_id": "early", "customer_id": "late-ü"})
    events = [one_order(o) for o in orders]
    events.append(
        new_event(
            CUSTOMER_SUBMITTED, {"customers": [{"customer_id": "late-ü", "name": "Zoë"}]}, "ingest"
        )
    )
    # Every message twice (a broker redelivering whole batches), the copies interleaved.
    await publish(stack, "ingest", events + events)
    worker = stack.start("ingest", "worker")
    await eventually(lambda: consumed(worker), lambda n: n == 2 * len(events), what="all consumed")
    assert await consumed(worker, "applied") == len(events)
    assert await consumed(worker, "duplicate") == len(events)
    assert await count(stack, "orders") == 301
    assert await count(stack, "customers") == 1
    assert await count(stack, "inbox") == len(events)
    total = await stack.scalar("ingest", "SELECT SUM(amount) FROM orders")
    assert total == sum(Decimal(o["amount"]) for o in orders)
    late = await stack.scalar("ingest", "SELECT customer_id FROM orders WHERE order_id = 'early'")
    assert late == "late-ü"
    # Grouped: far fewer commits (and order.recorded events) than messages.
    batches = await metric(
        worker.url, "beacon_consumer_batches_total", consumer=QUEUE, outcome="committed"
    )
    assert 0 < batches < len(events) / 4
    recorded = await stack.rows("ingest", "SELECT body FROM outbox WHERE type = 'order.recorded'")
    assert 0 < len(recorded) < 301 / 4


async def test_a_poison_message_in_a_group_is_dead_lettered_alone(stack: Stack) -> None:
    stack.start("ingest", "api")
    good = [one_order(o) for o in data.orders(40, customers=5, prefix="p")]
    # The catalogue's shape (customer_id and name present), but no valid customer: only
    # the handler finds out, inside the batch.
    poison = new_event(
        CUSTOMER_SUBMITTED, {"customers": [{"customer_id": "x", "name": ["no"]}]}, "ingest"
    )
    misfit = new_event(ORDER_SUBMITTED, {"orders": "not a list"}, "ingest", check_catalogue=False)
    await publish(stack, "ingest", good[:20] + [poison] + good[20:30] + [misfit] + good[30:])
    worker = stack.start("ingest", "worker")
    await eventually(lambda: consumed(worker), lambda n: n == 42, what="all consumed")
    assert await consumed(worker, "applied") == 40
    assert await consumed(worker, "dead_lettered") == 2
    assert await count(stack, "orders") == 40
    assert await count(stack, "customers") == 0
    parked = {body["event_id"]: reason for body, reason in await dead_lettered(stack, QUEUE)}
    assert parked.keys() == {str(poison.event_id), str(misfit.event_id)}
    assert "ValidationError" in parked[str(poison.event_id)]
    assert "orders" in parked[str(misfit.event_id)]  # refused on arrival: not the catalogue's
    # It was in a group with the others: that batch was split, not the poison's alone.
    assert (
        await metric(worker.url, "beacon_consumer_batches_total", consumer=QUEUE, outcome="split")
        >= 1
    )


async def test_eight_clients_posting_shuffled_single_orders_store_exact_totals(
    stack: Stack,
) -> None:
    workers = [stack.start("ingest", "worker") for _ in range(2)]
    api = stack.start("ingest", "api")
    orders = data.orders(800, customers=60, prefix="s", seed=5)
    posts = [[o] for o in orders] + [[o] for o in orders[::4]]  # a quarter posted twice
    random.Random(8).shuffle(posts)
    lanes = [posts[i::8] for i in range(8)]

    accepted_in: list[str] = []  # the event id each 202 names

    async def client_lane(lane: list[list[dict[str, Any]]]) -> None:
        async with httpx.AsyncClient(
            headers=stack.headers(), base_url=api.url, timeout=30
        ) as client:
            for items in lane:
                response = await client.post("/api/v1/orders", json={"items": items})
                assert response.status_code == 202, response.text
                accepted_in.append(response.json()["event_id"])

    await asyncio.gather(*(client_lane(lane) for lane in lanes))
    # Concurrent small POSTs may share an event (services/ingest/coalesce.py).
    messages = len(set(accepted_in))
    assert len(accepted_in) == len(posts) and messages <= len(posts)

    async def all_consumed() -> int:
        return sum([await consumed(w) for w in workers])

    await eventually(all_consumed, lambda n: n == messages, timeout=180, what="all consumed")
    assert await count(stack, "orders") == 800
    total = await stack.scalar("ingest", "SELECT SUM(amount) FROM orders")
    assert total == sum(Decimal(o["amount"]) for o in orders)
    # Each order announced downstream exactly once, whichever worker stored it.
    bodies = await stack.rows("ingest", "SELECT body FROM outbox WHERE type = 'order.recorded'")
    announced = [o["order_id"] for b in bodies for o in json.loads(b.body)["payload"]["orders"]]
    assert sorted(announced) == sorted(o["order_id"] for o in orders)
