"""Live stats benchmark: receipt accepted → counter change on 200 WebSocket clients.

``python -m bench.stats`` (see ``--help`` and docs/performance.md, "Stats"):

1. in a fresh namespace (``BEACON_NAMESPACE=bsts<random>``) writes ``--recipients``
   profiles straight into the segments schema (as ``bench/campaign.py`` does: the send
   pipeline is measured, not ingest) and starts segments worker, campaigns (``all``),
   delivery api and worker(s), stats worker and ``--stats-apis`` stats api processes;
2. plays the messaging vendor itself instead of the simulator: delivery's
   ``BEACON_VENDOR_URL`` points at an aiohttp server inside this process, which answers
   each message batch 202 and schedules each message's receipt ``--vendor-delay`` seconds
   later (10 % FAILED, by a hash of the message id). One poster task gathers the due
   receipts every 50 ms into callbacks of at most ``--callback-batch`` and POSTs them,
   signed (``X-Beacon-Signature``, the namespace's own ``BEACON_VENDOR_SECRET``), to
   delivery's ``POST /api/v1/receipts``, one at a time. So the benchmark knows when each
   batch of receipts was accepted (its 202) and the running total of SENT + FAILED
   accepted by then; one in flight keeps that order the order they are applied in;
3. ``--clients`` WebSocket clients (``bench/pipeline_wsclients.py``, one separate asyncio
   process, round-robin over the stats api processes) connect before the launch and
   subscribe to the campaign once it is created. For every accepted batch *k* (running
   total *C_k*, accepted at *t_k*) and every client, the delay is the time from *t_k* until
   that client first received a snapshot with ``sent + failed >= C_k``: p50/p95/p99 over
   all (batch, client) pairs. Taps on ``delivery.updated`` and ``stats.changed`` split it:
   202 → delivery applied (its event published), → stats counted (``stats.changed``
   published), → on the client (hub, coalescing, socket);
4. also: push messages per second (all clients), disconnects (a socket closed before the
   end), and the final counters of every client and of the HTTP API against the
   ``communications_log`` counts;
5. prints a table, writes ``bench/results/stats.json``, stops what it started and drops the
   namespace unless ``--keep``.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import heapq
import random
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import numpy as np
import orjson
from aio_pika.abc import AbstractIncomingMessage
from aiohttp import web
from sqlalchemy import text

from bench.auth import auth_headers, token
from bench.harness.dbwatch import DbWatch
from bench.harness.machine import (
    loadavg,
)
from bench.harness.meters import CpuMeter
from bench.harness.processes import ROOT, Processes, Profiler
from bench.harness.report import ok, pct, run_and_report, table
from bench.pipeline_common import (
    ALONE,
    add_arguments,
    begin,
    finish,
    launch_campaign,
    prepare,
    profile_lines,
    run_record,
    service_env,
    service_metrics,
    service_roles,
    start_pipeline,
)
from shared.db import make_engine
from shared.settings import ServiceSettings
from shared.signature import HEADER, sign

TARGET_P95_S = 0.5
TARGET_P99_S = 1.0
FAILURE_RATIO = 0.1
REASONS = ("mailbox full", "number not reachable", "recipient unknown")


# --------------------------------------------------------------------------- the vendor


@dataclass
class Accepted:
    """One receipt callback delivery answered 202."""

    posted: float  # wall time the POST was started
    accepted: float  # wall time the 202 arrived
    sent: int
    failed: int


@dataclass
class FakeVendor:
    """The vendor's two sides: a send endpoint (HTTP server) and the receipt poster."""

    secret: str
    delay: tuple[float, float]
    batch: int
    tick_s: float = 0.05
    seed: int = 7
    received: int = 0
    duplicates: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[tuple[float, int, str]] = field(default_factory=list)
    _heap: list[tuple[float, int, str, str, str]] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _seq: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._server: web.AppRunner | None = None
        self._poster: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(timeout=30.0)

    @property
    def pending(self) -> int:
        return len(self._heap)

    @staticmethod
    def outcome(message_id: str) -> str:
        digest = hashlib.sha256(message_id.encode()).digest()
        return "FAILED" if digest[0] / 256 < FAILURE_RATIO else "SENT"

    async def start(self, port: int) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._serve)
        self._server = web.AppRunner(app, access_log=None)
        await self._server.setup()
        await web.TCPSite(self._server, "127.0.0.1", port).start()
        self._poster = asyncio.create_task(self._post_loop())

    async def stop(self) -> None:
        if self._poster is not None:
            self._poster.cancel()
            await asyncio.gather(self._poster, return_exceptions=True)
        if self._server is not None:
            await self._server.cleanup()
        await self._http.aclose()

    # -- the send API: an aiohttp server

    async def _serve(self, request: web.Request) -> web.Response:
        status, payload = self._route(request.method, request.path, await request.read())
        return web.Response(
            body=orjson.dumps(payload), status=status, content_type="application/json"
        )

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path.startswith("/vendor/v1/messages"):
            data = orjson.loads(body)
            url = data["callback_url"]
            now = time.monotonic()
            low, high = self.delay
            fresh = 0
            for m in data["messages"]:
                mid = m["message_id"]
                self.received += 1
                if mid in self._seen:
                    self.duplicates += 1
                    continue
                self._seen.add(mid)
                fresh += 1
                self._seq += 1
                due = now + self._rng.uniform(low, high)
                heapq.heappush(self._heap, (due, self._seq, mid, self.outcome(mid), url))
            return 202, {"accepted": len(data["messages"]), "new": fresh}
        if path.startswith("/readyz") or path.startswith("/healthz"):
            return 200, {"status": "ready"}
        return 404, {"detail": "not found"}

    # -- the receipt poster: one signed callback in flight at a time

    async def _post_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            now = time.monotonic()
            due: list[tuple[float, int, str, str, str]] = []
            while self._heap and self._heap[0][0] <= now:
                due.append(heapq.heappop(self._heap))
            for start in range(0, len(due), self.batch):
                await self._callback(due[start : start + self.batch])

    async def _callback(self, items: list[tuple[float, int, str, str, str]]) -> None:
        at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        receipts = [
            {
                "message_id": mid,
                "status": status,
                "at": at,
                "reason": REASONS[hash(mid) % len(REASONS)] if status == "FAILED" else None,
            }
            for _, _, mid, status, _ in items
        ]
        body = orjson.dumps({"receipts": receipts})
        url = items[0][4]
        failed = sum(1 for r in receipts if r["status"] == "FAILED")
        while True:
            headers = {
                "content-type": "application/json",
                HEADER: sign(self.secret, int(time.time()), body),
            }
            posted = time.time()
            try:
                response = await self._http.post(url, content=body, headers=headers)
            except httpx.HTTPError as error:
                self.refused.append((posted, 0, repr(error)[:200]))
                await asyncio.sleep(0.2)
                continue
            if response.status_code == 202:
                self.accepted.append(Accepted(posted, time.time(), len(receipts) - failed, failed))
                return
            self.refused.append((posted, response.status_code, response.text[:200]))
            await asyncio.sleep(0.2)


