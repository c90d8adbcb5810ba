"""Segments benchmark: live previews over 1M profiles against the naive query, resolving a
1M audience, and how far the profiles projection lags behind ingest.

``python -m bench.segments`` (see ``--help`` and docs/performance.md, "Segments"):

1. **data**: in a fresh namespace (``BEACON_NAMESPACE=bseg<random>``: its own schema,
   exchanges and queues) runs ``python -m services.segments migrate``, then generates
   ``--profiles`` customers and ``--orders`` orders inside MariaDB (``bench/segments_data.py``:
   ``bench_customers``; ``bench_orders`` plus a covering index ``(customer_id, ordered_at,
   amount)`` for the naive query; the service's ``profiles``, aggregated from them), timing
   each step;
2. **previews**: starts ``python -m services.segments api``, times until its columnar cache
   is loaded (previews answer ``"source": "cache"``), then sends ``--previews`` previews
   round-robin over the rule mix (``bench/segments_rules.py``) one after another on one
   keep-alive connection, recording the client round trip and the server's ``took_ms``; no
   warm-up, so first-use costs (a text predicate over a near-unique column) are included;
3. **counts**: every rule through the service's own SQL on the indexed ``profiles`` table
   (what previews do before the cache is loaded; run twice, the second is reported) and
   once as the naive query of a CRM without a read model (aggregate ``bench_orders`` at
   query time, LEFT JOIN the customers). Every preview size must equal the naive answer,
   or the run fails. Speed-up = naive time / preview p50 (client round trip), per rule and
   for one pass over the whole mix (sum of naive times / sum of p50s);
4. **audience**: starts ``python -m services.segments worker``, taps ``<ns>.beacon.segments``
   (``audience.*``, counting recipients as they arrive), publishes a ``campaign.launched``
   whose rule matches every customer, times until ``audience.resolved`` and every
   ``audience.batch`` has arrived, and checks size, recipients and batch count;
5. **projection lag** (its own small namespace ``bsegl<random>``): ingest api + worker and a
   segments worker; registers ``--lag-customers`` fresh customers, posts ``--lag-orders``
   orders in batches as fast as the ingest API takes them (or paced with ``--lag-rate``)
   and polls ``SUM(visits)`` of the profiles every 50 ms: the lag of the order that brought
   the accepted total to X is the time from its 202 until ``SUM(visits)`` reached X. A tap
   on ``order.recorded`` splits that into ingest's part and segments' part. Then the
   projection alone: ``--direct-orders`` as ``order.recorded`` events published straight to
   the ingest exchange, to measure what the projection can absorb;
6. prints a table, writes ``bench/results/segments.json``, stops what it started and drops
   both namespaces (schemas, exchanges, queues) unless ``--keep`` (or ``--reuse NS``, which
   keeps what it reuses; ``--drop NS`` removes a kept one).

``--source PATH`` runs the services from another checkout (to measure a change against the
same data); ``--cprofile DIR`` runs each service process under cProfile. Only 127.0.0.1 is
contacted (the default URLs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import numpy as np
import orjson
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.auth import auth_headers
from bench.datagen import generate_customers, generate_orders
from bench.harness.dbwatch import scalar
from bench.harness.machine import machine_info, server_info, source_info, wait_quiet
from bench.harness.meters import MachineMeter
from bench.harness.namespace import delete_namespace as drop_namespace
from bench.harness.processes import RESULTS, Processes, add_run_arguments
from bench.harness.report import ok, summary, table
from bench.segments_data import DataSpec, load, read_meta, safe_phase, shift_times, spec_dict
from bench.segments_rules import audience_rule, naive_count_sql, rule_mix, uses_orders
from services.segments.domain import parse_rules
from services.segments.store import profiles as profile_store
from services.segments.store import rule_sql
from shared.db import make_engine
from shared.envelope import new_event
from shared.settings import ServiceSettings

TARGET_PREVIEW_P95_MS = 30.0
TARGET_SPEEDUP = 100.0
TARGET_LAG_S = 2.0
TARGET_AUDIENCE_S = 20.0
LAG_POLL_S = 0.05
SOURCE_PATHS = ("services/segments", "services/ingest", "shared")
SEGMENTS_SERVER_VARIABLES = (
    "innodb_buffer_pool_size",
    "innodb_flush_log_at_trx_commit",
    "innodb_log_file_size",
    "log_bin",
    "tmp_table_size",
    "join_buffer_size",
    "optimizer_switch",
)
SAFE_PHASE_S = 11 * 3600  # relative rules are stable until 12 h past the anchor (mod 1 day)


# --------------------------------------------------------------------------- processes


def env_for(namespace: str, args: argparse.Namespace, **extra: str) -> dict[str, str]:
    return {
        "BEACON_NAMESPACE": namespace,
        "BEACON_MYSQL_URL": args.mysql_url,
        "BEACON_AMQP_URL": args.amqp_url,
        "BEACON_LOG_LEVEL": "INFO",
        **extra,
    }


# --------------------------------------------------------------------------- measuring


# --------------------------------------------------------------------------- phases


async def phase_data(
    args: argparse.Namespace, namespace: str, engine: AsyncEngine
) -> tuple[DataSpec, dict[str, Any]]:
    """Create the schema and generate the data (or check a reused data set)."""
    migrate = [sys.executable, "-m", "services.segments", "migrate"]
    migrate_env = {**os.environ, **env_for(namespace, args, BEACON_LOG_LEVEL="WARNING")}
    if args.reuse:
        done = await asyncio.to_thread(
            subprocess.run,
            migrate,
            cwd=args.source,
            env=migrate_env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(
                f"the kept schema of {namespace} does not migrate with this code (regenerate"
                f" it without --reuse):\n{done.stderr[-800:]}"
            )
        spec, timings = await read_meta(engine)
        print(
            f"reusing {namespace}: {spec.profiles:,} profiles, {spec.orders:,} orders,"
            f" anchor {spec.anchor:%Y-%m-%d %H:%M} UTC",
            flush=True,
        )
        out: dict[str, Any] = {"reused": True, "load_s_when_generated": timings}
        if safe_phase(spec.anchor) >= SAFE_PHASE_S:
            print("  moving every date forward (relative rules would drift) ...", flush=True)
            out["shift_s"] = round(await shift_times(engine, spec), 2)
        return spec, out
    meter = MachineMeter()
    started = time.perf_counter()
    await asyncio.to_thread(subprocess.run, migrate, cwd=args.source, env=migrate_env, check=True)
    migrate_s = time.perf_counter() - started
    spec = DataSpec(
        args.profiles,
        args.orders,
        args.seed,
        datetime.now(UTC).replace(tzinfo=None, microsecond=0),
    )
    print(f"generating {spec.profiles:,} profiles and {spec.orders:,} orders ...", flush=True)
    steps = await load(engine, spec)
    total = time.perf_counter() - started
    async with engine.connect() as conn:
        sizes = {
            str(r[0]): {"data_mib": round(r[1] / 2**20, 1), "index_mib": round(r[2] / 2**20, 1)}
            for r in (
                await conn.execute(
                    text(
                        "SELECT table_name, data_length, index_length FROM information_schema."
                        "tables WHERE table_schema = DATABASE() AND table_name IN"
                        " ('profiles', 'bench_orders', 'bench_customers')"
                    )
                )
            ).all()
        }
    return spec, {
        "reused": False,
        "migrate_s": round(migrate_s, 2),
        "steps_s": steps,
        "total_s": round(total, 2),
        "table_sizes": sizes,
        "cpu": meter.read(),
    }


def cache_log_seconds(log: Path) -> tuple[float | None, int | None]:
    """``seconds`` and ``profiles`` of the api's ``profile_cache_loaded`` log line."""
    try:
        for line in log.read_text(errors="replace").splitlines():
            if "profile_cache_loaded" in line:
                try:
                    entry = json.loads(line)
                    return float(entry["seconds"]), int(entry["profiles"])
                except (ValueError, KeyError):
                    return None, None
    except OSError:
        pass
    return None, None


