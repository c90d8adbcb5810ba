"""What the send-pipeline benchmarks share (``bench/campaign.py``, ``bench/stats.py``)
beyond the harness (:mod:`bench.harness`):

* :func:`load_profiles`: the customers, written straight into the segments ``profiles``
  table (after ``python -m services.segments migrate`` in the namespace) with one
  ``INSERT ... SELECT`` per chunk from MariaDB's Sequence engine (``seq_1_to_N``): these
  benchmarks measure the send pipeline, not ingest;
* :func:`service_roles`: the roles to meter CPU by (each service process, MariaDB, RabbitMQ, the
  bench itself, everything else) between two marks: where the time goes on 2 cores;
* :func:`service_metrics`: what the services' own counters say about the run;
* :func:`delete_namespace`: drops the namespace's schemas, queues and exchanges.

Only 127.0.0.1 is contacted (the default URLs).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness.machine import (
    loadavg,
    machine_info,
    other_bench_processes,
    server_info,
    source_info,
    wait_quiet,
)
from bench.harness.meters import server_roles
from bench.harness.namespace import delete_namespace as drop_namespace
from bench.harness.processes import Proc, Processes, add_run_arguments, free_port, run_migrate
from shared.settings import ServiceSettings

SERVICES = ("segments", "campaigns", "delivery", "stats")
# Every durable queue a service of the pipeline declares (each has a ``.dlq`` twin); the
# per-process listener queues are exclusive and auto-delete, so they go with the process.
QUEUES = (
    "segments.profiles",
    "segments.audiences",
    "campaigns.progress",
    "delivery.campaigns",
    "delivery.audience",
    "delivery.receipts",
    "stats.counters",
    # Sign-in: the API-key copies and the key-usage queue.
    "campaigns.key_usage",
    *(f"{s}.api_keys" for s in ("ingest", "segments", "delivery", "stats")),
)
EXCHANGES = tuple(f"beacon.{s}" for s in ("ingest", *SERVICES)) + ("beacon.dlx",)
MESSAGE = "Hi {first_name|there}, your {name} account has 10% off this week. Reply STOP to opt out."


# --------------------------------------------------------------------------- data


FIRST = ("Aarav", "Zoë", "Priya", "Rohan", "Ananya", "Vikram", "Meera", "Kabir", "Isha", "Arjun")
LAST = ("Iyer", "Sharma", "Patel", "Reddy", "Nair", "Gupta", "Das", "Menon", "Khan", "Singh")
CITIES = ("Pune", "Mumbai", "Bengaluru", "Delhi", "Chennai", "Kolkata", "Hyderabad", "Jaipur")


def _elt(expr: str, values: Sequence[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ELT(1 + ({expr}) % {len(values)}, {quoted})"


async def load_profiles(engine: AsyncEngine, count: int, chunk: int = 250_000) -> float:
    """``count`` known profiles ``C00000001``...; every one has an address (about 1 in 10
    a phone only), so every message goes to the vendor. Returns the seconds it took."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM profiles"))
    first = 1
    while first <= count:
        last = min(count, first + chunk - 1)
        sql = f"""
            INSERT INTO profiles (customer_id, known, version, revision, name, email, phone,
                city, created_at, total_spend, visits, first_visit_at, last_visit_at,
                updated_at)
            SELECT CONCAT('C', LPAD(seq, 8, '0')), 1, 1, 1,
                CONCAT({_elt("seq", FIRST)}, ' ', {_elt("seq DIV 10", LAST)}),
                IF(seq % 10 = 3, NULL, CONCAT('c', seq, '@example.in')),
                CONCAT('+9198', LPAD(seq, 8, '0')),
                {_elt("seq DIV 7", CITIES)},
                UTC_TIMESTAMP(6) - INTERVAL (seq % 1000) DAY,
                (seq % 997) * 12.5, seq % 23,
                UTC_TIMESTAMP(6) - INTERVAL (seq % 900) DAY,
                UTC_TIMESTAMP(6) - INTERVAL (seq % 90) DAY,
                UTC_TIMESTAMP(6)
            FROM seq_{first}_to_{last}
        """
        async with engine.begin() as conn:
            await conn.execute(text("SET SESSION unique_checks = 0"))
            await conn.execute(text(sql))
        first = last + 1
    return round(time.perf_counter() - started, 2)


ALL_RULE: dict[str, Any] = {
    "combinator": "and",
    "rules": [{"field": "visits", "operator": ">=", "value": 0}],
}


# --------------------------------------------------------------------------- measuring