# --------------------------------------------------------------------------- taps


@dataclass
class Tap:
    """When each cumulative sent + failed first appeared in an event stream."""

    series: list[tuple[float, int]] = field(default_factory=list)
    total: int = 0


async def start_taps(
    amqp_url: str, settings: ServiceSettings, campaign: dict[str, str]
) -> tuple[aio_pika.abc.AbstractRobustConnection, Tap, Tap]:
    """``delivery.updated`` (deltas: summed) and ``stats.changed`` (snapshots: maximum)."""
    delivery, stats = Tap(), Tap()
    connection = await aio_pika.connect_robust(amqp_url, timeout=10)
    channel = await connection.channel()
    for service, key, tap in (
        ("delivery", "delivery.updated", delivery),
        ("stats", "stats.changed", stats),
    ):
        exchange = await channel.declare_exchange(
            settings.amqp_name(f"beacon.{service}"), aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await queue.bind(exchange, key)

        def handler(t: Tap, k: str) -> Any:
            async def on_message(message: AbstractIncomingMessage) -> None:
                now = time.time()
                payload = orjson.loads(message.body)["payload"]
                for c in payload.get("campaigns", []):
                    if c.get("campaign_id") != campaign.get("id"):
                        continue
                    if k == "delivery.updated":
                        t.total += int(c.get("sent", 0)) + int(c.get("failed", 0))
                    else:
                        t.total = max(t.total, int(c.get("sent", 0)) + int(c.get("failed", 0)))
                    t.series.append((now, t.total))

            return on_message

        await queue.consume(handler(tap, key), no_ack=True)
    return connection, delivery, stats


def first_reach(series: Sequence[tuple[float, int]], targets: Sequence[int]) -> list[float | None]:
    """For each (non-decreasing) target, the first time the series reached it."""
    out: list[float | None] = []
    j = 0
    for want in targets:
        while j < len(series) and series[j][1] < want:
            j += 1
        out.append(series[j][0] if j < len(series) else None)
    return out


# --------------------------------------------------------------------------- the run


async def run(args: argparse.Namespace) -> dict[str, Any]:
    start = await begin(args, "stats", "bsts")
    n = args.recipients
    secret = secrets.token_hex(16)
    env = service_env(
        args, start.namespace, start.vendor_port, start.delivery_port, BEACON_VENDOR_SECRET=secret
    )
    processes = Processes(start.log_dir, env, args.source)
    seg_engine = make_engine(args.mysql_url, start.settings.schema_name("segments"), pool_size=2)
    del_engine = make_engine(args.mysql_url, start.settings.schema_name("delivery"), pool_size=2)
    vendor = FakeVendor(secret, (args.vendor_delay[0], args.vendor_delay[1]), args.callback_batch)
    client_out = start.log_dir / "clients.json"
    clients_proc: asyncio.subprocess.Process | None = None
    tap_conn = None
    result = run_record(
        "stats",
        args,
        start.namespace,
        {
            "recipients": n,
            "clients": args.clients,
            "stats_apis": args.stats_apis,
            "delivery_workers": args.delivery_workers,
            "vendor_delay_s": list(args.vendor_delay),
            "callback_batch": args.callback_batch,
            "env_overrides": args.env,
        },
        start.busy_before,
        "profiles written straight into the segments schema; the vendor is this"
        " benchmark (signed receipts posted one callback at a time)",
    )
    try:
        await prepare(env, args, seg_engine, result)
        await vendor.start(start.vendor_port)
        print("starting services ...", flush=True)
        campaigns = start_pipeline(processes, args, start.delivery_port)
        processes.start("stats-worker", "stats", "worker")
        apis = [
            processes.start(f"stats-api-{k + 1}", "stats", "api") for k in range(args.stats_apis)
        ]
        await processes.wait_ready()
        urls = ",".join(
            f"ws://127.0.0.1:{a.port}/api/v1/stats/ws?access_token={token()}" for a in apis
        )
        clients_proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.pipeline_wsclients", "--urls", urls,
            "--clients", str(args.clients), "--out", str(client_out),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert clients_proc.stdin is not None and clients_proc.stdout is not None
        ready = await asyncio.wait_for(clients_proc.stdout.readline(), timeout=180)
        print(f"  websocket clients: {ready.decode().strip()}", flush=True)
        campaign: dict[str, str] = {}
        tap_conn, tap_delivery, tap_stats = await start_taps(
            args.amqp_url, start.settings, campaign
        )
        roles = service_roles(processes)
        roles["ws-clients"] = [clients_proc.pid]
        cpu = CpuMeter(roles, alone=ALONE)
        dbwatch = DbWatch(del_engine, start.namespace)
        await dbwatch.setup()
        watching = asyncio.Event()
        dbwatch_task = asyncio.create_task(dbwatch.run(watching))
        profiler = Profiler(args.py_spy, start.log_dir)
        profiler.start(processes.by_role())
        await asyncio.sleep(1.0)
        before = cpu.snapshot()
        load_t0 = loadavg()
        print(f"launching a campaign to {n:,} recipients ...", flush=True)
        async with httpx.AsyncClient(timeout=30.0, headers=auth_headers()) as http:
            t0 = time.time()
            campaign_id = await launch_campaign(http, campaigns, f"bench stats {start.run_id}", n)
            campaign["id"] = campaign_id
            clients_proc.stdin.write(f"subscribe {campaign_id}\n".encode())
            await clients_proc.stdin.drain()
            # The clients answer "subscribed"; read it, or the "wait" below reads it instead.
            ack = await asyncio.wait_for(clients_proc.stdout.readline(), timeout=60)
            if ack.strip() != b"subscribed":
                raise RuntimeError(f"websocket clients answered {ack!r} to subscribe")
            deadline = t0 + args.timeout
            last_print = 0.0
            accepted_all_at: float | None = None
            while time.time() < deadline:
                crashed = processes.check_alive()
                if crashed:
                    raise RuntimeError(
                        f"service process(es) exited: {crashed}; see {start.log_dir}"
                    )
                got = sum(a.sent + a.failed for a in vendor.accepted)
                if got >= n and accepted_all_at is None:
                    accepted_all_at = time.time()
                if accepted_all_at is not None and (
                    tap_stats.total >= n and time.time() - accepted_all_at > args.settle
                ):
                    break
                if time.time() - last_print > 5:
                    print(
                        f"  {time.time() - t0:6.1f} s: vendor got {vendor.received:,},"
                        f" receipts accepted {got:,}, delivery applied {tap_delivery.total:,},"
                        f" stats {tap_stats.total:,}",
                        flush=True,
                    )
                    last_print = time.time()
                await asyncio.sleep(0.2)
            end = time.time()
            after = cpu.snapshot()
            load_t1 = loadavg()
            result["profile"] = profiler.stop()
            watching.set()
            await dbwatch_task
            # Judge only once every client got its last push (or 30 s passed): a slow last
            # push then shows as a late or wrong final count, not as a bench artifact.
            clients_proc.stdin.write(f"wait {n} 30\n".encode())
            await clients_proc.stdin.drain()
            reached = b""
            while not reached.startswith(b"reached"):  # skip the answers to earlier commands
                reached = await asyncio.wait_for(clients_proc.stdout.readline(), timeout=60)
            result["clients_reached_final"] = int(reached.split()[-1])
            clients_proc.stdin.write(b"stop\n")
            await clients_proc.stdin.drain()
            await asyncio.wait_for(clients_proc.wait(), timeout=60)
            result["service_metrics"] = await service_metrics(processes.procs)
            api_counters = (
                await http.get(f"{apis[0].url}/api/v1/stats/campaigns/{campaign_id}")
            ).json()
        async with del_engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT status, COUNT(*) FROM communications_log GROUP BY status")
                )
            ).all()
        log_counts = {str(s): int(c) for s, c in rows}
        report = orjson.loads(client_out.read_bytes())
        result.update(
            analyse(
                report,
                vendor,
                tap_delivery,
                tap_stats,
                campaign_id,
                t0,
                end,
                log_counts,
                api_counters,
            )
        )
        result["cpu"] = CpuMeter.delta(before, after)
        result["database"] = dbwatch.report()
        result["loadavg_during"] = [load_t0, load_t1]
        result["loadavg_at_end"] = loadavg()
        result["rss_mib"] = {p.role: p.rss_mib() for p in processes.procs}
        result["vendor"] = {
            "received": vendor.received,
            "duplicates": vendor.duplicates,
            "callbacks_accepted": len(vendor.accepted),
            "refused": vendor.refused[:20],
            "left_unposted": vendor.pending,
        }
        return result
    finally:
        if clients_proc is not None and clients_proc.returncode is None:
            clients_proc.kill()
        if tap_conn is not None:
            await tap_conn.close()
        await vendor.stop()
        await finish(args, processes, (seg_engine, del_engine), start.namespace, start.log_dir)


