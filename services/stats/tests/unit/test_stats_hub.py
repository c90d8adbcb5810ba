"""The hub admits only newer snapshots and never waits on a client."""

import asyncio
from typing import Any

from services.stats.domain.events import stats_changed
from services.stats.hub import Hub
from services.stats.settings import StatsSettings
from shared.envelope import Envelope, Received


def changed(campaigns: list[dict[str, object]]) -> Received[Any]:
    return Received.of(stats_changed(campaigns))


async def test_hub_fans_out_newest_only() -> None:
    hub = Hub(StatsSettings(stats_ws_coalesce_s=0.25))
    one, two = hub.connect(), hub.connect()
    two.mailbox.subscribe(["b"])
    await hub.apply(changed([{"campaign_id": "a", "revision": 2, "sent": 20}]))
    await hub.apply(changed([{"campaign_id": "a", "revision": 1, "sent": 10}]))  # late
    # A malformed row from a foreign producer (new_event would refuse to make it): the
    # listener does not key-check rows, the hub skips the bad one.
    good = stats_changed([{"campaign_id": "b", "revision": 1}])
    foreign: Envelope = good.model_copy(
        update={"payload": {"campaigns": [*good.payload["campaigns"], {"bad": True}]}}
    )
    await hub.apply(Received.of(foreign, check_rows=False))
    assert one.wake.is_set() and two.wake.is_set()
    got_one = [(m["data"]["campaign_id"], m["data"]["revision"]) for m in one.mailbox.take(0.0)]
    got_two = [(m["data"]["campaign_id"], m["data"]["revision"]) for m in two.mailbox.take(0.0)]
    assert got_one == [("a", 2), ("b", 1)]
    assert got_two == [("b", 1)]
    hub.disconnect(one)
    assert hub.clients == 1


async def test_a_client_that_never_takes_costs_one_snapshot_per_campaign() -> None:
    hub = Hub(StatsSettings())
    stalled = hub.connect()
    for revision in range(1, 10_001):
        await hub.apply(changed([{"campaign_id": f"c{revision % 10}", "revision": revision}]))
    await asyncio.sleep(0)
    assert stalled.mailbox.pending() == 10
