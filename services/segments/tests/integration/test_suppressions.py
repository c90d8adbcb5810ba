"""Email audiences and the suppression list (issue 26) on real MariaDB and RabbitMQ: only
customers with an address and email consent who have not unsubscribed are in an email
campaign's audience; the one-click route records the unsubscribe; a merge keeps it and an
erasure removes it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import httpx
import pytest

from services.segments.store import suppressions
from shared.envelope import new_event
from shared.unsubscribe import DEV_SECRET, make_token
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


def people(city: str) -> list[dict[str, Any]]:
    base = {"city": city}
    return [
        {**base, "customer_id": f"{city}-a", "name": "A", "email": f"a.{city}@x.in",
         "accepts_email_marketing": True},
        {**base, "customer_id": f"{city}-no", "name": "No", "email": f"no.{city}@x.in",
         "accepts_email_marketing": False},
        {**base, "customer_id": f"{city}-unsaid", "name": "Unsaid", "email": f"u.{city}@x.in"},
        {**base, "customer_id": f"{city}-phone", "name": "Phone", "phone": "+91 98000",
         "accepts_email_marketing": True},
        {**base, "customer_id": f"{city}-gone", "name": "Gone", "email": f"g.{city}@x.in",
         "accepts_email_marketing": True},
    ]  # fmt: skip


async def audience_of(stack: Stack, city: str, channel: str) -> list[str]:
    """Launch a campaign to the city on ``channel``; the customer ids segments publishes."""
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    payload: dict[str, Any] = {
        "campaign_id": campaign_id,
        "rules": {
            "combinator": "and",
            "rules": [{"field": "city", "operator": "=", "value": city}],
        },
        "channel": channel,
    }
    if channel == "email":
        payload["subject"] = "Hi"
    settings = stack.settings
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel_ = await connection.channel()
        campaigns = await channel_.declare_exchange(
            settings.amqp_name("beacon.campaigns"), "topic", durable=True
        )
        segments = await channel_.declare_exchange(
            settings.amqp_name("beacon.segments"), "topic", durable=True
        )
        tap = await channel_.declare_queue(exclusive=True)
        await tap.bind(segments, "audience.*")
        launch = new_event("campaign.launched", payload, "test")
        await campaigns.publish(aio_pika.Message(launch.to_bytes()), routing_key=launch.type)
        received: list[dict[str, Any]] = []

        async def drain() -> list[dict[str, Any]]:
            while (message := await tap.get(fail=False)) is not None:
                await message.ack()
                event = json.loads(message.body)
                if event["payload"]["campaign_id"] == campaign_id:
                    received.append(event)
            return received

        def complete(items: list[dict[str, Any]]) -> bool:
            resolved = [m for m in items if m["type"] == "audience.resolved"]
            batches = [m for m in items if m["type"] == "audience.batch"]
            return bool(resolved) and len(batches) == resolved[0]["payload"]["batches"]

        await eventually(drain, complete, timeout=60, what="audience published")
    return sorted(
        r["customer_id"].removeprefix(f"{city}-")
        for m in received
        if m["type"] == "audience.batch"
        for r in m["payload"]["recipients"]
    )


async def test_email_audiences_keep_to_consenting_unsuppressed_addresses(stack: Stack) -> None:
    city = f"sup{uuid.uuid4().hex[:8]}"
    segments = stack.start("segments", "all")
    ingest = stack.start("ingest", "all")
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        loaded = await client.post(f"{ingest.url}/api/v1/customers", json={"items": people(city)})
        assert loaded.status_code == 202, loaded.text
    await eventually(
        lambda: stack.scalar(
            "segments", "SELECT COUNT(*) FROM profiles WHERE city = :c AND known", c=city
        ),
        lambda n: n == 5,
        timeout=60,
        what="profiles projected",
    )
    assert await audience_of(stack, city, "email") == ["a", "gone"]

    token = make_token(DEV_SECRET, f"{city}-gone", "email")
    async with httpx.AsyncClient(timeout=30) as anonymous:  # no sign-in
        url = f"{segments.url}/api/v1/unsubscribe"
        done = await anonymous.post(
            url, params={"token": token}, data={"List-Unsubscribe": "One-Click"}
        )
        assert done.status_code == 204, done.text
        forged = make_token("another-secret", f"{city}-a", "email")
        assert (await anonymous.post(url, params={"token": forged})).status_code == 403
        assert (await anonymous.post(url, params={"token": "email.@@.x"})).status_code == 400
        assert (await anonymous.post(url)).status_code == 422  # no token at all
        # The footer link opened in a browser: a page (a GET never unsubscribes) whose
        # button posts the same token.
        phone = make_token(DEV_SECRET, f"{city}-phone", "email")
        page = await anonymous.get(url, params={"token": phone})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f'<form method="post" action="?token={phone}&amp;via=page">' in page.text
        assert (await anonymous.get(url, params={"token": forged})).status_code == 403
        assert (
            await stack.scalar(
                "segments",
                "SELECT COUNT(*) FROM suppressions WHERE customer_id = :c",
                c=f"{city}-phone",
            )
            == 0
        )
        button = await anonymous.post(url, params={"token": phone, "via": "page"})
        assert button.status_code == 200 and "You are unsubscribed" in button.text

    assert await audience_of(stack, city, "email") == ["a"]
    # The simulator's sms campaigns are as before: everyone the rules match.
    assert await audience_of(stack, city, "sms") == ["a", "gone", "no", "phone", "unsaid"]

    engine = stack.db("segments")
    async with engine.begin() as conn:
        await suppressions.carry_over(conn, [(f"{city}-gone", f"{city}-merged")])
    rows = await stack.rows(
        "segments",
        "SELECT customer_id, channel, reason FROM suppressions WHERE customer_id LIKE :c"
        " ORDER BY customer_id",
        c=f"{city}-%",
    )
    assert [tuple(r) for r in rows] == [
        (f"{city}-gone", "email", "unsubscribed"),
        (f"{city}-merged", "email", "unsubscribed"),
        (f"{city}-phone", "email", "unsubscribed"),
    ]
    async with engine.begin() as conn:
        await suppressions.forget(conn, [f"{city}-gone", f"{city}-merged", f"{city}-phone"])
    assert (
        await stack.scalar(
            "segments", "SELECT COUNT(*) FROM suppressions WHERE customer_id LIKE :c", c=f"{city}-%"
        )
        == 0
    )