def analyse(
    report: dict[str, Any],
    vendor: FakeVendor,
    tap_delivery: Tap,
    tap_stats: Tap,
    campaign_id: str,
    t0: float,
    end: float,
    log_counts: dict[str, int],
    api_counters: dict[str, Any],
) -> dict[str, Any]:
    batches = sorted(vendor.accepted, key=lambda a: a.accepted)
    totals: list[int] = []
    running = 0
    for a in batches:
        running += a.sent + a.failed
        totals.append(running)
    accepted_at = [a.accepted for a in batches]
    d_applied = first_reach(tap_delivery.series, totals)
    d_stats = first_reach(tap_stats.series, totals)
    delays: list[float] = []
    hub_delays: list[float] = []  # stats.changed published -> on the client
    missing = 0
    early = 0
    clients = report["clients"]
    finals: list[tuple[int, int]] = []
    pushes = 0
    first_push = last_push = None
    disconnected = []
    for i, c in enumerate(clients):
        events = [(t, v) for t, cid, v, _, _, _ in c["events"] if cid == campaign_id]
        # a snapshot never moves back (revision gate), but be safe: running maximum
        series: list[tuple[float, int]] = []
        best = -1
        for t, v in events:
            if v > best:
                best = v
                series.append((t, v))
        reached = first_reach(series, totals)
        for at, got, counted in zip(accepted_at, reached, d_stats, strict=True):
            if got is None:
                missing += 1
                continue
            if got < at:
                early += 1
            delays.append(max(got - at, 0.0))
            if counted is not None:
                hub_delays.append(max(got - counted, 0.0))
        mine = [e for e in c["events"] if e[1] == campaign_id]
        pushes += len(mine)
        if mine:
            first_push = mine[0][0] if first_push is None else min(first_push, mine[0][0])
            last_push = mine[-1][0] if last_push is None else max(last_push, mine[-1][0])
            finals.append((mine[-1][4], mine[-1][5]))
        else:
            finals.append((-1, -1))
        if c.get("error") or (c.get("closed_at") and c["closed_at"] < end):
            disconnected.append({"client": i, "close": c.get("close"), "error": c.get("error")})
    sent, failed = log_counts.get("SENT", 0), log_counts.get("FAILED", 0)
    wrong_final = sum(1 for f in finals if f != (sent, failed))
    split_applied = [g - a for a, g in zip(accepted_at, d_applied, strict=True) if g is not None]
    split_stats = [
        s - g for g, s in zip(d_applied, d_stats, strict=True) if g is not None and s is not None
    ]
    delays_arr = np.asarray(delays) if delays else np.zeros(1)
    window = (last_push - first_push) if first_push and last_push else 0.0
    result: dict[str, Any] = {
        "campaign_id": campaign_id,
        "receipt_batches": len(batches),
        "receipts_accepted": totals[-1] if totals else 0,
        "receipts_per_batch_mean": round(float(np.mean([a.sent + a.failed for a in batches])), 1)
        if batches
        else 0,
        "receipts_first_last_accepted_s": [
            round(batches[0].accepted - t0, 2) if batches else None,
            round(batches[-1].accepted - t0, 2) if batches else None,
        ],
        "receipt_post_ms": pct([(a.accepted - a.posted) * 1e3 for a in batches], 50, 95, 99),
        "pairs": len(delays),
        "pairs_missing": missing,
        "pairs_seen_before_202": early,
        "delay_s": {
            **pct(delays, 50, 95, 99),
            "max": round(float(delays_arr.max()), 3),
            "mean": round(float(delays_arr.mean()), 3),
        },
        "split_s": {
            "accepted_to_delivery_updated": pct(split_applied, 50, 95, 99),
            "delivery_updated_to_stats_changed": pct(split_stats, 50, 95, 99),
            "stats_changed_to_client": pct(hub_delays, 50, 95, 99),
            "note": "first time the tapped event stream reached each batch's running total;"
            " the rest of the delay (to the client) is hub, coalescing and socket",
        },
        "pushes": pushes,
        "push_window_s": round(window, 2),
        "pushes_per_s": round(pushes / window, 1) if window > 0 else None,
        "pushes_per_client_per_s": round(pushes / window / max(len(clients), 1), 2)
        if window > 0
        else None,
        "clients": len(clients),
        "clients_connected": sum(1 for c in clients if c.get("connected_at")),
        "disconnects": len(disconnected),
        "disconnected": disconnected[:20],
        "client_loop_lag_ms": report.get("loop_lag_ms"),
        "final": {
            "log_sent": sent,
            "log_failed": failed,
            "log_pending": log_counts.get("PENDING", 0),
            "api_sent": api_counters.get("sent"),
            "api_failed": api_counters.get("failed"),
            "clients_with_other_final": wrong_final,
            "client_final_examples": sorted(set(finals))[:5],
        },
    }
    result["targets_met"] = {
        "delay_p95_s": (result["delay_s"]["p95"] or 9e9) <= TARGET_P95_S,
        "delay_p99_s": (result["delay_s"]["p99"] or 9e9) <= TARGET_P99_S,
        "no_disconnects": not disconnected and missing == 0,
        "final_counters_equal_log": wrong_final == 0
        and api_counters.get("sent") == sent
        and api_counters.get("failed") == failed,
    }
    return result


