"""Several stats replicas: clients on every api process see the same final numbers, and a
client that stops reading neither slows the others nor the server."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from functools import partial
from typing import Any

import httpx
import pytest

from services.stats.tests.integration.helpers import (
    Publisher,
    Watcher,
    campaign_run,
    counts,
    metric,
    polled,
    stalled_client,
    start,
)
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

SIZE = 5_000
FINAL = {
    "audience_size": SIZE,
    "queued": SIZE,
    "pending": 0,
    "sent": 4_500,
    "failed": 500,
    "failure_rate": 0.1,
}
FILLERS = 150  # other campaigns sending at the same time, with long names: volume


async def snapshots(client: httpx.AsyncClient, ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in range(0, len(ids), 100):
        response = await client.get(
            "/api/v1/stats/campaigns", params={"ids": ",".join(ids[chunk : chunk + 100])}
        )
        assert response.status_code == 200, response.text
        found |= {s["campaign_id"]: s for s in response.json()["items"]}
    return found


def reset_or_closed(sock: socket.socket) -> bool:
    """Drain what the server managed to send; True once the connection is gone."""
    sock.setblocking(False)
    try:
        while data := sock.recv(1 << 20):
            del data
        return True  # EOF
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


async def test_replicas_agree_and_a_stalled_client_slows_no_one(stack: Stack) -> None:
    _, _, api_a, api_b = start(
        stack,
        "worker",
        "worker",
        "api",
        "api",
        BEACON_STATS_WS_SEND_TIMEOUT_S="1",
        BEACON_STATS_WS_SOCKET_SEND_BUFFER="32768",
    )
    tag = uuid.uuid4().hex[:6]
    main = f"camp-{tag}"
    fillers = [f"fill-{tag}-{i:03d}" for i in range(FILLERS)]
    expected: dict[str, int] = dict.fromkeys(fillers, 0)
    stalled = stalled_client(api_a.port, [])  # every campaign, and never reads again
    latencies: list[float] = []
    async with (
        Publisher(stack) as pub,
        Watcher(api_a.url) as on_a,
        Watcher(api_b.url) as on_b,
        Watcher(api_b.url, subscribe=[main]) as narrow,
        httpx.AsyncClient(headers=stack.headers(), base_url=api_a.url, timeout=10) as client_a,
        httpx.AsyncClient(headers=stack.headers(), base_url=api_b.url, timeout=10) as client_b,
    ):
        await eventually(
            lambda: metric(api_a.url, "beacon_stats_ws_clients"),
            lambda n: n == 2,
            what="stalled and live client connected to a",
        )
        await pub.launched(main, "Main")
        for filler in fillers:
            await pub.launched(filler, f"Filler {filler} " + "ñ" * 150)
        await pub.resolved(main, SIZE)
        # Each event carries the main campaign's delta and ten other campaigns' deltas.
        for i, delta in enumerate(campaign_run(main, SIZE)):
            touched = [fillers[(i * 10 + k) % FILLERS] for k in range(10)]
            for filler in touched:
                expected[filler] += 1
            await pub.delivery(
                [delta, *({"campaign_id": f, "queued": 1, "sent": 1} for f in touched)]
            )
            if i % 10 == 9:
                began = time.monotonic()
                response = await client_a.get(f"/api/v1/stats/campaigns/{main}")
                assert response.status_code == 200
                latencies.append(time.monotonic() - began)
                await asyncio.sleep(0.2)

        async def both_final() -> tuple[dict[str, Any], dict[str, Any]]:
            return (
                await snapshots(client_a, [main, *fillers]),
                await snapshots(client_b, [main, *fillers]),
            )

        on_a_http, on_b_http = await eventually(
            both_final,
            lambda ab: (
                counts(ab[0].get(main)) == FINAL
                and all(ab[0].get(f, {}).get("sent") == n for f, n in expected.items())
            ),
            timeout=90,
            what="counters final",
        )
        assert on_a_http == on_b_http  # two api replicas read the same numbers

        def caught_up(watcher: Watcher) -> bool:
            return all(counts(watcher.latest(c)) == counts(s) for c, s in on_a_http.items())

        for watcher in (on_a, on_b):
            await eventually(
                polled(partial(caught_up, watcher)),
                bool,
                timeout=30,
                what="every live client has every campaign's final numbers",
            )
        assert counts(narrow.latest(main)) == FINAL
        assert set(narrow.pushes) == {main}

        # The stalled client was given up on, and only it.
        assert await metric(api_a.url, 'beacon_stats_ws_disconnects_total{reason="slow"}') == 1
        assert await metric(api_a.url, "beacon_stats_ws_clients") == 1
        await eventually(polled(lambda: reset_or_closed(stalled)), bool, what="stalled dropped")
        stalled.close()
        # The server stayed responsive throughout, and still is: a new client subscribing
        # gets the current snapshot at once.
        assert max(latencies) < 2.0, latencies
        async with Watcher(api_a.url, subscribe=[main]) as late:
            began = time.monotonic()
            await eventually(
                polled(lambda: counts(late.latest(main))),
                lambda c: c == FINAL,
                timeout=5,
                what="snapshot on subscribe",
            )
            assert time.monotonic() - began < 2.0