async def queue_depths(
    channel: aio_pika.abc.AbstractChannel, names: dict[str, str]
) -> dict[str, int]:
    """Messages ready in each queue (passive declare; a missing queue reads -1)."""
    out: dict[str, int] = {}
    for short, full in names.items():
        try:
            q = await channel.declare_queue(full, passive=True)
            out[short] = int(q.declaration_result.message_count or 0)
        except Exception:
            out[short] = -1
    return out


def parse_metrics(body: str) -> dict[str, float]:
    """Prometheus text format: ``name{labels} value`` per line."""
    out: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


RECEIPTS_LABEL = 'consumer="delivery.receipts"'


def metric_sum(metrics: dict[str, float], name: str, *labels: str) -> float:
    """Sum of the series of ``name`` whose labels contain every ``labels`` item."""
    return sum(
        v
        for k, v in metrics.items()
        if (k == name or k.startswith(name + "{")) and all(lab in k for lab in labels)
    )


async def service_metrics(procs: Sequence[Proc]) -> dict[str, Any]:
    """What the services' own counters say about the run (scraped once, at the end)."""
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=10.0) as http:
        for proc in procs:
            try:
                m = parse_metrics((await http.get(f"{proc.url}/metrics")).text)
            except httpx.HTTPError:
                continue
            entry: dict[str, Any] = {}
            flushes = metric_sum(m, "beacon_consumer_batch_seconds_count", RECEIPTS_LABEL)
            if flushes:
                moved = metric_sum(m, "beacon_delivery_receipts_applied_total")
                entry["receipt_flushes"] = int(flushes)
                entry["receipt_flush_mean_ms"] = round(
                    metric_sum(m, "beacon_consumer_batch_seconds_sum", RECEIPTS_LABEL)
                    / flushes
                    * 1e3,
                    1,
                )
                entry["receipts_per_flush"] = round(moved / flushes, 1)
            consumed = {
                k.split("{", 1)[1].rstrip("}"): int(v)
                for k, v in m.items()
                if k.startswith("beacon_events_consumed_total{") and v
            }
            if consumed:
                entry["events_consumed"] = consumed
            count = metric_sum(m, "beacon_http_request_seconds_count", 'method="POST"')
            if count:
                total = metric_sum(m, "beacon_http_request_seconds_sum", 'method="POST"')
                entry["http_post_requests"] = int(count)
                entry["http_post_mean_ms"] = round(total / count * 1e3, 1)
            sent = metric_sum(m, "beacon_delivery_messages_sent_total")
            if sent:
                entry["messages_sent"] = int(sent)
                entry["vendor_errors"] = int(metric_sum(m, "beacon_delivery_vendor_errors_total"))
            if entry:
                out[proc.role] = entry
    return out


# --------------------------------------------------------------------------- cleanup


# The bench and the servers count alone in CpuMeter: the bench's children are the services,
# which have roles of their own.
ALONE = ("bench", "mariadb", "rabbitmq")


def service_roles(processes: Processes) -> dict[str, list[int]]:
    """Roles for :class:`~bench.harness.meters.CpuMeter`: each service process, MariaDB,
    RabbitMQ, the bench."""
    return {**processes.by_role(), **server_roles(), "bench": [os.getpid()]}


async def delete_namespace(mysql_url: str, amqp_url: str, namespace: str) -> None:
    """Drop the namespace's schemas, durable queues (and DLQs) and exchanges."""
    await drop_namespace(mysql_url, amqp_url, namespace, SERVICES, QUEUES, EXCHANGES)


# --------------------------------------------------------------------------- a run's frame


def add_arguments(parser: argparse.ArgumentParser, out: str) -> None:
    """The options both pipeline benchmarks take (each adds its own)."""
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--delivery-workers", type=int, default=1)
    parser.add_argument(
        "--vendor-delay", type=float, nargs=2, default=(0.05, 0.2), metavar=("MIN", "MAX")
    )
    parser.add_argument("--keep", action="store_true", help="keep the namespace afterwards")
    parser.add_argument("--py-spy", default=None, metavar="PATH", help="py-spy executable")
    parser.add_argument(
        "--env", action="append", default=[], metavar="BEACON_X=V", help="extra service setting"
    )
    add_run_arguments(parser, out)


