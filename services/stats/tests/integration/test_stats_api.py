"""The HTTP API (in ``all`` mode: worker and api in one process) and reconciliation."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.stats.tests.integration.helpers import (
    Publisher,
    Watcher,
    campaign_run,
    polled,
    start,
)
from tests.support.processes import ROOT
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


def reconcile_cli(stack: Stack, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "services.stats", "reconcile", *args],
        cwd=ROOT,
        env={**os.environ, **stack.env, "BEACON_LOG_LEVEL": "ERROR"},
        capture_output=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]
    return done.returncode, [line for line in lines if "event" not in line]  # not logs


async def audited(stack: Stack, cid: str) -> list[dict[str, Any]]:
    """The ``stats.reconciled`` audit events of ``cid`` in stats' outbox, oldest first."""
    rows = await stack.rows(
        "stats", "SELECT body FROM outbox WHERE type = 'stats.reconciled' ORDER BY id"
    )
    payloads = [json.loads(row.body)["payload"] for row in rows]
    return [p for p in payloads if p["campaign_id"] == cid]


async def settled(client: httpx.AsyncClient, cid: str, sent: int) -> dict[str, Any]:
    response = await eventually(
        lambda: client.get(f"/api/v1/stats/campaigns/{cid}"),
        lambda r: r.status_code == 200 and r.json()["sent"] == sent,
        timeout=60,
        what=f"{cid} settled",
    )
    return dict(response.json())


async def test_reconcile_finds_no_drift_at_rest_and_detects_and_fixes_injected_drift(
    stack: Stack,
) -> None:
    (app,) = start(stack, "all")
    cid = f"camp-{uuid.uuid4().hex[:8]}"
    async with (
        Publisher(stack) as pub,
        httpx.AsyncClient(headers=stack.headers(), base_url=app.url, timeout=10) as client,
        Watcher(app.url, subscribe=[cid]) as watcher,
    ):
        await pub.launched(cid, "Reconciled")
        for delta in campaign_run(cid, 1_000, queue_batch=250, receipt_batch=100):
            await pub.delivery([delta])
        before = await settled(client, cid, 900)
        path = f"/api/v1/stats/campaigns/{cid}/reconcile"

        report = (await client.post(path)).json()
        assert report["drift"] is False and report["fixed"] is False
        assert report["counters"]["sent"] == {"expected": 900, "actual": 900, "drift": 0}
        code, lines = reconcile_cli(stack)
        assert code == 0 and lines == [{"checked": 1, "drifted": 0, "fixed": 0}]

        # Inject drift behind the service's back.
        async with stack.db("stats").begin() as conn:
            await conn.execute(
                text(
                    "UPDATE campaign_stats SET sent = sent + 7, failed = failed - 2 "
                    "WHERE campaign_id = :c"
                ),
                {"c": cid},
            )
        report = (await client.post(path)).json()
        assert report["drift"] is True and report["fixed"] is False
        assert report["counters"]["sent"] == {"expected": 900, "actual": 907, "drift": 7}
        assert report["counters"]["failed"] == {"expected": 100, "actual": 98, "drift": -2}
        assert report["counters"]["queued"]["drift"] == 0
        code, lines = reconcile_cli(stack)
        assert code == 1 and lines[0]["campaign_id"] == cid and lines[-1]["drifted"] == 1
        assert await audited(stack, cid) == []  # found, not fixed: nothing changed

        # Fix through the CLI: counters corrected and the change announced.
        code, lines = reconcile_cli(stack, "--campaign", cid, "--fix")
        assert code == 0 and lines[0]["fixed"] is True
        fixed = (await client.get(f"/api/v1/stats/campaigns/{cid}")).json()
        assert (fixed["sent"], fixed["failed"]) == (900, 100)
        assert fixed["revision"] > before["revision"]
        # Audit: what the fix changed and who ran it (the CLI: cli:<OS user>).
        (by_cli,) = await audited(stack, cid)
        assert by_cli["changes"] == {
            "sent": {"before": 907, "after": 900},
            "failed": {"before": 98, "after": 100},
        }
        assert by_cli["actor"] == {"sub": f"cli:{getpass.getuser()}", "email": None}
        await eventually(
            polled(lambda: watcher.latest(cid)),
            lambda s: s is not None and s["revision"] == fixed["revision"],
            what="the fix pushed as stats.changed",
        )
        # And through HTTP, from a fresh drift.
        async with stack.db("stats").begin() as conn:
            await conn.execute(
                text("UPDATE campaign_stats SET queued = 1 WHERE campaign_id = :c"), {"c": cid}
            )
        admin = stack.headers("admin", email="ops@shop.in")
        report = (await client.post(f"{path}?fix=true", headers=admin)).json()
        assert report["fixed"] is True and report["counters"]["queued"]["drift"] == -999
        assert (await client.post(path)).json()["drift"] is False
        by_http = (await audited(stack, cid))[-1]
        assert by_http["changes"] == {"queued": {"before": 1, "after": 1000}}
        assert by_http["actor"] == {"sub": "test:ops@shop.in", "email": "ops@shop.in"}
        assert (await client.post(f"{path}?fix=true")).json()["fixed"] is False
        assert len(await audited(stack, cid)) == 2  # nothing to fix: no audit event
        assert (await client.post("/api/v1/stats/campaigns/nope/reconcile")).status_code == 404