def render(r: dict[str, Any]) -> str:
    c = r["config"]
    d = r["delay_s"]
    met = r["targets_met"]
    f = r["final"]
    sp = r["split_s"]
    rows = [
        (
            f"receipt 202 -> client p50 / p95 / p99 (s, {r['pairs']:,} pairs)",
            f"{d['p50']} / {d['p95']} / {d['p99']}",
            f"p95 <= {TARGET_P95_S} {ok(met['delay_p95_s'])}, p99 <= {TARGET_P99_S}"
            f" {ok(met['delay_p99_s'])}; max {d['max']}",
        ),
        (
            "  202 -> delivery.updated p50 / p95 / p99 (s)",
            " / ".join(str(sp["accepted_to_delivery_updated"][k]) for k in ("p50", "p95", "p99")),
            "delivery worker: buffer, apply, outbox relay",
        ),
        (
            "  delivery.updated -> stats.changed p50 / p95 / p99 (s)",
            " / ".join(
                str(sp["delivery_updated_to_stats_changed"][k]) for k in ("p50", "p95", "p99")
            ),
            "stats worker: counters, outbox relay",
        ),
        (
            "  stats.changed -> client p50 / p95 / p99 (s)",
            " / ".join(str(sp["stats_changed_to_client"][k]) for k in ("p50", "p95", "p99")),
            "stats api: hub, coalescing (0.25 s), WebSocket; all (batch, client) pairs",
        ),
        (
            "receipt batches accepted / receipts",
            f"{r['receipt_batches']:,} / {r['receipts_accepted']:,}",
            f"mean {r['receipts_per_batch_mean']} per callback, POST p50"
            f" {r['receipt_post_ms']['p50']} ms",
        ),
        (
            "push messages/s (all clients) / per client",
            f"{r['pushes_per_s']} / {r['pushes_per_client_per_s']}",
            f"{r['pushes']:,} pushes over {r['push_window_s']} s",
        ),
        (
            "clients connected / disconnected",
            f"{r['clients_connected']} / {r['disconnects']}",
            f"none disconnected {ok(met['no_disconnects'])}; pairs never reached:"
            f" {r['pairs_missing']}",
        ),
        (
            "final SENT / FAILED: log, API, clients",
            f"{f['log_sent']:,} / {f['log_failed']:,}",
            f"API {f['api_sent']}/{f['api_failed']}, clients differing"
            f" {f['clients_with_other_final']} {ok(met['final_counters_equal_log'])}",
        ),
        (
            "client process loop lag p50 / p99 / max (ms)",
            " / ".join(str(r["client_loop_lag_ms"][k]) for k in ("p50", "p99", "max")),
            "error the clients add to the delays",
        ),
        (
            "commit probe p50 / p90 / p99 (ms)",
            " / ".join(str(r["database"]["commit_probe_ms"][k]) for k in ("p50", "p90", "p99")),
            "1-row INSERT + COMMIT every 0.5 s in the delivery schema",
        ),
        *(
            (
                f"{role}: receipt flushes / mean ms / receipts each",
                f"{m['receipt_flushes']} / {m['receipt_flush_mean_ms']}"
                f" / {m['receipts_per_flush']}",
                "one transaction per flush (beacon_consumer_batch_seconds)",
            )
            for role, m in r.get("service_metrics", {}).items()
            if "receipt_flushes" in m
        ),
        (
            "cores busy over the run",
            f"{r['cpu']['machine_cores_busy']}",
            ", ".join(f"{k} {v}" for k, v in r["cpu"]["cores_busy"].items() if v >= 0.02),
        ),
        (
            "load average 1 min at start / end",
            " / ".join(str(x[0]) for x in r["loadavg_during"]),
            f"start {r['loadavg_at_start']}, end {r['loadavg_at_end']}",
        ),
    ]
    lines = [
        f"stats benchmark, {datetime.fromisoformat(r['timestamp']):%Y-%m-%d %H:%M} UTC:"
        f" {c['recipients']:,} recipients, {c['clients']} WebSocket clients on"
        f" {c['stats_apis']} stats api process(es), receipt delay"
        f" {c['vendor_delay_s'][0]}-{c['vendor_delay_s'][1]} s",
        "",
        *table(rows),
    ]
    return "\n".join(lines + profile_lines(r))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stats", description=(__doc__ or "").split("\n")[0]
    )
    add_arguments(parser, "stats.json")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--stats-apis", type=int, default=2)
    parser.add_argument("--callback-batch", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=300.0, help="cap on the run (s)")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="s to wait after the last receipt"
    )
    args = parser.parse_args(argv)
    return run_and_report(lambda: run(args), render, args.out)


if __name__ == "__main__":
    sys.exit(main())
