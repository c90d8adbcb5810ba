"""Segments end to end on real MariaDB and RabbitMQ: ingest → profiles → previews → audiences."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aio_pika
import httpx
import pytest

from shared.envelope import new_event
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
SEED_RULES: dict[str, dict[str, Any]] = {
    "spend>10000": {
        "combinator": "and",
        "rules": [{"field": "total_spend", "operator": ">", "value": 10000}],
    },
    "spend>10000 and visits<=3": {
        "combinator": "and",
        "rules": [
            {"field": "total_spend", "operator": ">", "value": "10000"},
            {"field": "visits", "operator": "<=", "value": 3},
        ],
    },
    "no visit in 90 days": {
        "combinator": "and",
        "rules": [{"field": "last_visit_at", "operator": "notInLastDays", "value": 90}],
    },
}


def dataset() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """300 customers (some never order), 1,200 orders (some before or without a customer)."""
    customers = [
        {"customer_id": f"cü-{i}", "name": f"Zoë {i}", "city": ["Pune", "Delhi", "Chennai"][i % 3]}
        for i in range(300)
    ]
    orders = []
    for i in range(1_200):
        who = (i * 7919) % 340  # ids 300..339 are orders whose customer never arrives
        amount = Decimal((i * 104729) % 900_000) / 100
        when = NOW - timedelta(days=(i * 31) % 400, hours=i % 24)
        orders.append(
            {
                "order_id": f"o-{i}",
                "customer_id": f"cü-{who}",
                "amount": str(amount),
                "ordered_at": when.isoformat(),
            }
        )
    return customers, orders


def expected_profiles(
    customers: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    known = {c["customer_id"] for c in customers}
    agg: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"spend": Decimal(0), "visits": 0, "last": None}
    )
    for o in orders:
        a = agg[o["customer_id"]]
        a["spend"] += Decimal(o["amount"])
        a["visits"] += 1
        when = datetime.fromisoformat(o["ordered_at"])
        a["last"] = when if a["last"] is None else max(a["last"], when)
    return {c: agg[c] for c in known}


def plain_count(expected: dict[str, dict[str, Any]], name: str) -> int:
    if name == "spend>10000":
        return sum(1 for p in expected.values() if p["spend"] > 10000)
    if name == "spend>10000 and visits<=3":
        return sum(1 for p in expected.values() if p["spend"] > 10000 and p["visits"] <= 3)
    cutoff = NOW - timedelta(days=90)
    return sum(1 for p in expected.values() if p["last"] is None or p["last"] < cutoff)


async def ingest(
    stack: Stack, customers: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> None:
    api = stack.start("ingest", "api")
    stack.start("ingest", "worker")
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client:
        # Orders first: most arrive before their customer.
        for path, items in (("/api/v1/orders", orders), ("/api/v1/customers", customers)):
            response = await client.post(path, json={"items": items})
            assert response.status_code == 202, response.text


async def profiles_settled(stack: Stack, visits: int, known: int) -> None:
    async def state() -> tuple[int, int]:
        row = (
            await stack.rows("segments", "SELECT COALESCE(SUM(visits),0), SUM(known) FROM profiles")
        )[0]
        return int(row[0]), int(row[1] or 0)

    await eventually(state, lambda s: s == (visits, known), timeout=60, what="profiles projected")


async def test_profiles_previews_and_rebuild_match_plain_python(stack: Stack) -> None:
    customers, orders = dataset()
    expected = expected_profiles(customers, orders)
    seg_api = stack.start("segments", "api")
    stack.start("segments", "worker")
    await ingest(stack, customers, orders)
    await profiles_settled(stack, visits=1_200, known=300)

    stored = {
        r.customer_id: r
        for r in await stack.rows(
            "segments",
            "SELECT customer_id, total_spend, visits, last_visit_at FROM profiles WHERE known",
        )
    }
    assert stored.keys() == expected.keys()
    for cid, want in expected.items():
        got = stored[cid]
        assert (got.total_spend, got.visits) == (want["spend"], want["visits"]), cid
        want_last = want["last"].astimezone(UTC).replace(tzinfo=None) if want["last"] else None
        assert got.last_visit_at == want_last, cid

    async with httpx.AsyncClient(
        headers=stack.headers(), base_url=seg_api.url, timeout=30
    ) as client:

        async def preview(rules: dict[str, Any]) -> dict[str, Any]:
            response = await client.post("/api/v1/segments/preview", json={"rules": rules})
            assert response.status_code == 200, response.text
            return dict(response.json())

        # The cache follows the projection through profile.changed events (customers
        # first, then their orders): wait, with a deadline, until every seed rule agrees.
        want = {name: plain_count(expected, name) for name in SEED_RULES}

        async def sizes() -> dict[str, int | str]:
            found: dict[str, int | str] = {}
            for name, rules in SEED_RULES.items():
                result = await preview(rules)
                found[name] = result["size"] if result["source"] == "cache" else "sql"
            return found

        await eventually(sizes, lambda got: got == want, timeout=60, what="cache caught up")
        for name, rules in SEED_RULES.items():
            result = await preview(rules)
            assert result["size"] == plain_count(expected, name), name
            assert len(result["sample"]) == min(10, result["size"])
            assert all(s["name"].startswith("Zoë") for s in result["sample"])
        # Issue 27: what each top-level condition matches alone, and the rule in words.
        both = await preview(SEED_RULES["spend>10000 and visits<=3"])
        assert both["sentence"] == (
            "Customers who spent more than ₹10,000 and visited at most 3 times"
        )
        spend_alone = plain_count(expected, "spend>10000")
        visits_alone = sum(1 for p in expected.values() if p["visits"] <= 3)
        assert both["conditions"] == [
            {"index": 0, "sentence": "spent more than ₹10,000", "size": spend_alone},
            {"index": 1, "sentence": "visited at most 3 times", "size": visits_alone},
        ]
        assert both["size"] < min(spend_alone, visits_alone) < 300

    # Rebuild: forget the read model, replay ingest's events, get the same numbers.
    before = await stack.rows(
        "segments",
        "SELECT customer_id, total_spend, visits, last_visit_at FROM profiles ORDER BY customer_id",
    )
    rebuild = stack.start("segments", "rebuild", wait=False)
    assert rebuild.proc is not None and rebuild.proc.wait(60) == 0
    assert await stack.scalar("segments", "SELECT COUNT(*) FROM profiles") == 0
    replay = stack.start("ingest", "replay", wait=False)
    assert replay.proc is not None and replay.proc.wait(60) == 0
    await profiles_settled(stack, visits=1_200, known=300)
    after = await stack.rows(
        "segments",
        "SELECT customer_id, total_spend, visits, last_visit_at FROM profiles ORDER BY customer_id",
    )
    assert after == before


BAD_RULES = [
    (
        {"combinator": "and", "rules": [{"field": "spend", "operator": ">", "value": 1}]},
        "rules.rules[0].field",
    ),
    (
        {"combinator": "and", "rules": [{"field": "city", "operator": ">", "value": "x"}]},
        "rules.rules[0].operator",
    ),
    (
        {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": "many"}]},
        "rules.rules[0].value",
    ),
    (
        {
            "combinator": "and",
            "rules": [
                {"field": "visits", "operator": ">", "value": 1},
                {"combinator": "or", "rules": []},
            ],
        },
        "rules.rules[1].rules",
    ),
    (
        {"combinator": "xor", "rules": [{"field": "visits", "operator": ">", "value": 1}]},
        "rules.combinator",
    ),
]


def too_deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"field": "visits", "operator": ">", "value": 1}
    for _ in range(depth):
        node = {"combinator": "and", "rules": [node]}
    return node


async def test_bad_rules_answer_422_with_the_path(stack: Stack) -> None:
    api = stack.start("segments", "api")
    async with httpx.AsyncClient(headers=stack.headers(), base_url=api.url, timeout=30) as client:
        for rules, path in [
            *BAD_RULES,
            (too_deep(6), "rules.rules[0].rules[0].rules[0].rules[0].rules[0]"),
        ]:
            for method, url in (("POST", "/api/v1/segments/preview"), ("POST", "/api/v1/segments")):
                response = await client.request(method, url, json={"rules": rules, "name": "n"})
                assert response.status_code == 422, (rules, response.text)
                paths = [d["field"].removeprefix("body.") for d in response.json()["errors"]]
                assert any(p.startswith(path) for p in paths), (path, paths)

        created = await client.post(
            "/api/v1/segments", json={"name": "Big spenders", "rules": SEED_RULES["spend>10000"]}
        )
        assert created.status_code == 201
        sid = created.json()["id"]
        assert (await client.get(f"/api/v1/segments/{sid}")).json()["name"] == "Big spenders"
        renamed = await client.put(
            f"/api/v1/segments/{sid}", json={"name": "Whales", "rules": SEED_RULES["spend>10000"]}
        )
        assert renamed.json()["name"] == "Whales"
        listed = (await client.get("/api/v1/segments")).json()
        assert [s["id"] for s in listed["items"]] == [sid] and listed["next_cursor"] is None
        assert (await client.delete(f"/api/v1/segments/{sid}")).status_code == 204
        assert (await client.get(f"/api/v1/segments/{sid}")).status_code == 404


async def test_launched_campaign_audience_published_exactly_once(stack: Stack) -> None:
    customers, orders = dataset()
    expected = expected_profiles(customers, orders)
    stack.start("segments", "worker", BEACON_AUDIENCE_BATCH_SIZE="40")
    await ingest(stack, customers, orders)
    await profiles_settled(stack, visits=1_200, known=300)
    want = {c for c, p in expected.items() if p["spend"] > 10000}
    settings = stack.settings
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    launch = new_event(
        "campaign.launched",
        {"campaign_id": campaign_id, "rules": SEED_RULES["spend>10000"]},
        "test",
    )
    again = new_event(
        "campaign.launched",
        {"campaign_id": campaign_id, "rules": SEED_RULES["spend>10000"]},
        "test",
    )

    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        campaigns = await channel.declare_exchange(
            settings.amqp_name("beacon.campaigns"), "topic", durable=True
        )
        segments = await channel.declare_exchange(
            settings.amqp_name("beacon.segments"), "topic", durable=True
        )
        tap = await channel.declare_queue(exclusive=True)
        await tap.bind(segments, "audience.*")
        for event in (launch, launch, again):  # a redelivery, and a second launch event
            await campaigns.publish(
                aio_pika.Message(event.to_bytes()), routing_key="campaign.launched"
            )

        received: list[dict[str, Any]] = []

        async def drain() -> list[dict[str, Any]]:
            while (message := await tap.get(fail=False)) is not None:
                await message.ack()
                received.append(json.loads(message.body))
            return received

        def complete(items: list[dict[str, Any]]) -> bool:
            return sum(len(m["payload"].get("recipients", [])) for m in items) >= len(want) and any(
                m["type"] == "audience.resolved" for m in items
            )

        await eventually(drain, complete, timeout=60, what="audience published")
        await eventually(
            lambda: stack.scalar(
                "segments", "SELECT COUNT(*) FROM inbox WHERE consumer='segments.audiences'"
            ),
            lambda n: n == 2,
            what="both launch events handled",
        )
        await eventually(
            lambda: stack.scalar(
                "segments", "SELECT COUNT(*) FROM audiences WHERE completed_at IS NOT NULL"
            ),
            lambda n: n == 1,
            what="publishing complete",
        )
        await drain()

    batches = [m for m in received if m["type"] == "audience.batch"]
    resolved = [m for m in received if m["type"] == "audience.resolved"]
    recipients = [r["customer_id"] for b in batches for r in b["payload"]["recipients"]]
    assert sorted(recipients) == sorted(want)  # exactly the audience, nobody twice
    assert len({b["event_id"] for b in batches}) == len(batches) == (len(want) + 39) // 40
    assert all(len(b["payload"]["recipients"]) <= 40 for b in batches)
    assert [r["payload"]["size"] for r in resolved] == [len(want)]
    names = {r["customer_id"]: r["name"] for b in batches for r in b["payload"]["recipients"]}
    assert all(names[c] == f"Zoë {c.split('-')[1]}" for c in want)


async def test_audience_above_the_confirmed_size_fails_and_sends_nobody(stack: Stack) -> None:
    customers, orders = dataset()
    expected = expected_profiles(customers, orders)
    stack.start("segments", "worker")
    await ingest(stack, customers, orders)
    await profiles_settled(stack, visits=1_200, known=300)
    size = sum(1 for p in expected.values() if p["spend"] > 10000)
    assert size > 1
    settings = stack.settings
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    launch = new_event(
        "campaign.launched",
        {"campaign_id": campaign_id, "rules": SEED_RULES["spend>10000"], "max_audience": size - 1},
        "test",
    )
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        campaigns = await channel.declare_exchange(
            settings.amqp_name("beacon.campaigns"), "topic", durable=True
        )
        segments = await channel.declare_exchange(
            settings.amqp_name("beacon.segments"), "topic", durable=True
        )
        tap = await channel.declare_queue(exclusive=True)
        await tap.bind(segments, "audience.*")
        await campaigns.publish(
            aio_pika.Message(launch.to_bytes()), routing_key="campaign.launched"
        )

        received: list[dict[str, Any]] = []

        async def drain() -> list[dict[str, Any]]:
            while (message := await tap.get(fail=False)) is not None:
                await message.ack()
                received.append(json.loads(message.body))
            return received

        await eventually(
            drain,
            lambda items: any(m["type"] == "audience.resolved" for m in items),
            timeout=60,
            what="audience resolved",
        )
    assert [m["type"] for m in received] == ["audience.resolved"]  # no batch at all
    payload = received[0]["payload"]
    assert payload["size"] == 0
    assert f"audience of {size} customers" in payload["error"]
    assert (
        await stack.scalar(
            "segments",
            "SELECT COUNT(*) FROM audience_members WHERE campaign_id = :c",
            c=campaign_id,
        )
        == 0
    )


async def test_profile_route_shows_spend_and_visits_of_a_known_customer(stack: Stack) -> None:
    customers = [{"customer_id": "p-1", "name": "Asha Rao"}]
    orders = [
        {"order_id": f"po-{i}", "customer_id": "p-1", "amount": amount, "ordered_at": when}
        for i, (amount, when) in enumerate(
            [("100.25", "2026-10-01T10:00:00Z"), ("50.25", "2026-11-02T09:30:00Z")]
        )
    ] + [{"order_id": "po-x", "customer_id": "p-2", "amount": "5", "ordered_at": "2026-11-01"}]
    segments = stack.start("segments", "all")
    await ingest(stack, customers, orders)
    await profiles_settled(stack, visits=3, known=1)
    async with httpx.AsyncClient(
        base_url=segments.url, timeout=10, headers=stack.headers()
    ) as client:
        found = (await client.get("/api/v1/segments/profiles/p-1")).json()
        assert found["total_spend"] == "150.50" and found["visits"] == 2
        assert found["first_visit_at"] == "2026-10-01T10:00:00Z"
        assert found["last_visit_at"] == "2026-11-02T09:30:00Z"
        # Orders whose customer never arrived are no one's profile yet.
        assert (await client.get("/api/v1/segments/profiles/p-2")).status_code == 404
        assert (await client.get("/api/v1/segments/profiles/nobody")).status_code == 404
