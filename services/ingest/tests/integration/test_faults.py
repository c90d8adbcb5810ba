"""Faults on the test session's own containers: the broker restarted mid-stream, the database
paused. Exact counts at the end: nothing lost, nothing stored twice. (Skipped, as pytest
reports it, when the backends are the machine's own servers: those are not ours to stop.)"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.backends import Backends
from tests.support import data
from tests.support.stack import Stack
from tests.support.wait import eventually

from .test_ingest import count, recorded_orders

pytestmark = pytest.mark.integration


async def post_until_accepted(client: httpx.AsyncClient, items: list[dict[str, object]]) -> int:
    """What a shop's backend does: retry a batch answered 503 (or not answered) until 202."""
    attempts = 0
    while True:
        attempts += 1
        try:
            response = await client.post("/api/v1/orders", json={"items": items})
            if response.status_code == 202:
                return attempts
            assert response.status_code == 503, response.text
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)  # a client's retry pause, not test synchronisation


async def test_broker_restart_mid_stream_loses_and_duplicates_nothing(
    stack: Stack, backends: Backends
) -> None:
    if backends.kind != "containers":
        pytest.skip("needs the session's own RabbitMQ container")
    stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    batches = [data.orders(500, customers=200, prefix=f"b{b}-", seed=b) for b in range(30)]
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=15) as client:
        for batch in batches[:10]:
            assert await post_until_accepted(client, batch) == 1
        await asyncio.to_thread(backends.stop_broker)
        refused = await client.post("/api/v1/orders", json={"items": batches[10]})
        assert refused.status_code == 503  # nothing half-accepted while the broker is away
        restart = asyncio.create_task(asyncio.to_thread(backends.start_broker))
        attempts = await asyncio.gather(*(post_until_accepted(client, b) for b in batches[10:]))
        await restart
        assert max(attempts) > 1, "no request met the outage; the test proved nothing"
        await eventually(
            lambda: count(stack, "orders"), lambda n: n == 15_000, timeout=120, what="all stored"
        )
        await eventually(lambda: recorded_orders(stack), lambda n: n == 15_000, timeout=60)
        # The worker reconnected by itself and keeps working: one more batch goes through.
        await post_until_accepted(client, data.orders(10, customers=5, prefix="after-"))
        await eventually(lambda: count(stack, "orders"), lambda n: n == 15_010, timeout=60)
    assert await count(stack, "inbox") == 31


async def test_database_pause_worker_backs_off_and_drains(stack: Stack, backends: Backends) -> None:
    if backends.kind != "containers":
        pytest.skip("needs the session's own MariaDB container")
    worker = stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    batches = [data.orders(500, customers=200, prefix=f"p{b}-", seed=b) for b in range(20)]
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=15) as client:
        for batch in batches[:5]:
            assert await post_until_accepted(client, batch) == 1
        await eventually(lambda: count(stack, "orders"), lambda n: n == 2_500, timeout=60)
        await asyncio.to_thread(backends.pause_db)
        try:
            for batch in batches[5:]:  # the API needs no database: still accepted
                assert await post_until_accepted(client, batch) == 1

            async def worker_ready() -> int:
                return (await client.get(f"{worker.url}/readyz")).status_code

            await eventually(worker_ready, lambda s: s == 503, timeout=30, what="worker not ready")
        finally:
            await asyncio.to_thread(backends.unpause_db)
        await eventually(
            lambda: count(stack, "orders"), lambda n: n == 10_000, timeout=120, what="drained"
        )
        await eventually(lambda: recorded_orders(stack), lambda n: n == 10_000, timeout=60)
        assert (await client.get(f"{worker.url}/readyz")).status_code == 200
    assert await count(stack, "inbox") == 20
