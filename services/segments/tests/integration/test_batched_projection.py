"""The profiles projection applies many events per transaction (shared.batch_consumer),
with two competing workers, on real MariaDB and RabbitMQ: eight publishers send shuffled
customer and order events (a third of them twice, orders mostly before their customer, a
fifth of the orders again in events of their own),
and every profile ends exactly as plain Python computes it."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from services.segments.domain.events import CUSTOMER_UPSERTED, ORDER_RECORDED
from shared.envelope import Envelope, new_event
from tests.support.bus import metric, publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration
QUEUE = "segments.profiles"


def events() -> tuple[list[Envelope], dict[str, dict[str, Any]]]:
    """Ingest's events for 120 customers (each sent as version 1 then 2) and 900 orders
    (180 of them twice, in other events), in small groups as a busy single-order shop produces them; and the expected profiles."""
    rng = random.Random(15)
    out: list[Envelope] = []
    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"spend": Decimal(0), "visits": 0, "name": None}
    )
    orders = [
        {
            "order_id": f"o-{i}",
            "customer_id": f"cü-{rng.randrange(130)}",  # 120..129 never arrive
            "amount": f"{rng.randrange(1, 90_000) / 100:.2f}",
            "ordered_at": f"2026-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T08:00:00Z",
        }
        for i in range(900)
    ]
    for start in range(0, len(orders), 3):
        group = orders[start : start + 3]
        out.append(new_event(ORDER_RECORDED, {"orders": group}, "ingest"))
        for o in group:
            expected[o["customer_id"]]["spend"] += Decimal(o["amount"])
            expected[o["customer_id"]]["visits"] += 1
    # A fifth of the orders again, regrouped in events of their own (new event ids, as a
    # replay of ingest's log would send them): the inbox does not stop these, counting
    # each order once must, even when both copies are applied by the two workers at once.
    again = orders[::5]
    for start in range(0, len(again), 4):
        out.append(new_event(ORDER_RECORDED, {"orders": again[start : start + 4]}, "ingest"))
    for version in (1, 2):
        for i in range(120):
            customer = {
                "customer_id": f"cü-{i}",
                "version": version,
                "name": f"Zoë {i} v{version}",
                "email": None,
                "phone": None,
                "city": "Pune",
                "created_at": None,
            }
            out.append(new_event(CUSTOMER_UPSERTED, {"customers": [customer]}, "ingest"))
            expected[f"cü-{i}"]["name"] = f"Zoë {i} v2"
    return out, dict(expected)


async def test_two_workers_eight_shuffled_publishers_exact_profiles(stack: Stack) -> None:
    workers = [stack.start("segments", "worker") for _ in range(2)]
    stream, expected = events()
    sent = stream + stream[::3]  # redelivered copies, same event ids
    random.Random(8).shuffle(sent)
    # Orders mostly before their customers: customers' events go last in each lane.
    lanes = [sorted(sent[i::8], key=lambda e: e.type == CUSTOMER_UPSERTED) for i in range(8)]
    await asyncio.gather(*(publish(stack, "ingest", lane) for lane in lanes))

    async def all_consumed() -> int:
        return sum(
            [
                int(await metric(w.url, "beacon_events_consumed_total", consumer=QUEUE))
                for w in workers
            ]
        )

    await eventually(all_consumed, lambda n: n == len(sent), timeout=90, what="all consumed")
    applied = [
        await metric(w.url, "beacon_events_consumed_total", consumer=QUEUE, outcome="applied")
        for w in workers
    ]
    assert sum(applied) == len(stream)
    rows = await stack.rows(
        "segments", "SELECT customer_id, known, name, total_spend, visits FROM profiles"
    )
    stored = {r.customer_id: r for r in rows}
    assert stored.keys() == expected.keys()
    for cid, want in expected.items():
        got = stored[cid]
        assert (got.total_spend, got.visits) == (want["spend"], want["visits"]), cid
        assert got.name == want["name"] and bool(got.known) == (want["name"] is not None), cid
    batches = sum(
        [
            await metric(
                w.url, "beacon_consumer_batches_total", consumer=QUEUE, outcome="committed"
            )
            for w in workers
        ]
    )
    assert batches < len(sent)  # events were grouped
