"""Campaign control end to end, on real processes, MariaDB and RabbitMQ: pause, resume and
cancel while sending (exact counts on every service, nothing sent after a cancel), a
scheduled campaign edited then cancelled (never sent), a test send (in no list and no
statistics), launches refused with their reason, list filters, the log's CSV export."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.test_campaign_pipeline import get_json
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

PEOPLE = 2_000
RATE = 200  # messages a second: a campaign of PEOPLE sends for about 10 s
EVERYONE = {"combinator": "and", "rules": [{"field": "visits", "operator": ">=", "value": 0}]}
NOBODY = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 10**6}]}


def start(stack: Stack) -> dict[str, str]:
    ingest = stack.start("ingest", "all")
    stack.start("segments", "worker")
    campaigns = stack.start("campaigns", "all", BEACON_SCHEDULER_POLL_S="0.5")
    stats = stack.start("stats", "all")
    vendor = stack.start_vendor(BEACON_VENDOR_DELAY_MIN_S="0.05", BEACON_VENDOR_DELAY_MAX_S="0.2")
    delivery = stack.start("delivery", "api")
    stack.start(
        "delivery",
        "worker",
        BEACON_VENDOR_URL=vendor.url,
        BEACON_DELIVERY_PUBLIC_URL=delivery.url,
        BEACON_SEND_RATE_LIMIT=str(RATE),
    )
    return {
        "ingest": ingest.url,
        "campaigns": campaigns.url,
        "stats": stats.url,
        "vendor": vendor.url,
        "delivery": delivery.url,
    }


async def load_people(client: httpx.AsyncClient, stack: Stack, url: str) -> None:
    people = [
        {"customer_id": f"cc-{i}", "name": f"Person {i}", "email": f"p{i}@example.in"}
        for i in range(PEOPLE)
    ]
    response = await client.post(f"{url}/api/v1/customers", json={"items": people})
    assert response.status_code == 202, response.text
    await eventually(
        lambda: stack.scalar("segments", "SELECT COALESCE(SUM(known), 0) FROM profiles"),
        lambda n: n == PEOPLE,
        timeout=90,
        what="profiles projected",
    )


async def steady(read: Callable[[], Awaitable[int]], *, quiet_s: float = 1.5) -> Steady:
    """The value once it has not moved for ``quiet_s``, and when it last moved (polled
    every 50 ms, with a deadline)."""
    deadline = time.monotonic() + 60
    last, since = await read(), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now = await read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return Steady(last, since)
    raise AssertionError(f"still moving after 60 s (at {last})")


@dataclass(frozen=True)
class Steady:
    value: int
    moved_at: float  # time.monotonic() of the last change seen


async def test_pause_resume_and_cancel_mid_send(stack: Stack) -> None:
    urls = start(stack)
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        await load_people(client, stack, urls["ingest"])

        async def vendor_unique() -> int:
            return int((await get_json(client, f"{urls['vendor']}/vendor/v1/stats"))["unique"])

        async def campaign(cid: str) -> dict[str, Any]:
            return dict(await get_json(client, f"{urls['campaigns']}/api/v1/campaigns/{cid}"))

        async def post(path: str, body: Any = None) -> httpx.Response:
            return await client.post(f"{urls['campaigns']}/api/v1/campaigns{path}", json=body)

        first = await post(
            "",
            {"name": "Paused", "rules": EVERYONE, "message": "Hi", "confirm_audience_size": PEOPLE},
        )
        assert first.status_code == 201, first.text
        a = first.json()["id"]
        await eventually(vendor_unique, lambda n: n >= RATE, timeout=60, what="sending")
        paused = await post(f"/{a}/pause")
        acked = time.monotonic()
        assert (paused.status_code, paused.json()["status"]) == (200, "paused"), paused.text
        assert (await post(f"/{a}/pause")).status_code == 409  # paused already
        stopped = await steady(vendor_unique)
        at_pause = stopped.value
        assert at_pause < PEOPLE  # it stopped part-way
        # Nothing reaches the vendor a second after the ack (one in-flight batch may land).
        assert stopped.moved_at - acked < 1.0, stopped.moved_at - acked
        await asyncio.sleep(2)  # paused means nothing more goes out, however long it waits
        assert await vendor_unique() == at_pause
        resumed = await post(f"/{a}/resume")
        assert (resumed.status_code, resumed.json()["status"]) == (200, "sending"), resumed.text
        done = await eventually(
            lambda: campaign(a), lambda c: c["status"] == "completed", timeout=120, what="done"
        )
        assert (done["audience_size"], done["sent"] + done["failed"], done["cancelled"]) == (
            PEOPLE,
            PEOPLE,
            0,
        )
        assert (await steady(vendor_unique)).value == PEOPLE  # each once, across the pause

        second = await post(
            "",
            {
                "name": "Stopped",
                "rules": EVERYONE,
                "message": "Hi",
                "confirm_audience_size": PEOPLE,
            },
        )
        b = second.json()["id"]
        await eventually(vendor_unique, lambda n: n >= PEOPLE + RATE, timeout=60, what="sending")
        cancelled = await post(f"/{b}/cancel")
        acked = time.monotonic()
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
        assert (await post(f"/{b}/resume")).status_code == 409
        stopped = await steady(vendor_unique)
        assert stopped.moved_at - acked < 1.0, stopped.moved_at - acked
        handed = stopped.value - PEOPLE
        assert 0 < handed < PEOPLE

        async def b_log() -> dict[str, int]:
            rows = await stack.rows(
                "delivery",
                "SELECT status, COUNT(*) AS n FROM communications_log WHERE campaign_id = :c"
                " GROUP BY status",
                c=b,
            )
            return {r.status: int(r.n) for r in rows}

        final = await eventually(
            b_log, lambda s: "PENDING" not in s and sum(s.values()) == PEOPLE, what="b final"
        )
        assert final.get("SENT", 0) + final.get("FAILED", 0) == handed  # one per vendor send
        assert final["CANCELLED"] == PEOPLE - handed
        b_stats = await eventually(
            lambda: get_json(client, f"{urls['stats']}/api/v1/stats/campaigns/{b}"),
            lambda s: s["cancelled"] == final["CANCELLED"] and s["pending"] == 0,
            what="stats counted the cancelled",
        )
        assert (b_stats["sent"], b_stats["failed"]) == (final.get("SENT", 0), final["FAILED"])
        b_campaign = await eventually(
            lambda: campaign(b),
            lambda c: c["cancelled"] == final["CANCELLED"] and c["pending"] == 0,
            what="campaigns counted the cancelled",
        )
        assert b_campaign["status"] == "cancelled"
        await asyncio.sleep(2)  # a cancelled campaign stays silent
        assert await vendor_unique() == PEOPLE + handed

        # The log: a person's messages newest first; a campaign's as CSV.
        mine = await get_json(
            client,
            f"{urls['delivery']}/api/v1/communications?customer_id=cc-7&order=newest",
        )
        assert [m["campaign_id"] for m in mine["items"]] == [b, a]
        export = await client.get(
            f"{urls['delivery']}/api/v1/communications/export", params={"campaign_id": a}
        )
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert len(rows) == PEOPLE and {r["status"] for r in rows} <= {"SENT", "FAILED"}

        # The list: filters by status and name.
        listed = await get_json(
            client, f"{urls['campaigns']}/api/v1/campaigns?status=cancelled&q=stop"
        )
        assert [c["id"] for c in listed["items"]] == [b]


async def test_scheduled_edit_cancel_test_send_and_refusals(stack: Stack) -> None:
    urls = start(stack)
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        await load_people(client, stack, urls["ingest"])
        base = f"{urls['campaigns']}/api/v1/campaigns"

        async def campaign(cid: str) -> dict[str, Any]:
            return dict(await get_json(client, f"{base}/{cid}"))

        # A past time is refused; a future one is kept, edited, then cancelled: never sent.
        past = await client.post(
            base,
            json={
                "name": "x",
                "rules": EVERYONE,
                "message": "Hi",
                "schedule_at": "2020-01-01T00:00:00Z",
            },
        )
        assert past.status_code == 422 and "schedule_at" in past.text
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        made = await client.post(
            base, json={"name": "Later", "rules": EVERYONE, "message": "Hi", "schedule_at": later}
        )
        assert (made.status_code, made.json()["status"]) == (201, "scheduled"), made.text
        sid = made.json()["id"]
        soon = datetime.now(UTC) + timedelta(seconds=3)
        edited = await client.patch(
            f"{base}/{sid}",
            json={
                "name": "Sooner",
                "message": "Hello {first_name}",
                "schedule_at": soon.isoformat(),
            },
        )
        assert edited.status_code == 200, edited.text
        assert (edited.json()["name"], edited.json()["message"]) == ("Sooner", "Hello {first_name}")
        assert edited.json()["schedule_at"].startswith(soon.strftime("%Y-%m-%dT%H:%M:%S"))
        gone = await client.post(f"{base}/{sid}/cancel")
        assert (gone.status_code, gone.json()["status"]) == (200, "cancelled")
        assert (await client.patch(f"{base}/{sid}", json={"name": "y"})).status_code == 409
        # Wall-clock time has to pass here: the scheduler polls every 0.5 s.
        await asyncio.sleep((soon - datetime.now(UTC)).total_seconds() + 3)
        assert (await campaign(sid))["status"] == "cancelled"
        assert await stack.scalar("delivery", "SELECT COUNT(*) FROM campaigns") == 0

        # A test send: rendered and sent through the vendor, in no list and no statistics.
        test = await client.post(
            f"{base}/test-send",
            json={"message": "Test {first_name}", "customer_ids": ["cc-1", "cc-2"]},
        )
        assert test.status_code == 202, test.text
        test_id = test.json()["test_id"]
        sent = await eventually(
            lambda: get_json(
                client, f"{urls['delivery']}/api/v1/communications?campaign_id={test_id}"
            ),
            lambda page: (
                {m["status"] for m in page["items"]} <= {"SENT", "FAILED"}
                and len(page["items"]) == 2
            ),
            what="test delivered",
        )
        assert sorted(m["message"] for m in sent["items"]) == ["Test Person", "Test Person"]
        listed = await get_json(client, base)
        assert test_id not in {c["id"] for c in listed["items"]}
        assert (
            await client.get(f"{urls['stats']}/api/v1/stats/campaigns/{test_id}")
        ).status_code == 404
        overview = await get_json(client, f"{urls['stats']}/api/v1/stats/overview")
        assert (overview["campaigns"], overview["sent"] + overview["failed"]) == (0, 0)

        # "Send a test to me": to the sender's own email, rendered with their name, beside
        # a named customer; nobody at all is a 422 naming the body.
        mine = await client.post(
            f"{base}/test-send",
            json={"message": "Test {first_name}", "customer_ids": ["cc-1"], "to_me": True},
        )
        assert (mine.status_code, mine.json()["recipients"]) == (202, 2), mine.text
        both = await eventually(
            lambda: get_json(
                client,
                f"{urls['delivery']}/api/v1/communications?campaign_id={mine.json()['test_id']}",
            ),
            lambda page: (
                len(page["items"]) == 2
                and {m["status"] for m in page["items"]} <= {"SENT", "FAILED"}
            ),
            what="test to me delivered",
        )
        me = [m for m in both["items"] if m["customer_id"].startswith("you:")]
        assert len(me) == 1 and me[0]["message"] == "Test tester"  # the token's tester@example.com
        nobody = await client.post(f"{base}/test-send", json={"message": "Hi", "customer_ids": []})
        assert nobody.status_code == 422 and "to_me" in nobody.text

        # Refused launches end failed with their reason, and send nothing.
        empty = (
            await client.post(base, json={"name": "e", "rules": NOBODY, "message": "Hi"})
        ).json()
        small = (
            await client.post(
                base,
                json={"name": "s", "rules": EVERYONE, "message": "Hi", "confirm_audience_size": 10},
            )
        ).json()
        for cid, words in ((empty["id"], "empty"), (small["id"], "confirm_audience_size")):
            ended = await eventually(
                functools.partial(campaign, cid), lambda c: c["status"] == "failed", what="refused"
            )
            assert words in ended["reason"]
        logged = await stack.scalar(
            "delivery",
            "SELECT COUNT(*) FROM communications_log WHERE campaign_id IN (:e, :s)",
            e=empty["id"],
            s=small["id"],
        )
        assert logged == 0