async def test_reads_lists_overview_series_and_websocket_errors(stack: Stack) -> None:
    (app,) = start(stack, "all", BEACON_STATS_WS_PING_S="0.5")
    tag = uuid.uuid4().hex[:6]
    ids = [f"c{i}-{tag}" for i in range(5)]
    async with (
        Publisher(stack) as pub,
        httpx.AsyncClient(headers=stack.headers(), base_url=app.url, timeout=10) as client,
    ):
        for i, cid in enumerate(ids):  # updated in this order: ids[4] is the most recent
            await pub.resolved(cid, 10 * (i + 1))
            await pub.delivery([{"campaign_id": cid, "queued": i + 1, "sent": i, "failed": 1}])
            await settled(client, cid, i)

        got = await client.get("/api/v1/stats/campaigns", params={"ids": f"{ids[2]},x,{ids[0]}"})
        assert [s["campaign_id"] for s in got.json()["items"]] == [ids[2], ids[0]]
        too_many = ",".join(f"id{i}" for i in range(101))
        bad = await client.get("/api/v1/stats/campaigns", params={"ids": too_many})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.ids"
        assert (await client.get("/api/v1/stats/campaigns/nope")).status_code == 404
        assert (await client.get("/api/v1/stats/campaigns/nope/series")).status_code == 404

        seen: list[str] = []
        cursor = None
        while True:
            page = (
                await client.get(
                    "/api/v1/stats/campaigns",
                    params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                )
            ).json()
            seen += [s["campaign_id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ids[::-1]
        assert (await client.get("/api/v1/stats/campaigns?cursor=zzz")).status_code == 422

        overview = (await client.get("/api/v1/stats/overview")).json()
        assert {k: overview[k] for k in ("campaigns", "audience", "queued", "sent", "failed")} == {
            "campaigns": 5, "audience": 150, "queued": 15, "sent": 10, "failed": 5,
        }  # fmt: skip
        assert overview["failure_rate"] == pytest.approx(5 / 15, abs=1e-6)

        series = (await client.get(f"/api/v1/stats/campaigns/{ids[4]}/series")).json()
        assert [(b["sent"], b["failed"]) for b in series["items"]] == [(4, 1)]

        async with Watcher(app.url) as watcher:
            await watcher.send({"type": "subscribe", "campaign_ids": [ids[1], ids[3]]})
            await watcher.send({"type": "nonsense"})
            await watcher.send_raw("{not json")
            await eventually(
                polled(lambda: (len(watcher.errors()), set(watcher.pushes))),
                lambda s: s[0] >= 2 and s[1] == {ids[1], ids[3]},
                what="snapshots on subscribe and error replies",
            )
            assert "unknown message type" in watcher.errors()[0]["message"]
            assert "not valid JSON" in watcher.errors()[1]["message"]
            await eventually(
                polled(lambda: [m for m in watcher.other if m["type"] == "ping"]),
                lambda pings: len(pings) >= 2,
                what="pings every 0.5 s",
            )
            # Still served after the bad messages: narrowing again works.
            await watcher.send({"type": "subscribe", "campaign_ids": [ids[0]]})
            await eventually(
                polled(lambda: set(watcher.pushes)),
                lambda s: ids[0] in s,
                what="resubscribe",
            )
