"""Helpers for delivery's integration tests: events published by hand, a tap on delivery's
exchange, signed receipt callbacks, and the three processes wired to each other."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import aio_pika
import httpx
import orjson

from services.delivery.domain.events import MESSAGE_IDS
from shared.envelope import Envelope, new_event
from shared.signature import HEADER, sign
from tests.support.processes import ServiceProcess
from tests.support.stack import Stack

SECRET = "integration-test-secret"
NAMES = ["Zoë Ñandú", "राम शर्मा", "Ananya Iyer", "O'Brien", "Łukasz", "Priya 🌸", "Rāmānujan"]
TEMPLATE = "Hi {first_name|there}! {{VIP}} offer for {name|our customer} ({customer_id})"


def expected_message(person: dict[str, Any]) -> str:
    """TEMPLATE rendered by hand (not with the code under test)."""
    name = (person.get("name") or "").strip()
    first = name.split()[0] if name else "there"
    return f"Hi {first}! {{VIP}} offer for {name or 'our customer'} ({person['customer_id']})"


def expected_address(person: dict[str, Any]) -> str | None:
    return person.get("email") or person.get("phone")


def message_id(campaign_id: str, customer_id: str) -> str:
    return str(uuid.uuid5(MESSAGE_IDS, f"{campaign_id}:{customer_id}"))


def people(n: int, *, prefix: str = "cü-", seed: int = 3) -> list[dict[str, Any]]:
    """Recipients: Unicode, missing and blank names; an email address, or a phone number
    only, or (one in 250) neither."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 10
        name = {7: None, 8: "   "}.get(kind, f"{rng.choice(NAMES)} {i}")
        nowhere = i % 250 == 249
        out.append(
            {
                "customer_id": f"{prefix}{i}",
                "name": name,
                "email": f"user{i}@example.in" if kind < 6 and not nowhere else None,
                "phone": f"+91 98{i:08d}" if kind >= 6 and not nowhere else None,
            }
        )
    return out


def launch(campaign_id: str, template: str = TEMPLATE, name: str = "Diwali") -> Envelope:
    payload: dict[str, Any] = {
        "campaign_id": campaign_id,
        "name": name,
        "rules": {},
        "segment_id": None,
    }
    return new_event("campaign.launched", {**payload, "message": template}, "test")


def audience_batches(
    campaign_id: str, recipients: list[dict[str, Any]], size: int, *, salt: str = ""
) -> list[Envelope]:
    """The batches segments would publish (stable event id per batch, as segments does)."""
    chunks = [recipients[i : i + size] for i in range(0, len(recipients), size)]
    events = []
    for n, chunk in enumerate(chunks):
        event_id = uuid.uuid5(MESSAGE_IDS, f"test-batch:{campaign_id}:{n}{salt}")
        payload = {
            "campaign_id": campaign_id,
            "batch_id": str(event_id),
            "batch_no": n,
            "batches": len(chunks),
            "recipients": chunk,
        }
        events.append(new_event("audience.batch", payload, "test", event_id=event_id))
    return events


@dataclass
class Tap:
    """An exclusive queue on delivery's exchange: every event delivery publishes."""

    queue: aio_pika.abc.AbstractQueue
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # by event id: deduped

    async def drain(self) -> dict[str, dict[str, Any]]:
        while (message := await self.queue.get(fail=False)) is not None:
            await message.ack()
            event = orjson.loads(message.body)
            self.events[event["event_id"]] = event
        return self.events

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["type"] == type_]

    async def totals(self) -> dict[str, int]:
        """Sum of delivery.updated deltas over every distinct event."""
        await self.drain()
        total = {"queued": 0, "sent": 0, "failed": 0}
        for event in self.of_type("delivery.updated"):
            for campaign in event["payload"]["campaigns"]:
                for key in total:
                    total[key] += campaign[key]
        return total


@asynccontextmanager
async def tap(stack: Stack, *keys: str) -> AsyncIterator[Tap]:
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            stack.settings.amqp_name("beacon.delivery"), "topic", durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        for key in keys or ("#",):
            await queue.bind(exchange, key)
        yield Tap(queue)


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = int(time.time() if at is None else at)
    return {"content-type": "application/json", HEADER: sign(secret, stamp, body)}


async def post_receipts(
    client: httpx.AsyncClient, receipts: list[dict[str, Any]], **sign_args: Any
) -> httpx.Response:
    body = orjson.dumps({"receipts": receipts})
    return await client.post("/api/v1/receipts", content=body, headers=signed(body, **sign_args))


@dataclass
class Delivery:
    vendor: ServiceProcess | None
    api: ServiceProcess
    worker: ServiceProcess
    worker_env: dict[str, str]


def start_delivery(
    stack: Stack,
    *,
    vendor: bool = True,
    worker_env: dict[str, str] | None = None,
    api_env: dict[str, str] | None = None,
    **vendor_env: str,
) -> Delivery:
    """The vendor simulator, the API and the worker, pointing at each other."""
    common = {"BEACON_VENDOR_SECRET": SECRET}
    simulator = stack.start_vendor(**cast(Any, {**common, **vendor_env})) if vendor else None
    api = start(stack, "api", {**common, **(api_env or {})})
    # Nothing listens on a closed port of 127.0.0.1: sends fail and are retried.
    vendor_url = simulator.url if simulator else "http://127.0.0.1:9"
    env = {
        **common,
        "BEACON_VENDOR_URL": vendor_url,
        "BEACON_DELIVERY_PUBLIC_URL": api.url,
        **(worker_env or {}),
    }
    worker = start(stack, "worker", env)
    return Delivery(simulator, api, worker, env)


def start(stack: Stack, mode: str, env: dict[str, str], *, wait: bool = True) -> ServiceProcess:
    """``stack.start`` for delivery with the environment as a dict."""
    return stack.start("delivery", mode, wait=wait, **cast(Any, env))


async def vendor_stats(vendor: ServiceProcess) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=vendor.url, timeout=10) as client:
        return dict((await client.get("/vendor/v1/stats")).json())


async def progress(stack: Stack, campaign_id: str) -> tuple[int, int, int]:
    """(rows, rows the vendor accepted, rows final)."""
    row = (
        await stack.rows(
            "delivery",
            "SELECT COUNT(*), COUNT(sent_to_vendor_at), SUM(status <> 'PENDING') "
            "FROM communications_log WHERE campaign_id = :c",
            c=campaign_id,
        )
    )[0]
    return int(row[0]), int(row[1]), int(row[2] or 0)
