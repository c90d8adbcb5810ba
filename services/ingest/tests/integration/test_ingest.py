"""Ingest end to end on real MariaDB and RabbitMQ: API process, worker process, exact counts."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import httpx
import pytest

from services.ingest.domain.events import ORDER_RECORDED
from shared.envelope import new_event
from tests.support import data
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


async def count(stack: Stack, table: str) -> int:
    # Customers: people (an id only orders named is a pending row, not a customer).
    where = " WHERE state = 'active'" if table == "customers" else ""
    return int(await stack.scalar("ingest", f"SELECT COUNT(*) FROM {table}{where}"))


async def recorded_orders(stack: Stack) -> int:
    """How many orders the ``order.recorded`` events in the outbox carry, in total."""
    bodies = await stack.rows("ingest", "SELECT body FROM outbox WHERE type = :t", t=ORDER_RECORDED)
    return sum(len(json.loads(b.body)["payload"]["orders"]) for b in bodies)


async def applied(stack: Stack, event_id: str) -> bool:
    return bool(
        await stack.scalar("ingest", "SELECT COUNT(*) FROM inbox WHERE event_id = :e", e=event_id)
    )


async def wait_applied(stack: Stack, event_id: str) -> None:
    await eventually(lambda: applied(stack, event_id), bool, what=f"event {event_id} applied")


async def post(client: httpx.AsyncClient, path: str, items: list[dict[str, object]]) -> str:
    response = await client.post(path, json={"items": items})
    assert response.status_code == 202, response.text
    return str(response.json()["event_id"])


async def test_mixed_batch_counted_exactly_resend_changes_nothing(stack: Stack) -> None:
    stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    customers = data.customers(2_000)
    orders = data.orders(8_000, customers=2_500)  # some orders come before their customer
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client:
        ids = [
            await post(client, "/api/v1/orders", orders),
            await post(client, "/api/v1/customers", customers),
        ]
        for event_id in ids:
            await wait_applied(stack, event_id)
        assert await count(stack, "customers") == 2_000
        assert await count(stack, "orders") == 8_000
        assert await recorded_orders(stack) == 8_000
        total = await stack.scalar("ingest", "SELECT SUM(amount) FROM orders")
        assert str(total) == f"{sum(int(o['amount'].replace('.', '')) for o in orders) / 100:.2f}"

        again = [
            await post(client, "/api/v1/orders", orders),
            await post(client, "/api/v1/customers", customers),
        ]
        for event_id in again:
            await wait_applied(stack, event_id)
        assert await count(stack, "customers") == 2_000
        assert await count(stack, "orders") == 8_000
        assert await recorded_orders(stack) == 8_000  # nothing new was announced downstream

        name = customers[5]["name"]
        found = (await client.get("/api/v1/customers/c5")).json()
        assert found["name"] == name and found["customer_id"] == "c5"


async def test_bad_item_rejects_whole_batch_and_stores_nothing(stack: Stack) -> None:
    stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    orders = data.orders(100, customers=10)
    orders[37] = {**orders[37], "amount": "-5"}
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client:
        response = await client.post("/api/v1/orders", json={"items": orders})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "body.items[37].amount",
                "message": "Input should be greater than or equal to 0",
                "type": "value_error",
            }
        ]
        assert (await client.post("/api/v1/orders", content=b"{not json")).status_code == 422
        big = data.orders(10_001, customers=10)
        assert (await client.post("/api/v1/orders", json={"items": big})).status_code == 413
        # A good batch after the bad ones: once it is applied, only it is stored.
        marker = await post(client, "/api/v1/orders", data.orders(3, customers=1, prefix="m"))
        await eventually(lambda: applied(stack, marker), bool, what="marker applied")
    assert await count(stack, "orders") == 3
    assert await count(stack, "inbox") == 1


async def test_order_before_customer_is_kept_and_pages_are_complete(stack: Stack) -> None:
    stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client:
        first = await post(
            client,
            "/api/v1/orders",
            [
                {
                    "order_id": "early",
                    "customer_id": "late-ü",
                    "amount": "10.00",
                    "ordered_at": "2026-03-01",
                }
            ],
        )
        await eventually(lambda: applied(stack, first), bool)
        second = await post(
            client,
            "/api/v1/customers",
            [{"customer_id": "late-ü", "name": "Zoë"}] + data.customers(250),
        )
        await eventually(lambda: applied(stack, second), bool)
        mine = (await client.get("/api/v1/orders", params={"customer_id": "late-ü"})).json()
        assert [o["order_id"] for o in mine["items"]] == ["early"] and mine["next_cursor"] is None
        assert (await client.get("/api/v1/customers/late-ü")).json()["name"] == "Zoë"
        assert (await client.get("/api/v1/customers/nobody")).status_code == 404

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/customers", params=params)).json()
            seen += [c["customer_id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 251
        assert (await client.get("/api/v1/customers", params={"limit": 0})).status_code == 422
        assert (await client.get("/api/v1/customers", params={"cursor": "!!"})).status_code == 422

        # Search: id, name or email starting with q; LIKE wildcards are taken literally.
        async def search(q: str) -> list[str]:
            page = (await client.get("/api/v1/customers", params={"q": q})).json()
            return [c["customer_id"] for c in page["items"]]

        assert await search("late") == ["late-ü"]
        assert await search("user13@") == ["c13"]
        assert await search("%") == [] and await search("c1_") == []


async def test_worker_killed_mid_stream_loses_and_duplicates_nothing(stack: Stack) -> None:
    worker = stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    batches = [data.orders(1_000, customers=500, prefix=f"k{b}-", seed=b) for b in range(40)]
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=60) as client:
        sent = asyncio.gather(*(post(client, "/api/v1/orders", b) for b in batches))
        await eventually(lambda: count(stack, "orders"), lambda n: n >= 3_000, what="some stored")
        worker.kill()
        stored_at_kill = await count(stack, "orders")
        await sent
        assert stored_at_kill < 40_000, (
            "the worker finished before it was killed; test proves nothing"
        )
        stack.start("ingest", "worker")
        await eventually(
            lambda: count(stack, "inbox"), lambda n: n == 40, timeout=90, what="all applied"
        )
    assert await count(stack, "orders") == 40_000
    assert await recorded_orders(stack) == 40_000


async def test_unknown_event_version_is_dead_lettered_with_reason(stack: Stack) -> None:
    stack.start("ingest", "worker")
    settings = stack.settings
    event = new_event("order.submitted", {"orders": []}, "test", version=99, check_catalogue=False)
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(settings.amqp_name("beacon.ingest"))
        await exchange.publish(aio_pika.Message(event.to_bytes()), routing_key="order.submitted")
        dlq = await channel.get_queue(settings.amqp_name("ingest.persistence.dlq"))

        async def parked() -> aio_pika.abc.AbstractIncomingMessage | None:
            return await dlq.get(fail=False)

        message = await eventually(parked, lambda m: m is not None, what="message in DLQ")
        assert message is not None
        assert "version 99" in str(message.headers["x-beacon-reason"])
        assert json.loads(message.body)["event_id"] == str(event.event_id)


async def test_api_answers_503_quickly_when_broker_unreachable(stack: Stack) -> None:
    from tests.support.processes import free_port

    api = stack.start(
        "ingest", "api", wait=False, BEACON_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    )

    async def healthy() -> int:
        try:
            async with httpx.AsyncClient(headers=stack.headers(), timeout=1) as client:
                return (await client.get(f"{api.url}/healthz")).status_code
        except httpx.HTTPError:
            return 0

    await eventually(healthy, lambda s: s == 200, timeout=60, what="api up")
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=10) as client:
        assert (await client.get("/readyz")).status_code == 503
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = await client.post("/api/v1/orders", json=data.orders(1, customers=1)[0])
        assert response.status_code == 503
        assert loop.time() - started < 2.0
