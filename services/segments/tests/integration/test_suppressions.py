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
from tests.support.bus import publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration
L = "/api/v1/suppressions"


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


async def with_people(stack: Stack, city: str) -> Any:
    """Segments and ingest running, and the city's five people projected; segments."""
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
    return segments


async def test_email_audiences_keep_to_consenting_unsuppressed_addresses(stack: Stack) -> None:
    city = f"sup{uuid.uuid4().hex[:8]}"
    segments = await with_people(stack, city)
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


async def test_the_suppression_list_through_its_api_with_an_event_per_change(
    stack: Stack,
) -> None:
    """Issue 26: a suppression list per channel, kept through the API: listed with names,
    added by id or email (leaving the customer out of that channel's next audience), taken
    off only when a marketer put it there; each change a ``suppression.changed`` event."""
    city = f"api{uuid.uuid4().hex[:8]}"
    segments = await with_people(stack, city)
    connection = await aio_pika.connect(stack.amqp_url)
    async with (
        connection,
        httpx.AsyncClient(base_url=segments.url, headers=stack.headers(), timeout=30) as api,
    ):
        channel_ = await connection.channel()
        exchange = await channel_.declare_exchange(
            stack.settings.amqp_name("beacon.segments"), "topic", durable=True
        )
        tap = await channel_.declare_queue(exclusive=True)
        await tap.bind(exchange, "suppression.changed")

        by_email = await api.post(L, json={"channel": "email", "email": f"A.{city}@X.IN"})
        assert by_email.status_code == 201, by_email.text
        assert by_email.json() | {"created_at": None} == {
            "customer_id": f"{city}-a",
            "channel": "email",
            "reason": "manual",
            "created_at": None,
            "name": "A",
            "email": f"a.{city}@x.in",
        }
        by_id = await api.post(L, json={"channel": "sms", "customer_id": f"{city}-phone"})
        assert by_id.status_code == 201
        again = await api.post(L, json={"channel": "email", "customer_id": f"{city}-a"})
        assert again.status_code == 201 and again.json()["reason"] == "manual"
        refused = {
            "unknown id": await api.post(L, json={"channel": "email", "customer_id": "nobody"}),
            "unknown email": await api.post(L, json={"channel": "email", "email": "x@nowhere.in"}),
            "both": await api.post(
                L, json={"channel": "email", "customer_id": "a", "email": "a@b.in"}
            ),
            "bad channel": await api.post(L, json={"channel": "fax", "customer_id": "a"}),
        }
        assert {k: r.status_code for k, r in refused.items()} == {
            "unknown id": 404,
            "unknown email": 422,
            "both": 422,
            "bad channel": 422,
        }
        assert await audience_of(stack, city, "email") == ["gone"]

        # The person's own unsubscribe stays: a marketer cannot lift it.
        token = make_token(DEV_SECRET, f"{city}-gone", "email")
        unsubscribe = f"{segments.url}/api/v1/unsubscribe"
        assert (
            await httpx.AsyncClient().post(unsubscribe, params={"token": token})
        ).status_code == 204
        listed = (await api.get(L, params={"channel": "email", "limit": 1000})).json()
        mine = {i["customer_id"]: i["reason"] for i in listed["items"] if city in i["customer_id"]}
        assert mine == {f"{city}-a": "manual", f"{city}-gone": "unsubscribed"}
        assert (await api.delete(f"{L}/email/{city}-gone")).status_code == 409
        assert (await api.delete(f"{L}/email/{city}-a")).status_code == 204
        assert (await api.delete(f"{L}/email/{city}-a")).status_code == 404
        paged = (await api.get(L, params={"channel": "email", "limit": 1})).json()
        assert len(paged["items"]) == 1 and paged["next_cursor"]
        viewer = {"Authorization": stack.headers("viewer")["Authorization"]}
        assert (await api.get(L, params={"channel": "sms"}, headers=viewer)).status_code == 200
        assert (
            await api.post(L, json={"channel": "sms", "customer_id": f"{city}-a"}, headers=viewer)
        ).status_code == 403

        async def changes() -> list[tuple[str, str, bool, str]]:
            found = []
            while (message := await tap.get(fail=False, timeout=1)) is not None:
                await message.ack()
                p = json.loads(message.body)["payload"]
                if city in p["customer_id"]:
                    found.append((p["customer_id"], p["channel"], p["suppressed"], p["reason"]))
            return found

        seen: list[tuple[str, str, bool, str]] = []

        async def all_changes() -> list[tuple[str, str, bool, str]]:
            seen.extend(await changes())
            return seen

        await eventually(all_changes, lambda s: len(s) >= 4, what="suppression events")
        assert sorted(seen) == sorted(
            [
                (f"{city}-a", "email", True, "manual"),
                (f"{city}-phone", "sms", True, "manual"),
                (f"{city}-gone", "email", True, "unsubscribed"),
                (f"{city}-a", "email", False, "manual"),
            ]
        )


async def test_a_provider_refusal_suppresses_the_person_on_that_channel(stack: Stack) -> None:
    """Issue 26: the suppression list is fed by providers too: delivery's
    ``delivery.address_refused`` (a person who replied STOP, a number that is not a mobile)
    puts the known people on that channel's list; an unknown id is not brought to life."""
    city = f"ref{uuid.uuid4().hex[:8]}"
    await with_people(stack, city)
    refused = new_event(
        "delivery.address_refused",
        {
            "channel": "sms",
            "customer_ids": [f"{city}-phone", f"{city}-nobody"],
            "reason": "twilio rejected: unsubscribed",
        },
        "delivery",
    )
    await publish(stack, "delivery", [refused, refused])  # a redelivery changes nothing

    async def listed() -> list[tuple[str, str, str]]:
        rows = await stack.rows(
            "segments",
            "SELECT customer_id, channel, reason FROM suppressions WHERE customer_id LIKE :c",
            c=f"{city}-%",
        )
        return [tuple(r) for r in rows]

    assert await eventually(listed, lambda r: len(r) >= 1, what="suppressed") == [
        (f"{city}-phone", "sms", "provider")
    ]
    assert await audience_of(stack, city, "email") == ["a", "gone"]  # email unaffected
    # The next sms campaign leaves them out.
    assert await audience_of(stack, city, "sms") == ["a", "gone", "no", "unsaid"]