async def phase_previews(
    args: argparse.Namespace,
    processes: Processes,
    namespace: str,
    mix: list[tuple[str, dict[str, Any]]],
) -> dict[str, Any]:
    print("starting the segments api and waiting for its profile cache ...", flush=True)
    api = processes.start(
        f"{namespace}-segments-api", "segments", "api", env=env_for(namespace, args)
    )
    await processes.wait_ready([api], timeout=300)
    ready_s = time.perf_counter() - api.started
    probe = orjson.dumps(
        {
            "rules": {
                "combinator": "and",
                "rules": [{"field": "total_spend", "operator": ">", "value": 10**12}],
            }
        }
    )
    headers = {"content-type": "application/json", **auth_headers()}
    path = "/api/v1/segments/preview"
    sql_probe_ms: list[float] = []
    async with httpx.AsyncClient(base_url=api.url, timeout=60.0) as client:
        deadline = time.monotonic() + 900
        while True:
            t0 = time.perf_counter()
            response = await client.post(path, content=probe, headers=headers)
            response.raise_for_status()
            if response.json()["source"] == "cache":
                break
            sql_probe_ms.append((time.perf_counter() - t0) * 1e3)
            if time.monotonic() > deadline:
                raise TimeoutError("the profile cache did not load in 900 s")
            await asyncio.sleep(0.2)
        cache_ready_s = time.perf_counter() - api.started
        load_s, loaded = cache_log_seconds(api.log)
        rss = api.rss_mib()
        print(
            f"  cache ready {cache_ready_s:.1f} s after start (load itself {load_s} s,"
            f" {loaded} profiles, api RSS {rss} MiB)",
            flush=True,
        )
        bodies = [orjson.dumps({"rules": rules}) for _, rules in mix]
        print(f"sending {args.previews} previews over {len(mix)} rules ...", flush=True)
        records: list[tuple[int, float, float, int, str]] = []
        meter = MachineMeter()
        for i in range(args.previews):
            k = i % len(mix)
            t0 = time.perf_counter()
            response = await client.post(path, content=bodies[k], headers=headers)
            rt_ms = (time.perf_counter() - t0) * 1e3
            if response.status_code != 200:
                raise RuntimeError(f"preview {mix[k][0]!r}: {response.status_code} {response.text}")
            body = response.json()
            records.append((k, rt_ms, float(body["took_ms"]), int(body["size"]), body["source"]))
        cpu = meter.read()
    processes.stop(api)
    sources = {r[4] for r in records}
    if sources != {"cache"}:
        raise RuntimeError(f"previews answered from {sources}, expected the cache only")
    per_rule: list[dict[str, Any]] = []
    for k, (name, _) in enumerate(mix):
        mine = [r for r in records if r[0] == k]
        sizes = sorted({r[3] for r in mine})
        if len(sizes) != 1:
            raise RuntimeError(f"rule {name!r} answered different sizes: {sizes}")
        per_rule.append(
            {
                "rule": name,
                "size": sizes[0],
                "previews": len(mine),
                "client_ms": summary([r[1] for r in mine]),
                "server_ms": summary([r[2] for r in mine]),
                "first_client_ms": round(mine[0][1], 2),
            }
        )
    return {
        "api_ready_s": round(ready_s, 2),
        "cache_ready_after_start_s": round(cache_ready_s, 2),
        "cache_load_s": load_s,
        "cache_profiles": loaded,
        "api_rss_mib_after_load": rss,
        "sql_previews_while_loading_ms": summary(sql_probe_ms),
        "previews": len(records),
        "client_ms": summary([r[1] for r in records]),
        "server_ms": summary([r[2] for r in records]),
        "per_rule": per_rule,
        "cpu": cpu,
    }


