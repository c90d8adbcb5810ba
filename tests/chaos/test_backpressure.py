"""Back-pressure (issue 10): with MariaDB stopped, ingest keeps accepting into RabbitMQ up to
``BEACON_MAX_QUEUE_LENGTH`` messages, then answers 503 with ``Retry-After``; when MariaDB
returns the queue drains and exactly the accepted orders are stored.

Needs the container backends (it stops their MariaDB, never the machine's own).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.backends import Backends
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

MAX_QUEUE = 20


def order(i: int) -> dict[str, str]:
    return {
        "order_id": f"bp{i}",
        "customer_id": f"c{i % 7}",
        "amount": "5.00",
        "ordered_at": "2026-03-01T10:00:00Z",
    }


async def test_ingest_pushes_back_while_the_database_is_down(
    backends: Backends, stack: Stack
) -> None:
    if backends.kind != "containers":
        pytest.skip("stopping MariaDB needs the container backends")
    api = stack.start("ingest", "api", BEACON_MAX_QUEUE_LENGTH=str(MAX_QUEUE))
    # The worker holds up to batch size x (batches in flight + 1) messages unacknowledged
    # on top of the queue's length: small batches keep that few, so the queue fills.
    stack.start(
        "ingest",
        "worker",
        BEACON_MAX_QUEUE_LENGTH=str(MAX_QUEUE),
        BEACON_BATCH_MAX_MESSAGES="4",
        BEACON_BATCH_IN_FLIGHT="1",
    )
    accepted: list[str] = []
    refused: list[httpx.Response] = []
    await asyncio.to_thread(backends.stop_db)
    try:
        async with httpx.AsyncClient(timeout=30, headers=stack.headers()) as client:
            for i in range(MAX_QUEUE * 10):
                response = await client.post(f"{api.url}/api/v1/orders", json=order(i))
                assert response.status_code in (202, 503), response.text
                if response.status_code == 202:
                    accepted.append(order(i)["order_id"])
                else:
                    refused.append(response)
                    if len(refused) == 5:
                        break
    finally:
        await asyncio.to_thread(backends.start_db)

    assert refused, f"never pushed back: {len(accepted)} accepted with the database down"
    assert len(accepted) >= MAX_QUEUE, f"pushed back after only {len(accepted)} orders"
    for response in refused:
        assert response.headers.get("retry-after"), response.headers
        body = response.json()
        assert body.get("correlation_id"), body

    stored = await eventually(
        lambda: stack.rows("ingest", "SELECT order_id FROM orders"),
        lambda rows: len(rows) == len(accepted),
        timeout=120,
        what="the accepted orders stored once MariaDB is back",
    )
    assert sorted(r.order_id for r in stored) == sorted(accepted)  # exact: none lost, none extra
