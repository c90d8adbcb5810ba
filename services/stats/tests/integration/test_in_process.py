"""Stats' use cases through their entry points, in this process: the counters consumer under
TestRabbitBroker and the reconcile route behind an in-process client, with the real unit of
work on MariaDB."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from shared.envelope import Envelope, new_event
from tests.support.inprocess import in_process
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

OUTBOX = "SELECT COUNT(*) FROM outbox WHERE type = 'stats.changed'"


def consumed(outcome: str) -> float:
    """stats.counters' campaign.launched events handled so far with this outcome."""
    labels = {"consumer": "stats.counters", "type": "campaign.launched", "outcome": outcome}
    return REGISTRY.get_sample_value("beacon_events_consumed_total", labels) or 0.0


async def handled(before: dict[str, float], applied: int, duplicate: int) -> None:
    """Wait until the batched consumer applied and skipped that many more launches."""
    await eventually(
        lambda: _counts(before),
        lambda got: got == (applied, duplicate),
        timeout=30,
        what="launches handled",
    )


async def _counts(before: dict[str, float]) -> tuple[int, int]:
    return (
        int(consumed("applied") - before["applied"]),
        int(consumed("duplicate") - before["duplicate"]),
    )


def launched(campaign_id: str, name: str = "Spring sale") -> Envelope:
    payload = {"campaign_id": campaign_id, "name": name, "rules": None, "segment_id": "1"}
    return new_event("campaign.launched", {**payload, "message": "Hi {name}"}, "test")


async def test_a_launch_is_counted_once_and_announced_once(stack: Stack) -> None:
    cid = str(uuid.uuid4())
    before = {"applied": consumed("applied"), "duplicate": consumed("duplicate")}
    async with in_process(stack, "stats") as stats:
        event = launched(cid)
        await stats.deliver("stats.counters", event)
        await stats.deliver("stats.counters", event)  # redelivered
        await handled(before, applied=1, duplicate=1)  # batched: applied a few ms later
    rows = await stack.rows("stats", "SELECT name, queued, sent, failed FROM campaign_stats")
    assert [tuple(r) for r in rows] == [("Spring sale", 0, 0, 0)]
    assert await stack.scalar("stats", OUTBOX) == 1
    assert await stack.scalar("stats", "SELECT COUNT(*) FROM inbox") == 1


async def test_reconcile_reports_fixes_and_announces_drift(stack: Stack) -> None:
    cid = str(uuid.uuid4())
    before = {"applied": consumed("applied"), "duplicate": consumed("duplicate")}
    async with in_process(stack, "stats") as stats:
        await stats.deliver("stats.counters", launched(cid))
        await handled(before, applied=1, duplicate=0)
        path = f"/api/v1/stats/campaigns/{cid}/reconcile"
        admin = stack.headers("admin")
        clean = await stats.client.post(path, headers=admin)
        assert clean.status_code == 200, clean.text
        assert (clean.json()["drift"], clean.json()["fixed"]) == (False, False)
        async with stats.runtime.engine.begin() as conn:  # drift, by other means than events
            await conn.execute(text("UPDATE campaign_stats SET sent = 7"))
        found = await stats.client.post(path, headers=admin)
        assert (found.json()["drift"], found.json()["fixed"]) == (True, False)
        assert await stack.scalar("stats", OUTBOX) == 1  # found, not fixed: nothing announced
        fixed = await stats.client.post(f"{path}?fix=true", headers=admin)
        assert (fixed.json()["drift"], fixed.json()["fixed"]) == (True, True)
        unknown = await stats.client.post(
            f"/api/v1/stats/campaigns/{uuid.uuid4()}/reconcile", headers=admin
        )
        assert unknown.status_code == 404
        marketer = await stats.client.post(path, headers=stack.headers("marketer"))
        assert marketer.status_code == 403
    assert await stack.scalar("stats", "SELECT sent FROM campaign_stats") == 0
    assert await stack.scalar("stats", OUTBOX) == 2