async def phase_counts(
    engine: AsyncEngine, mix: list[tuple[str, dict[str, Any]]], skip_naive: bool
) -> list[dict[str, Any]]:
    """Each rule through the service's SQL on ``profiles`` (twice) and the naive query."""
    out: list[dict[str, Any]] = []
    async with engine.connect() as conn:
        for name, rules in mix:
            row: dict[str, Any] = {"rule": name}
            group = parse_rules(rules)
            times = []
            for _ in range(2):
                now = datetime.now(UTC)
                t0 = time.perf_counter()
                size = await profile_store.count_where(conn, rule_sql.where(group, now))
                times.append((time.perf_counter() - t0) * 1e3)
            row.update(profiles_sql_size=size, profiles_sql_ms=[round(t, 1) for t in times])
            out.append(row)
            await conn.rollback()
    print("  profiles SQL: " + ", ".join(f"{r['profiles_sql_ms'][1]:.0f}" for r in out) + " ms")
    if skip_naive:
        return out
    print("running the naive query of every rule (aggregating the orders each time) ...")
    async with engine.connect() as conn:
        for row, (name, rules) in zip(out, mix, strict=True):
            sql, params = naive_count_sql(rules, datetime.now(UTC))
            t0 = time.perf_counter()
            size = int((await conn.execute(text(sql), params)).scalar_one())
            ms = (time.perf_counter() - t0) * 1e3
            await conn.rollback()
            row.update(naive_size=size, naive_ms=round(ms, 1))
            print(f"  {ms / 1e3:6.1f} s  {size:>9,}  {name}", flush=True)
    return out


