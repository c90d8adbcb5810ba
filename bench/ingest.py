"""Ingest benchmark: batch throughput end to end, 202→stored latency, single-order POSTs.

``python -m bench.ingest`` (see ``--help`` and docs/performance.md, "Ingest"):

1. starts its own ingest ``api`` and ``--workers`` ``worker`` processes in a fresh namespace
   (``BEACON_NAMESPACE=bench<random>``: own schema, exchange and queues), or targets a
   running service with ``--url``;
2. posts ``--orders`` orders (default 200,000, seeded by :mod:`bench.datagen`, ids unique to
   the run) in batches of ``--batch`` with ``--concurrency`` requests in flight, request
   bodies encoded before the clock starts;
3. watches the inbox every 20 ms: an event id appears there in the same transaction that
   stores its orders, so "seen in the inbox" is "committed". From that it reports orders/s
   accepted (last 202) and orders/s stored end to end (last commit seen), and p50/p99 of
   202→stored over the batches; it checks the exact count of the run's orders afterwards;
4. posts ``--single`` single-order requests (default 20,000, at most ``--single-seconds``)
   with ``--single-concurrency`` in flight: requests/s of one api process. By default the
   workers are paused (SIGSTOP) meanwhile, so this is the api's own rate and not the share
   of two cores the workers leave it; then it times how long the workers take to store the
   backlog (``--single-mode live`` keeps them consuming);
5. measures the raw ceiling: the same rows inserted straight into MariaDB, in a scratch
   table made ``LIKE`` the orders table, with 1,000-row multi-row INSERTs (one transaction
   each) on one and on two connections; two connections is "the ceiling";
6. samples RSS of the api and worker processes (with children) every 100 ms and CPU
   seconds of every process involved per phase (api, workers, MariaDB, RabbitMQ, this
   client), which says where the time goes on a shared 2-core machine;
7. prints a table, writes ``bench/results/ingest.json``, stops what it started, drops the
   bench schema and deletes the namespace's queues and exchanges.

The client is aiohttp (:mod:`bench.harness.http`: one keep-alive connection per request in
flight, bodies encoded before the clock starts); ``--client httpx`` is there to compare.
It replaced a hand-written HTTP/1.1 client (issue 11). Measured side by side on this
2-core machine (``--orders 20000 --single 6000 --single-seconds 8 --no-ceiling``, four runs
alternating hand-written, aiohttp, hand-written, aiohttp): single-order POSTs at 64 in
flight 1,365 / 1,366 / 1,337 / 1,339 req/s; the api process is the bottleneck (0.94-0.99
of a core in every run), not the client. aiohttp costs the client 0.24-0.26 cores against
0.09-0.11, which the second core absorbs. (httpx had been measured at ~9 ms of client CPU
per request at 64 in flight.) Batches stored end to end were noisier (24,760 / 31,630 /
30,986 / 20,585 orders/s) and the client is 0.1 of a core there either way.
The machine may be shared: CPU of other processes and queries that
other schemas run on MariaDB are reported (``other load``), and ``--wait-quiet`` waits for an
idle machine. ``--source DIR`` runs the services from another checkout, to measure a change.

Only 127.0.0.1 is ever contacted (the defaults; ``--url`` etc. are the operator's choice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.auth import auth_headers
from bench.datagen import generate_customers, generate_orders
from bench.harness.dbwatch import DbActivity, scalar, wait_count
from bench.harness.http import post_aiohttp, run_lanes
from bench.harness.machine import machine_info, server_info, source_info, wait_quiet
from bench.harness.meters import CpuMeter, RssSampler, server_roles
from bench.harness.processes import (
    Processes,
    Profiler,
    add_run_arguments,
    top_frames,
)
from bench.harness.report import ok, pct, table
from shared.auth.signing import DEFAULT_DEV_KEY_FILE
from shared.db import drop_schema, make_engine
from shared.settings import ServiceSettings

SERVICE = "ingest"
CONSUMER = "ingest.persistence"  # the inbox key (and contract queue name) of the worker
POLL_S = 0.02
TARGET_E2E_ORDERS_S = 20_000
TARGET_CEILING_FRACTION = 0.40
TARGET_SINGLE_RPS = 1_500
TARGET_PROJECTION_ORDERS_S = 50_000
INGEST_SERVER_VARIABLES = (
    "innodb_flush_log_at_trx_commit",
    "innodb_buffer_pool_size",
    "log_bin",
    "sync_binlog",
)


# --------------------------------------------------------------------------- processes


def find_ingest_pids() -> dict[str, list[int]]:
    """For ``--url``: python processes running ``services.ingest api|worker|all``."""
    found: dict[str, list[int]] = {"api": [], "worker": []}
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        cmd = p.info.get("cmdline") or []
        if "services.ingest" not in cmd or not (p.info.get("name") or "").startswith("python"):
            continue
        mode = cmd[cmd.index("services.ingest") + 1] if cmd[-1] != "services.ingest" else ""
        if mode in ("api", "all"):
            found["api"].append(p.info["pid"])
        elif mode == "worker":
            found["worker"].append(p.info["pid"])
    return found


# --------------------------------------------------------------------------- the database


class InboxWatcher:
    """Polls the inbox: the wall time at which each event id was first seen committed."""

    def __init__(self, engine: AsyncEngine, since: datetime) -> None:
        self.engine = engine
        self.since = since.replace(tzinfo=None)
        self.seen: dict[str, float] = {}
        self.polls = 0
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        # applied_at is stamped before the commit, so look back generously from the newest seen.
        horizon = self.since
        query = text(
            "SELECT event_id, applied_at FROM inbox WHERE consumer = :c AND applied_at >= :h"
        )
        async with self.engine.connect() as conn:
            await conn.execute(text("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"))
            while True:
                rows = (await conn.execute(query, {"c": CONSUMER, "h": horizon})).all()
                await conn.rollback()
                now = time.time()
                self.polls += 1
                newest = horizon
                for event_id, applied_at in rows:
                    if event_id not in self.seen:
                        self.seen[event_id] = now
                        self._changed.set()
                    newest = max(newest, applied_at)
                horizon = max(horizon, newest - timedelta(seconds=30))
                await asyncio.sleep(POLL_S)

    async def wait_for(self, event_ids: Iterable[str], timeout: float) -> None:
        wanted = set(event_ids)
        deadline = time.monotonic() + timeout
        while not wanted <= self.seen.keys():
            if self._task is not None and self._task.done():
                self._task.result()  # raise what stopped the watcher
            left = deadline - time.monotonic()
            if left <= 0:
                missing = len(wanted - self.seen.keys())
                raise TimeoutError(
                    f"{missing} of {len(wanted)} batches not stored after {timeout}s"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 1.0))
            except TimeoutError:
                pass

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _sql_literal(order: dict[str, Any]) -> str:
    ordered = order["ordered_at"].replace("T", " ").replace("Z", "")
    return f"('{order['order_id']}','{order['customer_id']}',{order['amount']},'{ordered}',NOW(6))"


async def raw_ceiling(
    mysql_url: str,
    source_schema: str,
    orders: Sequence[dict[str, Any]],
    batch: int,
    rounds: int = 2,
    meter: CpuMeter | None = None,
) -> dict[str, Any]:
    """The same rows straight into MariaDB: multi-row INSERTs, one transaction each.

    Statements are built before the clock starts, so this measures the database (with the
    same table definition and durability settings) and not the Python client. One and two
    connections alternate for ``rounds`` rounds and the best time of each counts.
    """
    import asyncmy

    url = make_url(mysql_url)
    scratch = f"{source_schema}_scratch"[:64]
    statements = [
        ",".join(_sql_literal(o) for o in orders[i : i + batch])
        for i in range(0, len(orders), batch)
    ]
    columns = "(order_id, customer_id, amount, ordered_at, recorded_at)"

    async def connect() -> Any:
        return await asyncmy.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=scratch,
            autocommit=True,
            charset="utf8mb4",
            max_allowed_packet=64 * 2**20,
        )

    async def insert_all(table: str, connections: int) -> float:
        conns = [await connect() for _ in range(connections)]
        try:

            async def one(k: int) -> None:
                async with conns[k].cursor() as cur:
                    for values in statements[k::connections]:
                        await cur.execute(f"INSERT IGNORE INTO {table} {columns} VALUES {values}")

            started = time.perf_counter()
            await asyncio.gather(*(one(k) for k in range(connections)))
            return time.perf_counter() - started
        finally:
            for conn in conns:
                conn.close()

    admin = make_engine(mysql_url, None, pool_size=1)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS `{scratch}`"))
            await conn.execute(text(f"CREATE DATABASE `{scratch}`"))
            for table in ("orders_1conn", "orders_2conn"):
                await conn.execute(
                    text(f"CREATE TABLE `{scratch}`.{table} LIKE `{source_schema}`.orders")
                )
        times: dict[int, list[float]] = {1: [], 2: []}
        mariadb_cpu: dict[int, list[float]] = {1: [], 2: []}
        other_cores: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(rounds):  # alternate, best of each: the machine is shared
            for n in (1, 2):
                async with admin.begin() as conn:
                    await conn.execute(text(f"TRUNCATE TABLE `{scratch}`.orders_{n}conn"))
                before = meter.snapshot() if meter else {}
                times[n].append(await insert_all(f"orders_{n}conn", n))
                if meter:
                    after = meter.snapshot()
                    mariadb_cpu[n].append(after.get("mariadb", 0.0) - before.get("mariadb", 0.0))
                    other_cores[n].append(
                        CpuMeter.delta(before, after, times[n][-1])["cores_busy"].get("other", 0.0)
                    )
        async with admin.connect() as conn:
            stored = [
                (await conn.execute(text(f"SELECT COUNT(*) FROM `{scratch}`.{t}"))).scalar()
                for t in ("orders_1conn", "orders_2conn")
            ]
        if stored != [len(orders), len(orders)]:
            raise RuntimeError(f"raw ceiling stored {stored}, expected {len(orders)} each")
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS `{scratch}`"))
        await admin.dispose()
    one_s, two_s = min(times[1]), min(times[2])
    return {
        "rows": len(orders),
        "statement_rows": batch,
        "rounds": rounds,
        "one_connection_s": round(one_s, 3),
        "one_connection_rows_s": round(len(orders) / one_s),
        "two_connections_s": round(two_s, 3),
        "two_connections_rows_s": round(len(orders) / two_s),
        "all_runs_s": {f"{n}_connections": [round(t, 3) for t in v] for n, v in times.items()},
        "mariadb_cpu_ms_per_1000_rows": {
            f"{n}_connections": [round(c / len(orders) * 1e6, 1) for c in v]
            for n, v in mariadb_cpu.items()
        },
        "other_cores_busy": {f"{n}_connections": v for n, v in other_cores.items()},
    }


# --------------------------------------------------------------------------- HTTP load


async def post_all(
    url: str,
    bodies: Sequence[bytes],
    concurrency: int,
    *,
    timeout: float = 120.0,
    client: str = "aiohttp",
    deadline: float | None = None,
) -> tuple[list[float], list[float], list[str]]:
    """POST every body to /api/v1/orders, ``concurrency`` at a time, over keep-alive.

    Returns per body: wall time sent, wall time of the 202, event id. Anything but 202 fails.
    ``client`` is ``aiohttp`` (:mod:`bench.harness.http`) or ``httpx``, to compare. After
    the wall time ``deadline`` no new request starts (their times stay 0.0).
    """
    event_ids = [""] * len(bodies)
    path = "/api/v1/orders"

    def check(i: int, status: int, content: bytes) -> None:
        if status != 202:
            raise RuntimeError(f"request {i} answered {status}: {content[:300]!r}")
        event_ids[i] = orjson.loads(content)["event_id"]

    headers = {"content-type": "application/json", **auth_headers()}
    if client == "aiohttp":
        sent, acked = await post_aiohttp(
            url + path, bodies, concurrency, headers, check, timeout=timeout, deadline=deadline
        )
        return sent, acked, event_ids
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as http:

        async def httpx_send(i: int) -> tuple[int, bytes]:
            response = await http.post(path, content=bodies[i], headers=headers)
            return response.status_code, response.content

        sent, acked = await run_lanes(len(bodies), concurrency, httpx_send, check, deadline)
    return sent, acked, event_ids


@dataclass
class Config:
    orders: int
    batch: int
    concurrency: int
    single: int
    single_concurrency: int
    workers: int
    url: str | None
    schema: str
    seed: int
    warmup_batches: int
    client: str
    single_seconds: float
    single_mode: str


async def run_batches(
    cfg: Config,
    url: str,
    engine: AsyncEngine,
    orders: Sequence[dict[str, Any]],
    prefix: str,
    meter: CpuMeter,
) -> dict[str, Any]:
    bodies = [
        orjson.dumps({"items": orders[i : i + cfg.batch]}) for i in range(0, len(orders), cfg.batch)
    ]
    watcher = InboxWatcher(engine, datetime.now(UTC) - timedelta(seconds=2))
    watcher.start()
    try:
        cpu_before = meter.snapshot()
        started = time.time()
        sent, acked, event_ids = await post_all(url, bodies, cfg.concurrency, client=cfg.client)
        all_acked = max(acked)
        cpu_accept = meter.snapshot()
        await watcher.wait_for(event_ids, timeout=max(600.0, len(orders) / 500))
        cpu_after = meter.snapshot()
    finally:
        await watcher.stop()
    stored_at = [watcher.seen[e] for e in event_ids]
    all_stored = max(stored_at)
    latency_ms = [(s - a) * 1e3 for s, a in zip(stored_at, acked, strict=True)]
    request_ms = [(a - s) * 1e3 for s, a in zip(sent, acked, strict=True)]
    count = int(
        await scalar(engine, "SELECT COUNT(*) FROM orders WHERE order_id LIKE :p", p=f"{prefix}%")
    )
    if count != len(orders):
        raise RuntimeError(f"stored {count} orders of {len(orders)}")
    # recorded_at: when the worker began inserting the batch (one value per message).
    since_202_ms: list[float] = []
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT FLOOR((CAST(SUBSTRING(order_id, :start) AS UNSIGNED) - 1) / :batch)"
                    " AS b, MIN(recorded_at) FROM orders WHERE order_id LIKE :p GROUP BY b"
                ),
                {"start": len(prefix) + 1, "batch": cfg.batch, "p": f"{prefix}%"},
            )
        ).all()
    for b, recorded in rows:
        since_202_ms.append((recorded.replace(tzinfo=UTC).timestamp() - acked[int(b)]) * 1e3)
    return {
        "orders": len(orders),
        "requests": len(bodies),
        "accept_s": round(all_acked - started, 3),
        "end_to_end_s": round(all_stored - started, 3),
        "accepted_orders_s": round(len(orders) / (all_acked - started)),
        "stored_orders_s": round(len(orders) / (all_stored - started)),
        "latency_202_to_stored_ms": {
            **pct(latency_ms, 50, 99, digits=1),
            "max": pct(latency_ms, 100, digits=1)["p100"],
            "poll_interval_ms": POLL_S * 1e3,
        },
        "latency_202_to_worker_insert_ms": {
            **pct(since_202_ms, 50, 99, digits=1),
        },
        "request_ms": pct(request_ms, 50, 99, digits=1),
        "cpu_accept_phase": CpuMeter.delta(cpu_before, cpu_accept, all_acked - started),
        "cpu_whole_run": CpuMeter.delta(cpu_before, cpu_after, all_stored - started),
        "inbox_polls": watcher.polls,
    }


async def run_singles(
    cfg: Config,
    url: str,
    engine: AsyncEngine,
    orders: Sequence[dict[str, Any]],
    prefix: str,
    meter: CpuMeter,
    pause: Sequence[int] = (),
) -> dict[str, Any]:
    """Single-order POSTs for at most ``cfg.single`` requests or ``cfg.single_seconds``.

    With ``pause`` (worker pids), the workers are stopped (SIGSTOP) while the API is
    measured, so the requests/s are those of the api process with RabbitMQ and not a share
    of the CPU the workers take; they are resumed (SIGCONT) to measure how long they take
    to store the backlog.
    """
    bodies = [orjson.dumps(o) for o in orders]
    already = int(
        await scalar(engine, "SELECT COUNT(*) FROM orders WHERE order_id LIKE :p", p=f"{prefix}%")
    )
    for pid in pause:
        os.kill(pid, signal.SIGSTOP)
    try:
        cpu_before = meter.snapshot()
        started = time.time()
        sent, acked, _ = await post_all(
            url,
            bodies,
            cfg.single_concurrency,
            timeout=30.0,
            client=cfg.client,
            deadline=started + cfg.single_seconds,
        )
        finished = max(acked)
        cpu_posted = meter.snapshot()
    finally:
        for pid in pause:
            os.kill(pid, signal.SIGCONT)
    done = [(s, a) for s, a in zip(sent, acked, strict=True) if a > 0.0]
    stored = await wait_count(
        engine,
        "SELECT COUNT(*) FROM orders WHERE order_id LIKE :p",
        already + len(done),
        timeout=max(600.0, len(done) / 20),
        p=f"{prefix}%",
    )
    cpu_stored = meter.snapshot()
    request_ms = [(a - s) * 1e3 for s, a in done]
    return {
        "requests": len(done),
        "concurrency": cfg.single_concurrency,
        "workers_paused": bool(pause),
        "post_s": round(finished - started, 3),
        "requests_s": round(len(done) / (finished - started)),
        "request_ms": pct(request_ms, 50, 99, digits=1),
        "all_stored_after_s": round(stored - started, 3),
        "drain_s": round(stored - finished, 3),
        "stored_orders_s": round(len(done) / (stored - started)),
        "drain_orders_s": round(len(done) / max(stored - finished, 1e-3)) if pause else None,
        "cpu_post_phase": CpuMeter.delta(cpu_before, cpu_posted, finished - started),
        "cpu_drain_phase": CpuMeter.delta(cpu_posted, cpu_stored, stored - finished),
    }


async def run_projection(
    services: Processes,
    args: argparse.Namespace,
    settings: ServiceSettings,
    customers: Sequence[dict[str, Any]],
    run_id: str,
    py_spy: str | None,
) -> dict[str, Any]:
    """The profiles projection alone (``--projection N``): segments worker(s) drain a backlog.

    Starts ``--projection-workers`` segments workers in the bench namespace (after the
    ingest phases, so the ``order.recorded`` events those published reach no projection
    queue), stops them (SIGSTOP), publishes N orders as ``order.recorded`` events of
    ``--batch`` orders straight to the ingest exchange (as ingest's worker would), resumes
    them and times until ``SUM(visits)`` of the profiles reaches N (polled every 20 ms).
    The orders' customers are registered first (``customer.upserted``, not timed), so each
    batch also re-reads the profiles it changed and announces them (``profile.changed``).
    """
    import aio_pika

    from shared.envelope import new_event

    for _ in range(args.projection_workers):  # one at a time: each runs the migration
        services.start("projection", "segments", "worker")
        await services.wait_ready()
    pids = services.pids("projection")
    orders = generate_orders(customers, args.projection, args.seed + 3, id_prefix=f"P{run_id}-")
    events = [
        new_event("order.recorded", {"orders": orders[i : i + args.batch]}, "bench")
        for i in range(0, len(orders), args.batch)
    ]
    engine = make_engine(args.mysql_url, settings.schema_name("segments"), pool_size=1)
    meter = CpuMeter(
        {
            "projection": pids,
            **server_roles(make_url(args.mysql_url).port or 3306),
        }
    )
    profiler = Profiler(py_spy, Path(tempfile.gettempdir()) / f"bench-ingest-{run_id}", rate=250)
    known = [{**c, "version": 1} for c in customers]
    registrations = [
        new_event("customer.upserted", {"customers": known[i : i + 1000]}, "bench")
        for i in range(0, len(known), 1000)
    ]
    connection = await aio_pika.connect(args.amqp_url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.amqp_name("beacon.ingest"))

        async def publish(batch: Sequence[Any]) -> None:
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            e.to_bytes(),
                            content_type="application/json",
                            message_id=str(e.event_id),
                            type=e.type,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=e.type,
                    )
                    for e in batch
                )
            )

        # The customers first (not timed), so every order's profile is known and announced
        # by profile.changed, as in production.
        await publish(registrations)
        await wait_count(
            engine, "SELECT COUNT(*) FROM profiles WHERE known", len(known), timeout=300
        )
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            await publish(events)
        finally:
            before = meter.snapshot()
            started = time.time()
            profiler.start({"projection": pids}, "projection")
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        try:
            done = await wait_count(
                engine,
                "SELECT COALESCE(SUM(visits), 0) FROM profiles",
                len(orders),
                timeout=max(300.0, len(orders) / 500),
                interval=0.02,
            )
            counted = int(await scalar(engine, "SELECT COALESCE(SUM(visits), 0) FROM profiles"))
            if counted != len(orders):
                raise RuntimeError(f"profiles count {counted} orders, {len(orders)} were sent")
        finally:
            profiler.stop()
        after = meter.snapshot()
    finally:
        await connection.close()
        await engine.dispose()
    wall = done - started
    cpu = CpuMeter.delta(before, after, wall)
    per_k = {role: round(v * 1e6 / len(orders), 1) for role, v in cpu["cpu_s"].items()}
    return {
        "orders": len(orders),
        "events": len(events),
        "workers": len(pids),
        "drain_s": round(wall, 3),
        "orders_s": round(len(orders) / wall),
        "cpu_ms_per_1000_orders": per_k,
        "cpu": cpu,
        "profiles": profiler.written(),
    }


# --------------------------------------------------------------------------- reporting


def render(result: dict[str, Any]) -> str:
    b = result["batches"]
    s = result.get("single")
    c = result.get("ceiling")
    rss = result["peak_rss_mib"]
    lat = b["latency_202_to_stored_ms"]
    rows: list[tuple[str, str, str]] = [
        ("orders (batches x size, concurrency)",
         f"{b['orders']:,} ({b['requests']} x {result['config']['batch']:,},"
         f" {result['config']['concurrency']})", ""),
        ("worker processes", str(result["config"]["workers"]), ""),
        ("accepted by the API (orders/s)", f"{b['accepted_orders_s']:,}", ""),
        ("stored end to end (orders/s)", f"{b['stored_orders_s']:,}",
         f">= {TARGET_E2E_ORDERS_S:,} {ok(b['stored_orders_s'] >= TARGET_E2E_ORDERS_S)}"),
        ("202 -> stored p50 / p99 (ms)", f"{lat['p50']:,} / {lat['p99']:,}", ""),
        ("batch POST latency p50 / p99 (ms)",
         f"{b['request_ms']['p50']:,} / {b['request_ms']['p99']:,}", ""),
    ]  # fmt: skip
    if c:
        frac = b["stored_orders_s"] / c["two_connections_rows_s"]
        rows += [
            ("raw INSERT ceiling, 1 connection (rows/s)", f"{c['one_connection_rows_s']:,}", ""),
            ("raw INSERT ceiling, 2 connections (rows/s)", f"{c['two_connections_rows_s']:,}", ""),
            ("end to end / ceiling", f"{frac:.0%}",
             f">= {TARGET_CEILING_FRACTION:.0%} {ok(frac >= TARGET_CEILING_FRACTION)}"),
        ]  # fmt: skip
    if s:
        rows += [
            (f"single-order POSTs (req/s, {s['concurrency']} in flight"
             f"{', workers paused' if s['workers_paused'] else ''})", f"{s['requests_s']:,}",
             f">= {TARGET_SINGLE_RPS:,} {ok(s['requests_s'] >= TARGET_SINGLE_RPS)}"),
            ("single POST latency p50 / p99 (ms)",
             f"{s['request_ms']['p50']:,} / {s['request_ms']['p99']:,}", ""),
            ("single orders all stored after (s)", f"{s['all_stored_after_s']:,}",
             f"worker drained {s['drain_orders_s']:,} orders/s" if s["drain_orders_s"]
             else f"{s['stored_orders_s']:,} orders/s"),
        ]  # fmt: skip
    p = result.get("projection")
    if p:
        met = p["orders_s"] >= TARGET_PROJECTION_ORDERS_S
        rows += [
            (f"projection alone (orders/s, {p['workers']} segments worker(s), backlog)",
             f"{p['orders_s']:,}",
             f">= {TARGET_PROJECTION_ORDERS_S:,} {ok(met)}"),
            ("projection CPU ms / 1,000 orders",
             ", ".join(f"{k} {v}" for k, v in p["cpu_ms_per_1000_orders"].items()), ""),
        ]  # fmt: skip
    rows += [
        ("peak RSS api / worker (MiB)", f"{rss.get('api', 0):,} / {rss.get('worker', 0):,}", ""),
    ]
    for label, cpu in (
        ("cores busy, batches until stored", b["cpu_whole_run"]),
        ("cores busy, single POSTs", (s or {}).get("cpu_post_phase")),
    ):
        if cpu:
            rows.append(
                (label, f"{cpu['machine_cores_busy']} of {result['machine']['nproc']}",
                 ", ".join(f"{k} {v}" for k, v in cpu["cores_busy"].items())),
            )  # fmt: skip
    other = b["cpu_whole_run"]["cores_busy"].get("other", 0.0)
    foreign = b.get("foreign_db_queries_avg")
    rows.append(
        ("other load: processes (cores) / DB queries", f"{other} / {foreign}",
         "shared machine: numbers are low" if other > 0.3 or (foreign or 0) > 0.5 else ""),
    )  # fmt: skip
    return "\n".join(table(rows, note="target"))


# --------------------------------------------------------------------------- main


async def delete_amqp(amqp_url: str, settings: ServiceSettings) -> None:
    import aio_pika

    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        # segments' queues and exchange exist when --projection started its workers
        for queue in (CONSUMER, "segments.profiles", "segments.audiences"):
            await channel.queue_delete(settings.amqp_name(queue))
            await channel.queue_delete(settings.amqp_name(f"{queue}.dlq"))
        for exchange in ("beacon.ingest", "beacon.segments", "beacon.dlx"):
            await channel.exchange_delete(settings.amqp_name(exchange))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = Config(
        orders=args.orders,
        batch=args.batch,
        concurrency=args.concurrency,
        single=args.single,
        single_concurrency=args.single_concurrency,
        workers=args.workers,
        url=args.url,
        schema=args.schema or "",
        seed=args.seed,
        warmup_batches=args.warmup,
        client=args.client,
        single_seconds=args.single_seconds,
        single_mode=args.single_mode if args.url is None else "live",
    )
    run_id = secrets.token_hex(3)
    own = args.url is None
    namespace = f"bench{run_id}"
    settings = ServiceSettings(
        mysql_url=args.mysql_url, amqp_url=args.amqp_url, namespace=namespace if own else ""
    )
    schema = settings.schema_name(SERVICE) if own else (args.schema or "beacon_ingest")
    cfg.schema = schema

    print(f"generating {cfg.orders:,} + {cfg.single:,} orders (seed {cfg.seed}) ...", flush=True)
    customers = generate_customers(max(1_000, cfg.orders // 10), cfg.seed)
    prefix = f"B{run_id}-"
    orders = generate_orders(customers, cfg.orders, cfg.seed, id_prefix=prefix)
    single_prefix = f"S{run_id}-"
    singles = generate_orders(customers, cfg.single, cfg.seed + 1, id_prefix=single_prefix)
    warmup = generate_orders(
        customers, cfg.warmup_batches * cfg.batch, cfg.seed + 2, id_prefix=f"W{run_id}-"
    )

    source = source_info(args.source, ("services/ingest", "shared"))
    if own:
        changed = f", {len(source['changed'])} file(s) changed" if source["changed"] else ""
        print(f"services from {source['path']} at {source['commit'] or '?'}{changed}")
    quiet = await wait_quiet(args.wait_quiet)
    services: Processes | None = None
    sampler: RssSampler | None = None
    engine = make_engine(args.mysql_url, schema, pool_size=2)
    result: dict[str, Any] = {}
    try:
        if own:
            log_dir = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{run_id}-"))
            env = {
                "BEACON_NAMESPACE": namespace,
                "BEACON_MYSQL_URL": args.mysql_url,
                "BEACON_AMQP_URL": args.amqp_url,
                "BEACON_LOG_LEVEL": "WARNING",
                # The client signs with this tree's dev key: a --source tree has its own.
                "BEACON_AUTH_DEV_KEY_FILE": os.environ.get(
                    "BEACON_AUTH_DEV_KEY_FILE", str(DEFAULT_DEV_KEY_FILE)
                ),
            }
            services = Processes(log_dir, env, source=args.source)
            print(f"starting api + {cfg.workers} worker(s) in namespace {namespace} "
                  f"(logs in {log_dir}) ...", flush=True)  # fmt: skip
            # One at a time: processes that start together race each other's migration.
            for _ in range(cfg.workers):
                services.start("worker", SERVICE, "worker")
                await services.wait_ready()
            api = services.start("api", SERVICE, "api")
            await services.wait_ready()
            url = api.url
            roles = {"api": services.pids("api"), "worker": services.pids("worker")}
        else:
            url = args.url.rstrip("/")
            roles = find_ingest_pids()
            cfg.workers = len(roles["worker"])  # as found running, for the record
        client_pid = os.getpid()
        cpu_roles = {
            **roles,
            **server_roles(make_url(args.mysql_url).port or 3306),
            "bench_client": [client_pid],
        }
        meter = CpuMeter(cpu_roles, alone=["bench_client"])
        sampler = RssSampler(roles)
        sampler.start()
        activity = DbActivity(engine, [schema, f"{schema}_scratch"[:64]])
        activity.start()

        if warmup:
            print(f"warming up with {cfg.warmup_batches} batches ...", flush=True)
            wbodies = [
                orjson.dumps({"items": warmup[i : i + cfg.batch]})
                for i in range(0, len(warmup), cfg.batch)
            ]
            await post_all(url, wbodies, cfg.concurrency, client=cfg.client)
            await wait_count(
                engine, "SELECT COUNT(*) FROM orders WHERE order_id LIKE :p", len(warmup),
                timeout=120, p=f"W{run_id}-%",
            )  # fmt: skip

        profiler = Profiler(
            args.py_spy, Path(tempfile.gettempdir()) / f"bench-ingest-{run_id}", rate=250
        )
        print(f"posting {cfg.orders:,} orders in batches of {cfg.batch:,} "
              f"({cfg.concurrency} in flight) ...", flush=True)  # fmt: skip
        profiler.start(roles, "batches")
        try:
            batches = await run_batches(cfg, url, engine, orders, prefix, meter)
        finally:
            profiler.stop()
        print(f"  accepted {batches['accepted_orders_s']:,}/s, "
              f"stored {batches['stored_orders_s']:,}/s end to end", flush=True)  # fmt: skip
        single: dict[str, Any] | None = None
        if cfg.single:
            print(f"posting {cfg.single:,} single-order requests "
                  f"({cfg.single_concurrency} in flight) ...", flush=True)  # fmt: skip
            profiler.start(roles, "single")
            try:
                pause = roles["worker"] if cfg.single_mode == "paused" else []
                single = await run_singles(
                    cfg, url, engine, singles, single_prefix, meter, pause=pause
                )
            finally:
                profiler.stop()
            print(f"  {single['requests_s']:,} requests/s", flush=True)
        projection: dict[str, Any] | None = None
        if args.projection and services is not None:
            print(f"projection alone: {args.projection:,} orders as order.recorded events, "
                  f"{args.projection_workers} segments worker(s) ...", flush=True)  # fmt: skip
            projection = await run_projection(
                services, args, settings, customers, run_id, args.py_spy
            )
            print(f"  {projection['orders_s']:,} orders/s", flush=True)
        peak = sampler.stop()
        sampler = None
        await activity.stop()
        phase = batches["cpu_whole_run"]
        batches["foreign_db_queries_avg"] = activity.average(
            phase["started"], phase["started"] + phase["wall_s"]
        )
        if single is not None:
            phase = single["cpu_post_phase"]
            single["foreign_db_queries_avg"] = activity.average(
                phase["started"], phase["started"] + phase["wall_s"]
            )
        if services is not None:
            services.stop_all()  # the ceiling runs on a quiet machine
        ceiling: dict[str, Any] | None = None
        if not args.no_ceiling:
            print("measuring the raw INSERT ceiling (1 and 2 connections) ...", flush=True)
            ceiling = await raw_ceiling(args.mysql_url, schema, orders, 1_000, meter=meter)
        result = {
            "benchmark": "ingest",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python -m bench.ingest " + " ".join(sys.argv[1:]),
            "config": asdict(cfg),
            "machine": machine_info(),
            "source": source,
            "servers": await server_info(engine, INGEST_SERVER_VARIABLES),
            "run_id": run_id,
            "machine_busy_before_start_cores": quiet,
            "namespace": namespace if own else None,
            "batches": batches,
            "single": single,
            "projection": projection,
            "ceiling": ceiling,
            "peak_rss_mib": peak,
            "profiles": profiler.written() + ((projection or {}).get("profiles") or []),
            "targets": {
                "end_to_end_orders_s": TARGET_E2E_ORDERS_S,
                "fraction_of_ceiling": TARGET_CEILING_FRACTION,
                "single_requests_s": TARGET_SINGLE_RPS,
                "projection_orders_s": TARGET_PROJECTION_ORDERS_S,
            },
        }
        met = {"end_to_end_orders_s": batches["stored_orders_s"] >= TARGET_E2E_ORDERS_S}
        if ceiling:
            fraction = batches["stored_orders_s"] / ceiling["two_connections_rows_s"]
            result["fraction_of_ceiling"] = round(fraction, 3)
            met["fraction_of_ceiling"] = fraction >= TARGET_CEILING_FRACTION
        if single:
            met["single_requests_s"] = single["requests_s"] >= TARGET_SINGLE_RPS
        if projection:
            met["projection_orders_s"] = projection["orders_s"] >= TARGET_PROJECTION_ORDERS_S
        result["targets_met"] = met
        return result
    finally:
        await _cleanup(args, sampler, engine, services, schema, settings)


async def _cleanup(
    args: argparse.Namespace,
    sampler: RssSampler | None,
    engine: AsyncEngine,
    services: Processes | None,
    schema: str,
    settings: ServiceSettings,
) -> None:
    """Stop what we started and remove the bench namespace; each step whatever the others do."""
    if sampler is not None:
        sampler.stop()
    await engine.dispose()
    if services is None:
        return
    services.stop_all()
    if args.keep:
        print(f"kept schema {schema} and namespace {settings.namespace} (--keep)")
        return
    for name in (schema, settings.schema_name("segments")):
        try:
            await drop_schema(args.mysql_url, name)
        except Exception as error:  # report it and go on cleaning
            print(f"could not drop {name}: {error!r}", file=sys.stderr)
    try:
        await delete_amqp(args.amqp_url, settings)
    except Exception as error:
        print(f"could not delete queues of {settings.namespace}: {error!r}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--orders", type=int, default=200_000, help="orders to post in batches")
    parser.add_argument("--batch", type=int, default=1_000, help="orders per request")
    parser.add_argument("--concurrency", type=int, default=16, help="batch requests in flight")
    parser.add_argument("--single", type=int, default=20_000, help="single-order POSTs (0: skip)")
    parser.add_argument("--single-concurrency", type=int, default=64)
    parser.add_argument(
        "--single-seconds", type=float, default=40.0, help="at most this long for single POSTs"
    )
    parser.add_argument(
        "--single-mode",
        choices=("paused", "live"),
        default="paused",
        help="workers stopped (api alone) or consuming during single POSTs (own processes)",
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes to start")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up batches, not measured")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--client",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="HTTP client: aiohttp (default) or httpx, to compare",
    )
    parser.add_argument(
        "--url", default=None, help="target a running api instead of starting our own"
    )
    parser.add_argument("--schema", default=None, help="with --url: its schema (beacon_ingest)")
    add_run_arguments(parser, "ingest.json")
    parser.add_argument(
        "--py-spy",
        default=None,
        metavar="PATH",
        help="py-spy executable: profile api and workers per phase (collapsed stacks in /tmp)",
    )
    parser.add_argument(
        "--projection",
        type=int,
        default=0,
        help="orders for the projection-alone phase (segments workers drain a backlog; 0: skip)",
    )
    parser.add_argument("--projection-workers", type=int, default=1)
    parser.add_argument("--no-ceiling", action="store_true", help="skip the raw INSERT ceiling")
    parser.add_argument("--keep", action="store_true", help="keep the bench schema and queues")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.batch > 10_000 or args.orders < args.batch:
        parser.error("need 1 <= --batch <= 10000 and --orders >= --batch")
    logging.getLogger("asyncmy").setLevel(logging.ERROR)  # "database doesn't exist" notes
    try:
        import uvloop  # the same loop the services run on; a cheaper client

        result = uvloop.run(run(args))
    except ImportError:
        result = asyncio.run(run(args))
    print()
    print(render(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    for profile in result.get("profiles") or []:
        summary = top_frames(Path(profile))
        for kind, frames in summary.items():
            print(f"\n{profile}: {kind} (% of samples)")
            for frame, share in frames:
                print(f"  {share:5.1f}  {frame[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
