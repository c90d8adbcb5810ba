"""The send pipeline end to end: ingest, segments, campaigns, delivery and the vendor
simulator as real processes on real MariaDB and RabbitMQ."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aio_pika
import httpx
import pytest

from services.segments.domain import events as segment_events
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

NAMES = ["Zoë Ñandú", "राम शर्मा", "Ananya Iyer", "O'Brien Das", "Łukasz Rao", "   "]


def dataset(customers: int, orders: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    people = [
        {
            "customer_id": f"e2e-{i}",
            "name": f"{NAMES[i % len(NAMES)]} {i}".strip() if i % 6 != 5 else f"x{i}",
            "email": f"u{i}@example.in",
        }
        for i in range(customers)
    ]
    bought = [
        {
            "order_id": f"eo-{i}",
            "customer_id": f"e2e-{(i * 7) % customers}",
            "amount": f"{(i * 7919) % 6000}.50",
            "ordered_at": "2026-10-01T10:00:00Z",
        }
        for i in range(orders)
    ]
    return people, bought


def spend_by_customer(orders: list[dict[str, Any]]) -> dict[str, Decimal]:
    spend: dict[str, Decimal] = {}
    for o in orders:
        spend[o["customer_id"]] = spend.get(o["customer_id"], Decimal(0)) + Decimal(o["amount"])
    return spend


async def get_json(client: httpx.AsyncClient, url: str) -> Any:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def start_pipeline(stack: Stack, **vendor_env: str) -> dict[str, str]:
    ingest = stack.start("ingest", "all")
    stack.start("segments", "worker")
    campaigns = stack.start("campaigns", "all")
    vendor = stack.start_vendor(
        BEACON_VENDOR_DELAY_MIN_S="0.05",
        BEACON_VENDOR_DELAY_MAX_S="0.3",
        **vendor_env,
    )
    delivery_api = stack.start("delivery", "api")
    stack.start(
        "delivery",
        "worker",
        BEACON_VENDOR_URL=vendor.url,
        BEACON_DELIVERY_PUBLIC_URL=delivery_api.url,
    )
    return {
        "ingest": ingest.url,
        "campaigns": campaigns.url,
        "vendor": vendor.url,
        "delivery": delivery_api.url,
    }


async def load(
    client: httpx.AsyncClient, url: str, customers: list[Any], orders: list[Any]
) -> None:
    for path, items in (("/api/v1/orders", orders), ("/api/v1/customers", customers)):
        response = await client.post(f"{url}{path}", json={"items": items})
        assert response.status_code == 202, response.text


async def test_campaign_reaches_every_audience_member_once(stack: Stack) -> None:
    urls = start_pipeline(stack)
    customers, orders = dataset(600, 3_000)
    spend = spend_by_customer(orders)
    audience = {
        c["customer_id"]: c for c in customers if spend.get(c["customer_id"], Decimal(0)) > 10_000
    }
    assert 100 < len(audience) < 600

    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        await load(client, urls["ingest"], customers, orders)
        await eventually(
            lambda: stack.scalar(
                "segments", "SELECT COALESCE(SUM(visits), 0) + SUM(known) FROM profiles"
            ),
            lambda n: n == 3_600,
            timeout=90,
            what="profiles projected",
        )
        created = await client.post(
            f"{urls['campaigns']}/api/v1/campaigns",
            json={
                "name": "Big spenders",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "total_spend", "operator": ">", "value": 10000}],
                },
                "message": "Hi {first_name|there}, here's 10% off on your next order!",
            },
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]

        async def campaign() -> dict[str, Any]:
            return dict(
                await get_json(client, f"{urls['campaigns']}/api/v1/campaigns/{campaign_id}")
            )

        done = await eventually(
            campaign, lambda c: c["status"] == "completed", timeout=120, what="completed"
        )
        assert done["audience_size"] == len(audience)
        assert done["sent"] + done["failed"] == len(audience)

        rows = await stack.rows(
            "delivery",
            "SELECT customer_id, message, status FROM communications_log WHERE campaign_id = :c",
            c=campaign_id,
        )
        assert sorted(r.customer_id for r in rows) == sorted(audience)  # one row per member
        assert {r.status for r in rows} <= {"SENT", "FAILED"}  # every row final
        failed = sum(1 for r in rows if r.status == "FAILED")
        assert 0.03 < failed / len(rows) < 0.2, failed  # 90/10 by default, seeded
        assert (done["sent"], done["failed"]) == (len(rows) - failed, failed)
        for r in rows:
            first = audience[r.customer_id]["name"].split()[0]
            assert r.message == f"Hi {first}, here's 10% off on your next order!"

        vendor = await get_json(client, f"{urls['vendor']}/vendor/v1/stats")
        assert vendor["unique"] == len(audience)

        # The same batch again (same id), and its recipients in a new batch: nothing changes.
        batch = segment_events.audience_batch(
            campaign_id, 0, 1, [{**audience[c], "phone": None} for c in sorted(audience)[:50]], None
        )
        renamed = segment_events.audience_batch(
            campaign_id, 999, 1, batch.payload["recipients"], None
        )
        await publish(stack, "segments", [batch, renamed])
        await eventually(
            lambda: stack.scalar(
                "delivery",
                "SELECT COUNT(*) FROM inbox WHERE event_id = :e",
                e=str(renamed.event_id),
            ),
            lambda n: n == 1,
            what="duplicate batch handled",
        )
        assert await stack.scalar("delivery", "SELECT COUNT(*) FROM communications_log") == len(
            audience
        )
        assert (await campaign())["sent"] == done["sent"]
        assert (await get_json(client, f"{urls['vendor']}/vendor/v1/stats"))["unique"] == len(
            audience
        )


async def publish(stack: Stack, service: str, events: list[Any]) -> None:
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(stack.settings.amqp_name(f"beacon.{service}"))
        for event in events:
            await exchange.publish(aio_pika.Message(event.to_bytes()), routing_key=event.type)


async def test_bad_input_gets_clear_4xx(stack: Stack) -> None:
    campaigns = stack.start("campaigns", "api")
    delivery = stack.start("delivery", "api")
    rules = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}
    post: Callable[..., Any]
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        post = client.post
        bad = [
            {"name": "x", "rules": rules, "message": "Hi {nme}"},
            {"name": "x", "rules": rules, "message": "Hi {name"},
            {"name": "x", "segment_id": str(uuid.uuid4()), "message": "Hi"},
            {"name": "x", "message": "Hi"},
        ]
        for body in bad:
            response = await post(f"{campaigns.url}/api/v1/campaigns", json=body)
            assert response.status_code == 422, (body, response.text)
        assert (await client.get(f"{campaigns.url}/api/v1/campaigns/nope")).status_code == 404
        unsigned = await post(f"{delivery.url}/api/v1/receipts", json={"receipts": []})
        assert unsigned.status_code == 401
        listed = await client.get(
            f"{delivery.url}/api/v1/communications", params={"status": "LOST"}
        )
        assert listed.status_code == 422