async def phase_audience(
    args: argparse.Namespace,
    processes: Processes,
    namespace: str,
    settings: ServiceSettings,
    engine: AsyncEngine,
    expected: int,
) -> dict[str, Any]:
    async with engine.begin() as conn:  # a reused data set: forget earlier runs' audiences
        await conn.execute(text("DELETE FROM audiences"))
        await conn.execute(text("TRUNCATE TABLE audience_members"))
    print("starting a segments worker and resolving an audience of everyone ...", flush=True)
    worker = processes.start(
        f"{namespace}-segments-worker", "segments", "worker", env=env_for(namespace, args)
    )
    await processes.wait_ready([worker])
    campaign_id = f"bench-{secrets.token_hex(4)}"
    state: dict[str, Any] = {"recipients": 0, "batch_nos": set(), "size": None, "batches": None}
    done = asyncio.Event()
    connection = await aio_pika.connect(args.amqp_url, timeout=10)
    try:
        channel = await connection.channel(on_return_raises=True)
        await channel.set_qos(prefetch_count=64)
        segments_x = await channel.declare_exchange(
            settings.amqp_name("beacon.segments"), aio_pika.ExchangeType.TOPIC, durable=True
        )
        tap = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await tap.bind(segments_x, "audience.*")

        async def on_message(message: AbstractIncomingMessage) -> None:
            body = orjson.loads(message.body)
            payload = body["payload"]
            if payload.get("campaign_id") != campaign_id:
                return
            now = time.time()
            if body["type"] == "audience.resolved":
                state.update(resolved_at=now, size=payload["size"], batches=payload["batches"])
            elif body["type"] == "audience.batch":
                state.setdefault("first_batch_at", now)
                if payload["batch_no"] not in state["batch_nos"]:
                    state["batch_nos"].add(payload["batch_no"])
                    state["recipients"] += len(payload["recipients"])
                state["last_batch_at"] = now
            if state["batches"] is not None and len(state["batch_nos"]) >= state["batches"]:
                done.set()

        await tap.consume(on_message, no_ack=True)
        campaigns_x = await channel.declare_exchange(
            settings.amqp_name("beacon.campaigns"), aio_pika.ExchangeType.TOPIC, durable=True
        )
        envelope = new_event(
            "campaign.launched", {"campaign_id": campaign_id, "rules": audience_rule()}, "bench"
        )
        meter = MachineMeter()
        t0 = time.time()
        await campaigns_x.publish(
            aio_pika.Message(
                envelope.to_bytes(),
                content_type="application/json",
                message_id=str(envelope.event_id),
                type=envelope.type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key="campaign.launched",
            mandatory=True,
        )
        try:
            await asyncio.wait_for(done.wait(), timeout=args.audience_timeout)
        except TimeoutError:
            raise RuntimeError(
                f"audience not delivered in {args.audience_timeout} s: {state['recipients']:,}"
                f" recipients in {len(state['batch_nos'])} batches; see {worker.log}"
            ) from None
        cpu = meter.read()
    finally:
        await connection.close()
    rss = worker.rss_mib()
    processes.stop(worker)
    async with engine.connect() as conn:
        resolved_at, completed_at = (
            await conn.execute(
                text("SELECT resolved_at, completed_at FROM audiences WHERE campaign_id = :c"),
                {"c": campaign_id},
            )
        ).one()
    total = state["last_batch_at"] - t0
    ok = (
        state["size"] == expected
        and state["recipients"] == expected
        and state["batches"] == math.ceil(expected / 1000)
    )
    if not ok:
        raise RuntimeError(
            f"audience: size {state['size']}, recipients {state['recipients']}, batches"
            f" {state['batches']}; expected {expected:,} in {math.ceil(expected / 1000)}"
        )
    return {
        "campaign_id": campaign_id,
        "size": state["size"],
        "batches": state["batches"],
        "recipients_received": state["recipients"],
        "claimed_after_s": round(resolved_at.replace(tzinfo=UTC).timestamp() - t0, 2),
        "resolved_event_after_s": round(state["resolved_at"] - t0, 2),
        "first_batch_after_s": round(state["first_batch_at"] - t0, 2),
        "all_recipients_after_s": round(total, 2),
        "publishing_s": round(state["last_batch_at"] - state["resolved_at"], 2),
        "publish_completed_after_s": round(completed_at.replace(tzinfo=UTC).timestamp() - t0, 2),
        "recipients_per_s": round(expected / total),
        "worker_rss_mib": rss,
        "cpu": cpu,
    }


class SumWatcher:
    """Polls ``SUM(visits)`` of the profiles: when each value was first seen."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.series: list[tuple[float, int]] = []
        self.polls = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"))
            last = -1
            while True:
                value = int(
                    (
                        await conn.execute(text("SELECT COALESCE(SUM(visits), 0) FROM profiles"))
                    ).scalar_one()
                )
                await conn.rollback()
                now = time.time()
                self.polls += 1
                if value != last:
                    self.series.append((now, value))
                    last = value
                await asyncio.sleep(LAG_POLL_S)

    @property
    def value(self) -> int:
        return self.series[-1][1] if self.series else 0

    async def wait_for(self, want: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.value < want:
            if self._task is not None and self._task.done():
                self._task.result()
            if time.monotonic() > deadline:
                raise TimeoutError(f"SUM(visits) {self.value:,} of {want:,} after {timeout} s")
            await asyncio.sleep(0.02)
        return next(t for t, v in self.series if v >= want)

    def seen_at(self, want: int) -> float:
        return next(t for t, v in self.series if v >= want)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def first_reaching(events: list[tuple[float, int]], want: int) -> float:
    """Time at which the running total of ``(time, count)`` events reached ``want``."""
    total = 0
    for t, n in sorted(events):
        total += n
        if total >= want:
            return t
    raise ValueError(f"total {total} never reached {want}")


async def post_batches(
    url: str, path: str, bodies: list[tuple[bytes, int]], concurrency: int, rate: float = 0.0
) -> list[tuple[float, float, int]]:
    """POST each body (``concurrency`` in flight, paced to ``rate`` items/s when > 0);
    (sent, accepted, items) per body."""
    out: list[tuple[float, float, int]] = []
    due, t = [], 0.0
    for _, items in bodies:
        due.append(t)
        t += items / rate if rate > 0 else 0.0
    todo = iter(zip(bodies, due, strict=True))
    start = time.monotonic()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json", **auth_headers()}
    async with httpx.AsyncClient(base_url=url, timeout=120.0, limits=limits) as client:

        async def lane() -> None:
            for (body, items), at in todo:
                wait = start + at - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                sent = time.time()
                response = await client.post(path, content=body, headers=headers)
                if response.status_code != 202:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
                out.append((sent, time.time(), items))

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return out


async def phase_lag(
    args: argparse.Namespace, processes: Processes, namespace: str, run_id: str
) -> dict[str, Any]:
    settings = ServiceSettings(
        mysql_url=args.mysql_url, amqp_url=args.amqp_url, namespace=namespace
    )
    env = env_for(namespace, args, BEACON_LOG_LEVEL="WARNING")
    print(
        f"projection lag in namespace {namespace}: starting ingest api + worker and a"
        " segments worker ...",
        flush=True,
    )
    ingest_worker = processes.start(f"{namespace}-ingest-worker", "ingest", "worker", env=env)
    segments_worker = processes.start(f"{namespace}-segments-worker", "segments", "worker", env=env)
    ingest_api = processes.start(f"{namespace}-ingest-api", "ingest", "api", env=env)
    for proc in (ingest_worker, segments_worker, ingest_api):
        await processes.wait_ready([proc])
    engine = make_engine(args.mysql_url, settings.schema_name("segments"), pool_size=2)
    watcher = SumWatcher(engine)
    connection = await aio_pika.connect(args.amqp_url, timeout=10)
    recorded: list[tuple[float, int]] = []
    try:
        customers = generate_customers(args.lag_customers, args.seed)
        orders = generate_orders(customers, args.lag_orders, args.seed, id_prefix=f"L{run_id}-")
        direct = generate_orders(
            customers, args.direct_orders, args.seed + 1, id_prefix=f"D{run_id}-"
        )
        channel = await connection.channel()
        ingest_x = await channel.declare_exchange(
            settings.amqp_name("beacon.ingest"), aio_pika.ExchangeType.TOPIC, durable=True
        )
        tap = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await tap.bind(ingest_x, "order.recorded")

        async def on_recorded(message: AbstractIncomingMessage) -> None:
            n = len(orjson.loads(message.body)["payload"]["orders"])
            recorded.append((time.time(), n))

        await tap.consume(on_recorded, no_ack=True)
        batch = args.lag_batch
        customer_bodies = [
            (orjson.dumps({"items": customers[i : i + batch]}), len(customers[i : i + batch]))
            for i in range(0, len(customers), batch)
        ]
        order_bodies = [
            (orjson.dumps({"items": orders[i : i + batch]}), len(orders[i : i + batch]))
            for i in range(0, len(orders), batch)
        ]
        await post_batches(ingest_api.url, "/api/v1/customers", customer_bodies, 4)
        deadline = time.monotonic() + 300
        while int(await scalar(engine, "SELECT COUNT(*) FROM profiles WHERE known = 1")) < len(
            customers
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("customers did not reach the profiles in 300 s")
            await asyncio.sleep(0.2)
        watcher.start()
        await asyncio.sleep(0.3)
        base = watcher.value
        print(
            f"  posting {len(orders):,} orders in batches of {batch:,}"
            f" ({args.lag_concurrency} in flight) ...",
            flush=True,
        )
        meter = MachineMeter()
        started = time.time()
        accepted = await post_batches(
            ingest_api.url, "/api/v1/orders", order_bodies, args.lag_concurrency, args.lag_rate
        )
        last_accept = max(a for _, a, _ in accepted)
        all_seen = await watcher.wait_for(base + len(orders), timeout=900)
        cpu = meter.read()
        accepted.sort(key=lambda r: r[1])
        lags, ingest_part, segments_part = [], [], []
        total = 0
        for _, accept, items in accepted:
            total += items
            seen = watcher.seen_at(base + total)
            lags.append(seen - accept)
            rec = first_reaching(recorded, total)
            ingest_part.append(rec - accept)
            segments_part.append(seen - rec)
        tenth = max(1, len(lags) // 10)
        result: dict[str, Any] = {
            "customers": len(customers),
            "orders": len(orders),
            "batch": batch,
            "concurrency": args.lag_concurrency,
            "paced_orders_s": args.lag_rate or None,
            "accepted_orders_s": round(len(orders) / (last_accept - started)),
            "visible_orders_s": round(len(orders) / (all_seen - started)),
            "all_visible_after_last_accept_s": round(all_seen - last_accept, 2),
            "lag_s": summary(lags),
            "lag_first_tenth_p50_s": round(float(np.median(lags[:tenth])), 2),
            "lag_last_tenth_p50_s": round(float(np.median(lags[-tenth:])), 2),
            "accept_to_order_recorded_s": summary(ingest_part),
            "order_recorded_to_visible_s": summary(segments_part),
            "poll_interval_s": LAG_POLL_S,
            "polls": watcher.polls,
            "cpu": cpu,
        }
        print(
            f"  lag p50 {result['lag_s']['p50']} s, max {result['lag_s']['max']} s;"
            f" accepted {result['accepted_orders_s']:,}/s",
            flush=True,
        )

        # The projection alone: order.recorded straight to the exchange, as fast as possible.
        if direct:
            before = watcher.value
            events = [
                new_event("order.recorded", {"orders": direct[i : i + batch]}, "bench")
                for i in range(0, len(direct), batch)
            ]
            messages = [
                aio_pika.Message(
                    e.to_bytes(),
                    content_type="application/json",
                    message_id=str(e.event_id),
                    type=e.type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                for e in events
            ]
            print(
                f"  projection alone: {len(direct):,} orders as {len(events)} order.recorded"
                " events ...",
                flush=True,
            )
            meter = MachineMeter()
            t0 = time.time()
            await asyncio.gather(
                *(ingest_x.publish(m, routing_key="order.recorded") for m in messages)
            )
            published = time.time()
            done_at = await watcher.wait_for(before + len(direct), timeout=900)
            result["projection_alone"] = {
                "orders": len(direct),
                "events": len(events),
                "publish_s": round(published - t0, 2),
                "all_visible_after_s": round(done_at - t0, 2),
                "orders_s": round(len(direct) / (done_at - t0)),
                "cpu": meter.read(),
            }
            print(
                f"  projection alone: {result['projection_alone']['orders_s']:,} orders/s",
                flush=True,
            )
        return result
    finally:
        await watcher.stop()
        await connection.close()
        await engine.dispose()
        for proc in (ingest_api, ingest_worker, segments_worker):
            processes.stop(proc)


# --------------------------------------------------------------------------- cleanup


QUEUES = (
    "segments.profiles",
    "segments.audiences",
    "ingest.persistence",
)
EXCHANGES = ("beacon.segments", "beacon.ingest", "beacon.campaigns", "beacon.dlx")


async def delete_namespace(args: argparse.Namespace, namespace: str) -> None:
    await drop_namespace(
        args.mysql_url, args.amqp_url, namespace, ("segments", "ingest"), QUEUES, EXCHANGES
    )


# --------------------------------------------------------------------------- report


def render(result: dict[str, Any]) -> str:
    lines: list[str] = []
    data = result["data"]
    spec = result["dataset"]
    lines.append(
        f"data set: {spec['profiles']:,} profiles, {spec['orders']:,} orders"
        + (" (reused)" if data.get("reused") else f", generated in {data['total_s']:.0f} s")
    )
    if not data.get("reused"):
        lines.append("  " + ", ".join(f"{k} {v:.1f} s" for k, v in data["steps_s"].items()))
    p = result.get("previews")
    rows: list[tuple[str, str, str]] = []
    if p:
        rows += [
            (
                "profile cache ready after api start (s)",
                f"{p['cache_ready_after_start_s']}",
                f"load itself {p['cache_load_s']} s, api RSS {p['api_rss_mib_after_load']} MiB",
            ),
            (
                f"preview p50 / p95 / p99 (ms, {p['previews']} x client)",
                f"{p['client_ms']['p50']} / {p['client_ms']['p95']} / {p['client_ms']['p99']}",
                f"p95 <= {TARGET_PREVIEW_P95_MS:g} "
                f"{ok(p['client_ms']['p95'] <= TARGET_PREVIEW_P95_MS)}",
            ),
            (
                "preview p50 / p95 / p99 (ms, server took_ms)",
                f"{p['server_ms']['p50']} / {p['server_ms']['p95']} / {p['server_ms']['p99']}",
                "",
            ),
        ]
    s = result.get("speedup")
    if s:
        rows.append(
            (
                "speed-up vs naive: whole mix",
                f"{s['mix']:,.0f}x",
                f">= {TARGET_SPEEDUP:g}x {ok(s['mix'] >= TARGET_SPEEDUP)}",
            )
        )
        rows.append(
            (
                "  min over rules on aggregates / over all rules",
                f"{s['min_rules_on_aggregates']:,.0f}x / {s['min']:,.0f}x",
                f"{len(s['below_target'])} rule(s) below {TARGET_SPEEDUP:g}x",
            )
        )
    a = result.get("audience")
    if a:
        rows += [
            (
                f"audience of {a['size']:,}: all recipients received (s)",
                f"{a['all_recipients_after_s']}",
                f"<= {TARGET_AUDIENCE_S:g} {ok(a['all_recipients_after_s'] <= TARGET_AUDIENCE_S)}",
            ),
            (
                "  audience.resolved (materialised) / first batch (s)",
                f"{a['resolved_event_after_s']} / {a['first_batch_after_s']}",
                f"{a['recipients_per_s']:,} recipients/s",
            ),
        ]
    lag = result.get("lag")
    if lag:
        rows += [
            (
                f"projection lag p50 / p99 / max (s, {lag['orders']:,} orders)",
                f"{lag['lag_s']['p50']} / {lag['lag_s']['p99']} / {lag['lag_s']['max']}",
                f"max <= {TARGET_LAG_S:g} {ok(lag['lag_s']['max'] <= TARGET_LAG_S)}",
            ),
            (
                "  ingest accepted / visible in profiles (orders/s)",
                f"{lag['accepted_orders_s']:,} / {lag['visible_orders_s']:,}",
                "",
            ),
            (
                "  202 -> order.recorded / -> visible p50 (s)",
                f"{lag['accept_to_order_recorded_s']['p50']} /"
                f" {lag['order_recorded_to_visible_s']['p50']}",
                "",
            ),
        ]
        alone = lag.get("projection_alone")
        if alone:
            rows.append(
                (
                    "  projection alone (orders/s)",
                    f"{alone['orders_s']:,}",
                    f"{alone['orders']:,} orders direct to the exchange",
                )
            )
    if rows:
        lines.append("")
        lines += table(rows, note="target")
    for key in ("audience_error", "lag_error", "error"):
        if key in result:
            lines.append(f"{key.replace('_', ' ')}: {result[key]}")
    busy = [
        f"{name} {phase['cpu']['machine_cores_busy']}"
        for name, phase in (
            ("data", data),
            ("previews", p or {}),
            ("audience", a or {}),
            ("lag", lag or {}),
        )
        if phase.get("cpu")
    ]
    lines.append("")
    lines.append(
        f"machine: {result['machine']['nproc']} cores; cores busy (all processes) per phase:"
        f" {', '.join(busy)}; load average at start {result['loadavg_at_start'][0]},"
        f" at end {result.get('loadavg_at_end', ['?'])[0]}"
    )
    if p:
        lines.append("")
        head = (
            f"{'rule':<66} {'size':>9} {'p50':>6} {'p95':>6} {'max':>6} {'srv50':>6}"
            f" {'sql':>7} {'naive':>8} {'speed-up':>9}"
        )
        lines += [head, "-" * len(head)]
        counts = {c["rule"]: c for c in result.get("counts", [])}
        for r in p["per_rule"]:
            c = counts.get(r["rule"], {})
            naive = c.get("naive_ms")
            lines.append(
                f"{r['rule'][:66]:<66} {r['size']:>9,} {r['client_ms']['p50']:>6.1f}"
                f" {r['client_ms']['p95']:>6.1f} {r['client_ms']['max']:>6.1f}"
                f" {r['server_ms']['p50']:>6.1f}"
                f" {c.get('profiles_sql_ms', [0, 0])[1]:>7.0f}"
                + (f" {naive:>8.0f} {naive / r['client_ms']['p50']:>8.0f}x" if naive else "")
            )
        lines.append(
            "(ms; p50/p95/max: client round trip; srv50: server took_ms; sql: the service's"
            " SQL on indexed profiles, warm; naive: GROUP BY over orders)"
        )
    return "\n".join(lines)


def check_counts(result: dict[str, Any]) -> list[str]:
    """Every preview size against the naive answer (or the profiles SQL with --skip-naive)."""
    problems = []
    counts = {c["rule"]: c for c in result.get("counts", [])}
    for r in result["previews"]["per_rule"]:
        c = counts[r["rule"]]
        want = c.get("naive_size", c["profiles_sql_size"])
        got = {"preview": r["size"], "profiles SQL": c["profiles_sql_size"]}
        for source, size in got.items():
            if size != want:
                problems.append(f"{r['rule']!r}: {source} {size:,} != naive {want:,}")
    return problems


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    """Every phase, filling ``result`` as it goes (so a failed run still reports the rest)."""
    run_id = secrets.token_hex(3)
    namespace = args.reuse or f"bseg{run_id}"
    lag_namespace = f"bsegl{run_id}"
    settings = ServiceSettings(
        mysql_url=args.mysql_url, amqp_url=args.amqp_url, namespace=namespace
    )
    schema = settings.schema_name("segments")
    keep = args.keep or bool(args.reuse)
    log_dir = Path(tempfile.mkdtemp(prefix=f"bench-segments-{run_id}-"))
    print(f"namespace {namespace} (logs in {log_dir})", flush=True)
    quiet = await wait_quiet(args.wait_quiet)
    load_start = os.getloadavg()
    processes = Processes(log_dir, source=args.source, cprofile=args.cprofile)
    engine = make_engine(args.mysql_url, schema, pool_size=2)
    result.update(
        {
            "benchmark": "segments",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python -m bench.segments " + " ".join(sys.argv[1:]),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "machine": machine_info(),
            "machine_busy_before_start_cores": quiet,
            "loadavg_at_start": [round(x, 2) for x in load_start],
            "namespace": namespace,
            "source": source_info(args.source, SOURCE_PATHS),
        }
    )
    try:
        spec, result["data"] = await phase_data(args, namespace, engine)
        result["servers"] = await server_info(engine, SEGMENTS_SERVER_VARIABLES)
        result["dataset"] = spec_dict(spec)
        mix = rule_mix(spec.anchor)
        result["rules"] = [{"rule": name, "json": rules} for name, rules in mix]
        if not args.skip_previews:
            code = source_info(args.source, SOURCE_PATHS)
            result["previews"] = await phase_previews(args, processes, namespace, mix)
            result["previews"]["source"] = code
            result["counts"] = await phase_counts(engine, mix, args.skip_naive)
            problems = check_counts(result)
            result["count_mismatches"] = problems
            if problems:
                raise RuntimeError(
                    "counts differ from the naive answer:\n  " + "\n  ".join(problems)
                )
            reference = "profiles SQL answer (naive skipped)" if args.skip_naive else "naive answer"
            print(f"every preview size equals the {reference}", flush=True)
            if not args.skip_naive:
                per_rule = {r["rule"]: r for r in result["previews"]["per_rule"]}
                ratios = {
                    c["rule"]: c["naive_ms"] / per_rule[c["rule"]]["client_ms"]["p50"]
                    for c in result["counts"]
                }
                naive_total = sum(c["naive_ms"] for c in result["counts"])
                preview_total = sum(r["client_ms"]["p50"] for r in per_rule.values())
                aggregate = {name for name, rules in mix if uses_orders(rules)}
                result["speedup"] = {
                    "per_rule": {k: round(v, 1) for k, v in ratios.items()},
                    "min": round(min(ratios.values()), 1),
                    "min_rules_on_aggregates": round(
                        min(v for k, v in ratios.items() if k in aggregate), 1
                    ),
                    "below_target": sorted(k for k, v in ratios.items() if v < TARGET_SPEEDUP),
                    "median": round(float(np.median(list(ratios.values()))), 1),
                    "mix": round(naive_total / preview_total, 1),
                    "naive_total_s": round(naive_total / 1e3, 2),
                    "basis": "naive ms / preview client round-trip p50 ms",
                }
        if not args.skip_audience:
            try:
                code = source_info(args.source, SOURCE_PATHS)
                result["audience"] = await phase_audience(
                    args, processes, namespace, settings, engine, spec.profiles
                )
                result["audience"]["source"] = code
            except Exception as error:  # report it, and still measure the lag
                print(f"audience phase failed: {error}", file=sys.stderr, flush=True)
                result["audience_error"] = str(error)
        if not args.skip_lag:
            try:
                code = source_info(args.source, SOURCE_PATHS)
                result["lag"] = await phase_lag(args, processes, lag_namespace, run_id)
                result["lag"]["source"] = code
            except Exception as error:
                print(f"lag phase failed: {error}", file=sys.stderr, flush=True)
                result["lag_error"] = str(error)
            finally:
                await delete_namespace(args, lag_namespace)
        ingest_json = RESULTS / "ingest.json"
        if ingest_json.exists():
            try:
                ingest = json.loads(ingest_json.read_text())
                result["ingest_bench_reference"] = {
                    "timestamp": ingest.get("timestamp"),
                    "stored_orders_s": ingest.get("batches", {}).get("stored_orders_s"),
                    "accepted_orders_s": ingest.get("batches", {}).get("accepted_orders_s"),
                }
            except (ValueError, AttributeError):
                pass
        result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        met: dict[str, bool] = {}
        if "previews" in result:
            met["preview_p95_ms"] = result["previews"]["client_ms"]["p95"] <= TARGET_PREVIEW_P95_MS
        if "speedup" in result:
            met["speedup_whole_mix"] = result["speedup"]["mix"] >= TARGET_SPEEDUP
            met["speedup_every_rule"] = result["speedup"]["min"] >= TARGET_SPEEDUP
        if "audience" in result:
            met["audience_s"] = result["audience"]["all_recipients_after_s"] <= TARGET_AUDIENCE_S
        if "lag" in result:
            met["projection_lag_max_s"] = result["lag"]["lag_s"]["max"] <= TARGET_LAG_S
        result["targets"] = {
            "preview_p95_ms": TARGET_PREVIEW_P95_MS,
            "speedup": TARGET_SPEEDUP,
            "audience_s": TARGET_AUDIENCE_S,
            "projection_lag_s": TARGET_LAG_S,
        }
        result["targets_met"] = met
        return result
    finally:
        processes.stop_all()
        await engine.dispose()
        if keep:
            print(
                f"kept schema {schema} and namespace {namespace}: rerun with --reuse"
                f" {namespace}; drop with: python -m bench.segments --drop {namespace}"
            )
        else:
            await delete_namespace(args, namespace)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.segments", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--previews", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--skip-previews", action="store_true", help="no previews and no count checks"
    )
    parser.add_argument("--skip-naive", action="store_true", help="no naive queries")
    parser.add_argument("--skip-audience", action="store_true")
    parser.add_argument("--skip-lag", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the data set for --reuse")
    parser.add_argument("--reuse", metavar="NS", help="reuse the data set kept in namespace NS")
    parser.add_argument("--drop", metavar="NS", help="drop a kept namespace and exit")
    parser.add_argument("--lag-customers", type=int, default=10_000)
    parser.add_argument("--lag-orders", type=int, default=100_000)
    parser.add_argument("--lag-batch", type=int, default=1_000)
    parser.add_argument("--lag-concurrency", type=int, default=4)
    parser.add_argument(
        "--lag-rate",
        type=float,
        default=0.0,
        help="pace the lag phase's orders to this many per second (0: as fast as accepted)",
    )
    parser.add_argument(
        "--direct-orders",
        type=int,
        default=50_000,
        help="orders published straight as order.recorded to measure the projection alone",
    )
    parser.add_argument("--audience-timeout", type=float, default=300.0)
    add_run_arguments(parser, "segments.json")
    parser.add_argument(
        "--cprofile",
        type=Path,
        default=None,
        metavar="DIR",
        help="run every service process under cProfile and write its stats to DIR",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*database doesn't exist")
    logging.getLogger("asyncmy").setLevel(logging.ERROR)  # "DROP DATABASE IF EXISTS" notes
    if args.drop:
        asyncio.run(delete_namespace(args, args.drop))
        print(f"dropped {args.drop}")
        return 0
    if args.profiles < 1 or args.orders < 0 or args.previews < 1:
        parser.error("need --profiles >= 1, --orders >= 0, --previews >= 1")
    result: dict[str, Any] = {}
    failed: BaseException | None = None
    try:
        try:
            import uvloop

            uvloop.run(run(args, result))
        except ImportError:
            asyncio.run(run(args, result))
    except Exception as error:
        failed = error
        result["error"] = f"{type(error).__name__}: {error}"
    if "dataset" in result:
        print()
        print(render(result))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"\nwrote {args.out}")
    if failed is not None:
        raise failed
    return 0 if not any(k.endswith("_error") for k in result) else 1


if __name__ == "__main__":
    sys.exit(main())
