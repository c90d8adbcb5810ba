"""Audit of ingest writes (issue 25): who sent an accepted request travels with its rows.

The ``*.submitted`` events of a key's and a person's requests, read from a queue bound to
``beacon.ingest``, name that caller (``actors``: who sent how many of the rows, in order),
on the coalesced path (small requests) and the direct one (large batches) alike; the
worker logs each stored event with them (``ingest_write``)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
import httpx
import pytest

from services.ingest.domain.events import CUSTOMER_SUBMITTED, ORDER_SUBMITTED
from shared.auth import apikeys
from tests.support import auth, data
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


async def add_key(stack: Stack, scopes: list[str]) -> tuple[str, str]:
    """(id, key) of a key as ingest's copy knows it (how the copy is fed: tests/auth)."""
    key, key_id = apikeys.new_key(), str(uuid.uuid4())
    async with stack.db("ingest").begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO api_keys (id, key_hash, name, scopes, created_at) "
            "VALUES (%s, %s, 'shop', %s, NOW(6))",
            (key_id, apikeys.key_hash(auth.PEPPER.encode(), key), json.dumps(scopes)),
        )
    return key_id, key


async def test_a_key_and_a_person_are_named_on_the_events_of_their_writes(stack: Stack) -> None:
    worker = stack.start("ingest", "worker")
    api = stack.start("ingest", "api")
    key_id, key = await add_key(stack, ["ingest:write"])
    person = stack.headers("marketer", email="ana@shop.in")
    connection = await aio_pika.connect(stack.amqp_url, timeout=10)
    async with connection, httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        channel = await connection.channel()
        tap = await channel.declare_queue(exclusive=True)
        exchange = stack.settings.amqp_name("beacon.ingest")
        for routing_key in (CUSTOMER_SUBMITTED, ORDER_SUBMITTED):
            await tap.bind(exchange, routing_key)

        async def post(path: str, body: Any, headers: dict[str, str]) -> str:
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 202, response.text
            return str(response.json()["event_id"])

        order = data.orders(1, customers=1, prefix="audit-o")[0]
        by_key = await post("/api/v1/orders", order, {"X-API-Key": key})  # coalesced
        small = await post("/api/v1/customers", data.customers(2, prefix="s"), person)
        large = await post(
            "/api/v1/customers", {"items": data.customers(150, prefix="l")}, person
        )  # more than coalesce takes: an event of its own
        bearer_key = await post(
            "/api/v1/orders",
            {"items": data.orders(101, customers=3, prefix="k")},
            {"Authorization": f"Bearer {key}"},
        )

        seen: dict[str, dict[str, Any]] = {}

        async def drain() -> dict[str, dict[str, Any]]:
            while (message := await tap.get(no_ack=True, fail=False)) is not None:
                body = json.loads(message.body)
                seen[body["event_id"]] = body["payload"]
            return seen

        wanted = {by_key, small, large, bearer_key}
        await eventually(drain, lambda s: wanted <= s.keys(), what="the four events")

    key_actor = {"sub": f"key:{key_id}", "email": None}
    ana = {"sub": "test:ana@shop.in", "email": "ana@shop.in"}
    assert seen[by_key]["actors"] == [{**key_actor, "items": 1}]
    assert seen[small]["actors"] == [{**ana, "items": 2}]
    assert seen[large]["actors"] == [{**ana, "items": 150}]
    assert seen[bearer_key]["actors"] == [{**key_actor, "items": 101}]

    # The worker records each stored event once, with who sent it (no per-row lines).
    def logged() -> list[dict[str, Any]]:
        lines = worker.log_path.read_text(errors="replace").splitlines()
        found = [json.loads(line) for line in lines if '"ingest_write"' in line]
        return [entry for entry in found if entry.get("event_id") in wanted]

    async def written() -> list[dict[str, Any]]:
        await asyncio.sleep(0)
        return logged()

    entries = await eventually(written, lambda e: len(e) == 4, what="four ingest_write lines")
    by_event = {e["event_id"]: e for e in entries}
    assert by_event[large]["rows"] == 150 and by_event[large]["actors"] == [{**ana, "items": 150}]
    assert by_event[by_key]["actors"] == [{**key_actor, "items": 1}]
