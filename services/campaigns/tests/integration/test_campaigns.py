"""Campaigns' use cases through their entry points, in this process (tests.support.inprocess):
the routes behind an in-process client, the progress consumer under TestRabbitBroker and the
scheduler's step, each with the real unit of work on MariaDB. What a use case announces is
counted in the outbox table (no relay runs here)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from services.campaigns.scheduler import launch_due
from shared.envelope import new_event
from shared.rules.rules import parse_rules, rules_to_json
from tests.support.inprocess import InProcess, in_process
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

RULES = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}
STORED = rules_to_json(parse_rules(RULES))  # the canonical form a campaign keeps
PATH = "/api/v1/campaigns"
CONFIRM_ABOVE = 500


@pytest.fixture
async def campaigns(stack: Stack) -> AsyncIterator[InProcess]:
    async with in_process(stack, "campaigns", campaign_confirm_above=CONFIRM_ABOVE) as service:
        yield service


def body(**fields: Any) -> dict[str, Any]:
    return {"name": "Spring sale", "rules": RULES, "message": "Hi {name}", **fields}


async def create(service: InProcess, stack: Stack, **fields: Any) -> Any:
    return await service.client.post(PATH, json=body(**fields), headers=stack.headers("marketer"))


async def launched_events(stack: Stack) -> list[dict[str, Any]]:
    rows = await stack.rows(
        "campaigns", "SELECT body FROM outbox WHERE type = 'campaign.launched' ORDER BY id"
    )
    return [orjson.loads(r[0])["payload"] for r in rows]


async def test_create_launches_at_once_and_announces_it_once(
    campaigns: InProcess, stack: Stack
) -> None:
    response = await create(campaigns, stack)
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["status"] == "launching" and campaign["launched_at"] is not None
    assert campaign["rules"] == STORED and campaign["max_audience"] == CONFIRM_ABOVE
    # Issue 27: the rule in words is kept with the campaign as launched.
    assert campaign["rules_sentence"] == "Customers who visited more than once"
    stored = await stack.scalar(
        "campaigns", "SELECT rules_sentence FROM campaigns WHERE id = :i", i=campaign["id"]
    )
    assert stored == "Customers who visited more than once"
    assert campaign["created_by"]["email"] == "tester@example.com"
    [event] = await launched_events(stack)
    assert (event["campaign_id"], event["name"], event["rules"]) == (
        campaign["id"],
        "Spring sale",
        STORED,
    )
    assert event["max_audience"] == CONFIRM_ABOVE
    read = await campaigns.client.get(f"{PATH}/{campaign['id']}", headers=stack.headers("viewer"))
    assert read.status_code == 200 and read.json() == campaign


async def test_an_email_campaign_keeps_and_announces_its_channel_and_subject(
    campaigns: InProcess, stack: Stack
) -> None:
    response = await create(campaigns, stack, channel="email", subject="Hi {first_name}")
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert (campaign["channel"], campaign["subject"]) == ("email", "Hi {first_name}")
    sms = await create(campaigns, stack)
    assert (sms.json()["channel"], sms.json()["subject"]) == ("sms", None)
    email_event, sms_event = await launched_events(stack)
    assert (email_event["channel"], email_event["subject"]) == ("email", "Hi {first_name}")
    assert (sms_event["channel"], sms_event["subject"]) == ("sms", None)


@pytest.mark.parametrize(
    "fields, where",
    [
        ({"rules": {**RULES, "rules": [{"field": "nope", "operator": ">", "value": 1}]}}, "nope"),
        ({"rules": {**RULES, "rules": [{"field": "visits", "operator": "~", "value": 1}]}}, "~"),
        ({"segment_id": "7"}, "exactly one"),  # both rules and a segment
        ({"rules": None}, "exactly one"),  # neither
        ({"message": "Hi {name"}, "message"),
        ({"schedule_at": "2300-01-01T00:00:00Z"}, "schedule_at"),
        ({"confirm_audience_size": -1}, "confirm_audience_size"),
        ({"name": ""}, "name"),
        ({"extra": 1}, "extra"),
        # Issue 26: a channel; email needs a subject, which must fit the store.
        ({"channel": "fax"}, "body.channel"),
        ({"channel": "email"}, "body.subject"),
        ({"subject": "Hi"}, "body.subject"),
        ({"channel": "email", "subject": "x" * 201}, "body.subject"),
        ({"channel": "email", "subject": "Hi {nope}"}, "body.subject"),
    ],
)
async def test_invalid_campaigns_are_422_and_nothing_is_stored(
    campaigns: InProcess, stack: Stack, fields: dict[str, Any], where: str
) -> None:
    response = await create(campaigns, stack, **fields)
    assert response.status_code == 422, response.text
    assert where in response.text
    assert await stack.scalar("campaigns", "SELECT COUNT(*) FROM campaigns") == 0
    assert await launched_events(stack) == []


async def test_a_campaign_takes_its_segment_rules_and_an_unknown_segment_is_422(
    campaigns: InProcess, stack: Stack
) -> None:
    unknown = await create(campaigns, stack, rules=None, segment_id="42")
    assert unknown.status_code == 422 and "segment_id" in unknown.text
    assert "segment '42' does not exist" in unknown.text
    saved = {"segment_id": "42", "name": "Big spenders", "rules": STORED, "created_by": None}
    await campaigns.deliver("campaigns.progress", new_event("segment.saved", saved, "test"))
    response = await create(campaigns, stack, rules=None, segment_id="42")
    assert response.status_code == 201, response.text
    assert response.json()["rules"] == STORED and response.json()["segment_id"] == "42"
    [event] = await launched_events(stack)
    assert event["segment_id"] == "42" and event["rules"] == STORED


async def test_a_scheduled_campaign_launches_once_when_due(
    campaigns: InProcess, stack: Stack
) -> None:
    at = datetime.now(UTC) + timedelta(seconds=1.5)
    response = await create(campaigns, stack, schedule_at=at.isoformat())
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["status"] == "scheduled" and campaign["launched_at"] is None
    assert await launch_due(campaigns.runtime.engine) == 0  # not yet
    assert await launched_events(stack) == []
    deadline = time.monotonic() + 30
    while not await launch_due(campaigns.runtime.engine):
        assert time.monotonic() < deadline, "the scheduled campaign never launched"
        await asyncio.sleep(0.1)
    assert await launch_due(campaigns.runtime.engine) == 0  # launched once
    [event] = await launched_events(stack)
    assert event["campaign_id"] == campaign["id"]
    read = await campaigns.client.get(f"{PATH}/{campaign['id']}", headers=stack.headers())
    assert read.json()["status"] == "launching" and read.json()["launched_at"] is not None


async def test_a_schedule_in_the_past_is_refused(campaigns: InProcess, stack: Stack) -> None:
    """ "Later" at a time gone by would send at once: refused, nothing launched."""
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = await create(campaigns, stack, schedule_at=past)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.schedule_at"
    assert await launched_events(stack) == []


async def test_a_confirmed_size_sets_the_ceiling(campaigns: InProcess, stack: Stack) -> None:
    small = await create(campaigns, stack, confirm_audience_size=10)
    assert small.json()["max_audience"] == 11  # the confirmed size is the ceiling, plus 5 %
    large = await create(campaigns, stack, confirm_audience_size=20_000)
    assert large.json()["max_audience"] == 21_000  # the confirmed size plus 5 % growth
    ceilings = [e["max_audience"] for e in await launched_events(stack)]
    assert ceilings == [11, 21_000]


async def test_progress_events_move_the_status_to_completed(
    campaigns: InProcess, stack: Stack
) -> None:
    campaign = (await create(campaigns, stack)).json()
    cid = campaign["id"]
    resolved = {"campaign_id": cid, "size": 3, "batches": 1, "error": None}
    await campaigns.deliver("campaigns.progress", new_event("audience.resolved", resolved, "t"))
    read = await campaigns.client.get(f"{PATH}/{cid}", headers=stack.headers())
    assert (read.json()["status"], read.json()["audience_size"]) == ("sending", 3)
    deltas = {"campaigns": [{"campaign_id": cid, "queued": 3, "sent": 2, "failed": 1}]}
    update = new_event("delivery.updated", deltas, "t")
    await campaigns.deliver("campaigns.progress", update)
    await campaigns.deliver("campaigns.progress", update)  # redelivered: applied once
    done = (await campaigns.client.get(f"{PATH}/{cid}", headers=stack.headers())).json()
    assert (done["status"], done["sent"], done["failed"], done["pending"]) == (
        "completed",
        2,
        1,
        0,
    )


async def test_list_pages_newest_first_each_campaign_once(
    campaigns: InProcess, stack: Stack
) -> None:
    ids = [(await create(campaigns, stack, name=f"c{i}")).json()["id"] for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await campaigns.client.get(PATH, params=params, headers=stack.headers("viewer"))
        assert page.status_code == 200, page.text
        seen += [c["id"] for c in page.json()["items"]]
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1] and pages == 3
    assert (
        await campaigns.client.get(PATH, params={"limit": 0}, headers=stack.headers())
    ).status_code == 422
    bad = await campaigns.client.get(PATH, params={"cursor": "!!"}, headers=stack.headers())
    assert bad.status_code in (400, 422)


async def test_who_may_do_what(campaigns: InProcess, stack: Stack) -> None:
    viewer = await campaigns.client.post(PATH, json=body(), headers=stack.headers("viewer"))
    assert viewer.status_code == 403
    assert (await campaigns.client.post(PATH, json=body())).status_code == 401
    missing = await campaigns.client.get(f"{PATH}/nope", headers=stack.headers("viewer"))
    assert missing.status_code == 404
    assert await stack.scalar("campaigns", "SELECT COUNT(*) FROM campaigns") == 0


async def test_a_scheduled_email_campaign_edits_its_subject_and_launches_with_it(
    campaigns: InProcess, stack: Stack
) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    email = await create(campaigns, stack, channel="email", subject="Old {name}", schedule_at=soon)
    sms = await create(campaigns, stack, schedule_at="2099-01-01T00:00:00Z")
    assert email.status_code == sms.status_code == 201, email.text
    headers = stack.headers("marketer")
    edited = await campaigns.client.patch(
        f"{PATH}/{email.json()['id']}", json={"subject": "New {first_name}"}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["channel"], edited.json()["subject"]) == ("email", "New {first_name}")
    refused = await campaigns.client.patch(
        f"{PATH}/{sms.json()['id']}", json={"subject": "Hi"}, headers=headers
    )
    assert refused.status_code == 422 and "body.subject" in refused.text, refused.text
    bad = await campaigns.client.patch(
        f"{PATH}/{email.json()['id']}", json={"subject": "a\nb"}, headers=headers
    )
    assert bad.status_code == 422 and "subject" in bad.text
    deadline = time.monotonic() + 30
    while not await launch_due(campaigns.runtime.engine):
        assert time.monotonic() < deadline, "the scheduled campaign never launched"
        await asyncio.sleep(0.1)
    [event] = await launched_events(stack)
    assert (event["campaign_id"], event["channel"], event["subject"]) == (
        email.json()["id"],
        "email",
        "New {first_name}",
    )