def service_env(
    args: argparse.Namespace, namespace: str, vendor_port: int, delivery_port: int, **extra: str
) -> dict[str, str]:
    """The services' settings: the namespace, the servers, the vendor and ``--env``."""
    return {
        "BEACON_NAMESPACE": namespace,
        "BEACON_MYSQL_URL": args.mysql_url,
        "BEACON_AMQP_URL": args.amqp_url,
        "BEACON_LOG_LEVEL": "INFO",
        "BEACON_VENDOR_URL": f"http://127.0.0.1:{vendor_port}",
        "BEACON_DELIVERY_PUBLIC_URL": f"http://127.0.0.1:{delivery_port}",
        **extra,
        **dict(kv.split("=", 1) for kv in args.env),
    }


def run_record(
    benchmark: str,
    args: argparse.Namespace,
    namespace: str,
    config: dict[str, Any],
    busy_before: float,
    data: str,
) -> dict[str, Any]:
    """What every pipeline result starts with: when, what, on which machine and code."""
    return {
        "benchmark": benchmark,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"python -m bench.{benchmark} " + " ".join(sys.argv[1:]),
        "config": config,
        "machine": machine_info(),
        "source": source_info(args.source),
        "namespace": namespace,
        "loadavg_at_start": loadavg(),
        "machine_busy_before_start_cores": busy_before,
        "other_benchmarks_running": other_bench_processes(),
        "data": data,
    }


async def prepare(
    env: dict[str, str], args: argparse.Namespace, seg_engine: AsyncEngine, result: dict[str, Any]
) -> None:
    """Migrate every schema (before any process starts: see docs/performance.md), load the
    profiles, record the server's settings."""
    print(f"loading {args.recipients:,} profiles ...", flush=True)
    for service in SERVICES:
        run_migrate(service, env, args.source)
    result["load_profiles_s"] = await load_profiles(seg_engine, args.recipients)
    result["servers"] = await server_info(seg_engine)


def start_pipeline(processes: Processes, args: argparse.Namespace, delivery_port: int) -> Proc:
    """The delivery api and workers, a segments worker and campaigns; returns campaigns."""
    processes.start("delivery-api", "delivery", "api", port=delivery_port)
    for k in range(args.delivery_workers):
        processes.start(f"delivery-worker-{k + 1}", "delivery", "worker")
    processes.start("segments-worker", "segments", "worker")
    return processes.start("campaigns", "campaigns", "all")


async def launch_campaign(http: httpx.AsyncClient, campaigns: Proc, name: str, n: int) -> str:
    """POST a campaign to every profile (the audience size confirmed); its id."""
    response = await http.post(
        f"{campaigns.url}/api/v1/campaigns",
        json={"name": name, "rules": ALL_RULE, "message": MESSAGE, "confirm_audience_size": n},
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/v1/campaigns: {response.status_code} {response.text}")
    return str(response.json()["id"])


async def finish(
    args: argparse.Namespace,
    processes: Processes,
    engines: Sequence[AsyncEngine],
    namespace: str,
    log_dir: Path,
) -> None:
    """Stop the services, close the engines, delete the namespace (unless ``--keep``)."""
    processes.stop_all()
    for engine in engines:
        await engine.dispose()
    if args.keep:
        print(f"kept namespace {namespace} (logs in {log_dir})")
    else:
        await delete_namespace(args.mysql_url, args.amqp_url, namespace)


def profile_lines(r: dict[str, Any]) -> list[str]:
    """The hottest py-spy frames of each profiled role, for the end of a report."""
    lines: list[str] = []
    for role, prof in (r.get("profile") or {}).items():
        lines.append(f"\npy-spy {role}: hottest frames (self %)")
        lines += [f"  {share:5.1f}  {frame[:110]}" for frame, share in prof.get("self", [])[:8]]
    return lines


@dataclass
class Start:
    """A pipeline run's namespace, logs, the load before it and the ports it will use."""

    run_id: str
    namespace: str
    settings: ServiceSettings
    log_dir: Path
    busy_before: float
    vendor_port: int
    delivery_port: int


async def begin(args: argparse.Namespace, benchmark: str, prefix: str) -> Start:
    """A fresh namespace (``<prefix><random>``) and log folder; waits for quiet."""
    run_id = secrets.token_hex(3)
    namespace = f"{prefix}{run_id}"
    settings = ServiceSettings(
        mysql_url=args.mysql_url, amqp_url=args.amqp_url, namespace=namespace
    )
    log_dir = Path(tempfile.mkdtemp(prefix=f"bench-{benchmark}-{run_id}-"))
    print(f"namespace {namespace} (logs in {log_dir})", flush=True)
    busy_before = await wait_quiet(args.wait_quiet)
    return Start(run_id, namespace, settings, log_dir, busy_before, free_port(), free_port())
