"""Ingest's write path through its entry points, in this process (tests.support.inprocess):
the API refuses a write while the broker is away (nothing accepted), the persistence
consumer under TestRabbitBroker stores submitted customers and announces them once, and
the route reads them back; the real unit of work on MariaDB."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from services.ingest.domain.events import customers_submitted
from services.ingest.domain.models import Customer
from tests.support.inprocess import in_process
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def test_submitted_customers_are_stored_announced_once_and_read_back(
    stack: Stack,
) -> None:
    submitted = customers_submitted(
        [
            Customer(customer_id="c1", name="Asha", email="Asha@X.in", city="Pune"),
            Customer(customer_id="c2", name="Ravi", phone="+919800000000"),
        ]
    )
    async with in_process(stack, "ingest") as ingest:
        # The runtime never connected (no lifespan): a write is refused, not half-accepted.
        refused = await ingest.client.post(
            "/api/v1/customers",
            json=[{"customer_id": "c9", "name": "X"}],
            headers=stack.headers("marketer"),
        )
        assert refused.status_code == 503, refused.text

        await ingest.deliver("ingest.persistence", submitted)
        await ingest.deliver("ingest.persistence", submitted)  # redelivered
        deadline = time.monotonic() + 30
        while True:  # batched: applied a few ms after the first message
            read = await ingest.client.get("/api/v1/customers/c1", headers=stack.headers())
            if read.status_code == 200:
                break
            assert time.monotonic() < deadline, read.text
            await asyncio.sleep(0.05)
    assert (read.json()["name"], read.json()["city"]) == ("Asha", "Pune")
    assert (
        await stack.scalar("ingest", "SELECT COUNT(*) FROM customers WHERE state = 'active'") == 2
    )
    assert (
        await stack.scalar("ingest", "SELECT COUNT(*) FROM customers WHERE customer_id='c9'") == 0
    )
    announced = await stack.rows(
        "ingest", "SELECT body FROM outbox WHERE type = 'customer.upserted'"
    )
    ids = [c["customer_id"] for a in announced for c in orjson.loads(a[0])["payload"]["customers"]]
    assert sorted(ids) == ["c1", "c2"]
