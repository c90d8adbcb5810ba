"""Campaign send benchmark: from ``POST /api/v1/campaigns`` to every log row final.

``python -m bench.campaign`` (see ``--help`` and docs/performance.md, "Campaigns"):

1. in a fresh namespace (``BEACON_NAMESPACE=bcmp<random>``: its own schemas, exchanges and
   queues) runs ``python -m services.segments migrate`` and writes ``--recipients`` known
   profiles straight into the segments ``profiles`` table (``INSERT ... SELECT`` from
   MariaDB's ``seq_1_to_N``). This benchmark measures the send pipeline, not ingest;
2. starts the pipeline as separate processes, as deployed: segments worker, campaigns
   (``all``), delivery api, ``--delivery-workers`` delivery workers, the vendor simulator
   (receipt delay ``--vendor-delay`` seconds, 0.05..0.2 by default, instead of the
   simulator's 0.5..2 s) and stats (``all``, unless ``--no-stats``);
3. launches one campaign to every profile through the campaigns API, then samples every
   ``--sample-ms`` ms the ``audiences`` row in the segments schema (resolve) and the
   delivery workers' own counters (``/metrics``, each incremented after its commit:
   audience batches written = log insert, messages the vendor accepted and marked
   ``sent_to_vendor_at`` = vendor send, rows a receipt moved to a final status = receipt
   apply). Exact ``COUNT(*)``s of ``communications_log`` (rows, ``sent_to_vendor_at`` set,
   final status) are taken too, but at most every ``--db-sample-s`` and 10 % of the time:
   their cost grows with the backlog they count (counting every 150 ms took ~20 % of a
   MariaDB core at 100,000 rows, which slowed what it measured). They confirm the end
   point and give a second, coarser set of hop times. Every 0.5 s also the depth of the
   consumer queues, the simulator's counters and the campaign's status; and what MariaDB
   is busy with for the namespace (``PROCESSLIST``) plus a commit-latency probe;
4. stops when every row is final (the target's end point) or after ``--timeout`` seconds,
   then waits a little for the campaign to read ``completed``, checks the counts (log rows
   = audience = SENT + FAILED, simulator's unique messages, stats counters) and reports,
   per hop, when it started and ended (seconds after the POST) and its rows/s;
5. CPU seconds per process (each service, MariaDB, RabbitMQ, the bench, everything else)
   over the run: where the time goes on the shared 2 cores; ``--py-spy PATH`` also samples
   the service processes with py-spy and prints their hottest frames;
6. prints a table, writes ``bench/results/campaign.json`` (``--out``), stops what it
   started and drops the namespace (schemas, queues, exchanges) unless ``--keep``.

Only 127.0.0.1 is contacted (the default URLs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.auth import auth_headers
from bench.harness.dbwatch import DbWatch
from bench.harness.machine import (
    loadavg,
)
from bench.harness.meters import CpuMeter
from bench.harness.processes import Processes, Profiler
from bench.harness.report import ok, pct, run_and_report, table
from bench.pipeline_common import (
    ALONE,
    add_arguments,
    begin,
    finish,
    launch_campaign,
    parse_metrics,
    prepare,
    profile_lines,
    queue_depths,
    run_record,
    service_env,
    service_metrics,
    service_roles,
    start_pipeline,
)
from shared.db import make_engine
from shared.settings import ServiceSettings

TARGETS_S = {100_000: 15.0, 1_000_000: 180.0}  # issue 14
WATCHED_QUEUES = ("delivery.audience", "delivery.receipts", "stats.counters", "campaigns.progress")


@dataclass
class Sample:
    """One fine-grained sample (cheap: the delivery workers' counters, one PK lookup)."""

    t: float  # seconds after the POST was sent
    log_rows: int  # audience batches applied x batch size (capped at the audience)
    vendor_accepted: int  # messages the vendor answered 2xx for, marked in the log
    final: int  # rows a receipt moved to SENT/FAILED
    published_batches: int | None
    audience_size: int | None


@dataclass
class DbSample:
    """One exact count of ``communications_log`` (its cost grows with the backlog)."""

    t: float
    log_rows: int
    vendor_accepted: int
    final: int
    query_s: float


@dataclass
class Watch:
    """Everything sampled during the run."""

    samples: list[Sample] = field(default_factory=list)
    db: list[DbSample] = field(default_factory=list)
    queues: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    vendor: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    status: list[tuple[float, str]] = field(default_factory=list)
    sampler_db_s: float = 0.0
    metrics_s: float = 0.0


def delivery_progress(metrics: dict[str, float]) -> tuple[int, int, int]:
    """(audience batches applied, messages the vendor accepted, receipts that moved a row)."""
    batches = sum(
        v
        for k, v in metrics.items()
        if k.startswith("beacon_events_consumed_total{")
        and 'consumer="delivery.audience"' in k
        and 'outcome="applied"' in k
    )
    sent = metrics.get("beacon_delivery_messages_sent_total", 0.0)
    moved = metrics.get('beacon_delivery_receipts_applied_total{outcome="moved"}', 0.0)
    return int(batches), int(sent), int(moved)


async def sample_fast(
    worker_urls: list[str],
    segments: AsyncEngine,
    campaign_id: str,
    t0: float,
    interval: float,
    batch_size: int,
    watch: Watch,
    want: int,
    reached: asyncio.Event,
    done: asyncio.Event,
) -> None:
    """Every ``interval``: the delivery workers' counters (``/metrics``, incremented after
    each commit) and the ``audiences`` row. Sets ``reached`` when every row looks final."""
    size: int | None = None
    completed_at: datetime | None = None
    async with (
        segments.connect() as sconn,
        httpx.AsyncClient(timeout=5.0, headers=auth_headers()) as http,
    ):
        while not done.is_set():
            started = time.time()
            bodies = await asyncio.gather(
                *(http.get(f"{url}/metrics") for url in worker_urls), return_exceptions=True
            )
            batches = sent = moved = 0
            for body in bodies:
                if isinstance(body, httpx.Response):
                    b, s_, m = delivery_progress(parse_metrics(body.text))
                    batches, sent, moved = batches + b, sent + s_, moved + m
            watch.metrics_s += time.time() - started
            published = None
            if completed_at is None:
                aud = (
                    await sconn.execute(
                        text(
                            "SELECT size, published_batches, completed_at FROM audiences"
                            " WHERE campaign_id = :c"
                        ),
                        {"c": campaign_id},
                    )
                ).first()
                await sconn.rollback()
                if aud is not None:
                    size, published, completed_at = int(aud[0]), int(aud[1]), aud[2]
            watch.samples.append(
                Sample(
                    t=started - t0,
                    log_rows=min(batches * batch_size, size or want),
                    vendor_accepted=sent,
                    final=moved,
                    published_batches=published,
                    audience_size=size,
                )
            )
            if moved >= want:
                reached.set()
            await asyncio.sleep(max(interval - (time.time() - started), 0.01))


async def sample_db(
    delivery: AsyncEngine,
    t0: float,
    interval: float,
    watch: Watch,
    want: int,
    reached: asyncio.Event,
    done: asyncio.Event,
) -> None:
    """Exact counts in ``communications_log``, at most ~10 % of the time (their cost grows
    with the backlog counted); sets ``done`` when every row is final."""
    total_known: int | None = None  # once every row is written, stop counting them
    cost = 0.0  # smoothed seconds per sample
    async with delivery.connect() as conn:
        while not done.is_set():
            started = time.time()
            # By campaign (the namespace has one), so the counts are ranges of
            # ix_log_campaign_status rather than scans of the whole log: at 1,000,000 rows
            # the scans kept 0.4 of a MariaDB connection busy and slowed what they measured.
            of_campaign = "campaign_id = (SELECT campaign_id FROM campaigns LIMIT 1)"
            total_sql = (
                str(total_known)
                if total_known is not None
                else f"(SELECT COUNT(*) FROM communications_log WHERE {of_campaign})"
            )
            row = (
                await conn.execute(
                    text(
                        f"SELECT {total_sql},"
                        " (SELECT COUNT(*) FROM communications_log"
                        f"   WHERE {of_campaign} AND status = 'PENDING'"
                        "   AND sent_to_vendor_at IS NULL),"
                        " (SELECT COUNT(*) FROM communications_log"
                        f"   WHERE {of_campaign} AND status = 'PENDING')"
                    )
                )
            ).one()
            await conn.rollback()
            total, unsent, pending = (int(v) for v in row)
            if total_known is None and total >= want:
                total_known = total
            elapsed = time.time() - started
            watch.sampler_db_s += elapsed
            watch.db.append(
                DbSample(started - t0, total, total - unsent, total - pending, round(elapsed, 4))
            )
            if total - pending >= want:
                done.set()
                return
            cost = elapsed if cost == 0.0 else 0.7 * cost + 0.3 * elapsed
            wait = max(interval - elapsed, 9 * cost)
            try:  # wake early once the counters say every row is final
                await asyncio.wait_for(reached.wait(), timeout=wait)
                await asyncio.sleep(0.05)
            except TimeoutError:
                pass


async def sample_rest(
    amqp_url: str,
    settings: ServiceSettings,
    vendor_url: str,
    campaigns_url: str,
    campaign_id: str,
    t0: float,
    watch: Watch,
    done: asyncio.Event,
) -> None:
    """Every 0.5 s: queue depths, the simulator's counters, the campaign's status."""
    names = {q: settings.amqp_name(q) for q in WATCHED_QUEUES}
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection, httpx.AsyncClient(timeout=5.0, headers=auth_headers()) as http:
        channel = await connection.channel()
        while not done.is_set():
            now = time.time() - t0
            try:
                watch.queues.append((now, await queue_depths(channel, names)))
            except Exception:
                channel = await connection.channel()
            try:
                response = await http.get(f"{vendor_url}/vendor/v1/stats")
                watch.vendor.append((now, response.json()))
            except (httpx.HTTPError, ValueError):
                pass
            try:
                response = await http.get(f"{campaigns_url}/api/v1/campaigns/{campaign_id}")
                status = response.json().get("status")
                if not watch.status or watch.status[-1][1] != status:
                    watch.status.append((now, status))
            except (httpx.HTTPError, ValueError):
                pass
            try:
                await asyncio.wait_for(done.wait(), timeout=0.5)
            except TimeoutError:
                pass


def hop(series: Sequence[tuple[float, int]], want: int) -> dict[str, Any]:
    """Start (first sample above 0), end (first sample at ``want``) and rows/s of a hop,
    and its best 2-second rate."""
    start = next((t for t, v in series if v > 0), None)
    end = next((t for t, v in series if v >= want), None)
    reached = max((v for _, v in series), default=0)
    peak = 0.0
    j = 0
    for i in range(len(series)):
        while series[i][0] - series[j][0] > 2.0:
            j += 1
        if series[i][0] - series[j][0] >= 1.0:
            peak = max(peak, (series[i][1] - series[j][1]) / (series[i][0] - series[j][0]))
    rows_s = None
    if start is not None:
        last = end if end is not None else series[-1][0]
        done = want if end is not None else reached
        # the hop began somewhere between the last zero sample and ``start``
        prev = max((t for t, v in series if v == 0 and t < start), default=0.0)
        rows_s = round(done / max(last - prev, 1e-3))
    return {
        "start_s": round(start, 2) if start is not None else None,
        "end_s": round(end, 2) if end is not None else None,
        "reached": reached,
        "rows_s": rows_s,
        "peak_2s_rows_s": round(peak),
    }


async def count_log(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT status, COUNT(*) FROM communications_log GROUP BY status")
            )
        ).all()
        unsent = (
            await conn.execute(
                text("SELECT COUNT(*) FROM communications_log WHERE sent_to_vendor_at IS NULL")
            )
        ).scalar_one()
        parked = (await conn.execute(text("SELECT COUNT(*) FROM parked_receipts"))).scalar_one()
    counts = {str(s): int(n) for s, n in rows}
    counts["total"] = sum(int(n) for _, n in rows)
    counts["never_sent_to_vendor"] = int(unsent)
    counts["parked_receipts"] = int(parked)
    return counts


async def run(args: argparse.Namespace) -> dict[str, Any]:
    start = await begin(args, "campaign", "bcmp")
    n = args.recipients
    low, high = args.vendor_delay
    env = service_env(
        args,
        start.namespace,
        start.vendor_port,
        start.delivery_port,
        BEACON_VENDOR_DELAY_MIN_S=str(low),
        BEACON_VENDOR_DELAY_MAX_S=str(high),
    )
    processes = Processes(start.log_dir, env, args.source)
    seg_engine = make_engine(args.mysql_url, start.settings.schema_name("segments"), pool_size=2)
    del_engine = make_engine(args.mysql_url, start.settings.schema_name("delivery"), pool_size=2)
    result = run_record(
        "campaign",
        args,
        start.namespace,
        {
            "recipients": n,
            "delivery_workers": args.delivery_workers,
            "vendor_delay_s": [low, high],
            "stats": not args.no_stats,
            "timeout_s": args.timeout,
            "env_overrides": args.env,
        },
        start.busy_before,
        "profiles written straight into the segments schema (INSERT ... SELECT from"
        " seq_1_to_N): the send pipeline is measured, not ingest",
    )
    try:
        await prepare(env, args, seg_engine, result)
        print(f"  {result['load_profiles_s']} s; starting services ...", flush=True)
        processes.start("vendor", "vendor", "simulator", port=start.vendor_port)
        campaigns = start_pipeline(processes, args, start.delivery_port)
        stats = None if args.no_stats else processes.start("stats", "stats", "all")
        await processes.wait_ready(timeout=300)  # a loaded machine starts six Pythons slowly
        vendor_url = f"http://127.0.0.1:{start.vendor_port}"
        watch = Watch()
        done = asyncio.Event()
        roles = service_roles(processes)
        cpu = CpuMeter(roles, alone=ALONE)
        dbwatch = DbWatch(del_engine, start.namespace)
        await dbwatch.setup()
        profiler = Profiler(args.py_spy, start.log_dir)
        profiler.start(
            {p.role: [p.pid] for p in processes.procs if p.role != "vendor" or args.py_spy_vendor}
        )
        await asyncio.sleep(1.0)  # let the services settle (broker consumers attached)
        before = cpu.snapshot()
        load_t0 = loadavg()
        print(f"launching a campaign to {n:,} recipients ...", flush=True)
        async with httpx.AsyncClient(timeout=30.0, headers=auth_headers()) as http:
            t0 = time.time()
            campaign_id = await launch_campaign(http, campaigns, f"bench {start.run_id}", n)
            created_s = time.time() - t0
            reached = asyncio.Event()
            worker_urls = [p.url for p in processes.procs if p.role.startswith("delivery-worker")]
            samplers = [
                asyncio.create_task(
                    sample_fast(
                        worker_urls,
                        seg_engine,
                        campaign_id,
                        t0,
                        args.sample_ms / 1000,
                        int(env.get("BEACON_AUDIENCE_BATCH_SIZE", "1000")),
                        watch,
                        n,
                        reached,
                        done,
                    )
                ),
                asyncio.create_task(
                    sample_db(del_engine, t0, args.db_sample_s, watch, n, reached, done)
                ),
                asyncio.create_task(dbwatch.run(done)),
                asyncio.create_task(
                    sample_rest(
                        args.amqp_url,
                        start.settings,
                        vendor_url,
                        campaigns.url,
                        campaign_id,
                        t0,
                        watch,
                        done,
                    )
                ),
            ]
            deadline = t0 + args.timeout
            last_print = 0.0
            while not done.is_set() and time.time() < deadline:
                crashed = processes.check_alive()
                failed = [repr(t.exception())[:300] for t in samplers if t.done() and t.exception()]
                if crashed or failed:  # stop measuring, but report what was reached
                    result["error"] = (
                        f"service process(es) exited: {crashed}; logs in {start.log_dir}"
                        if crashed
                        else f"sampler failed: {failed[0]}"
                    )
                    print(f"  stopping: {result['error']}", flush=True)
                    break
                if watch.samples and time.time() - last_print > 5:
                    s = watch.samples[-1]
                    print(
                        f"  {s.t:6.1f} s: log {s.log_rows:,}  vendor {s.vendor_accepted:,}"
                        f"  final {s.final:,}",
                        flush=True,
                    )
                    last_print = time.time()
                try:
                    await asyncio.wait_for(done.wait(), timeout=0.5)
                except TimeoutError:
                    pass
            finished = done.is_set()
            end_s = time.time() - t0
            after = cpu.snapshot()
            load_t1 = loadavg()
            done.set()
            await asyncio.gather(*samplers, return_exceptions=True)
            result["profile"] = profiler.stop()
            # After the target's end point: the campaign's own status and the stats view.
            completed_s = None
            status: dict[str, Any] = {}
            vendor_stats: dict[str, Any] = {}
            counts: dict[str, int] = {"total": -1}
            aud = None
            try:
                for _ in range(120):
                    status = (
                        await http.get(f"{campaigns.url}/api/v1/campaigns/{campaign_id}")
                    ).json()
                    if status.get("status") == "completed":
                        completed_s = round(time.time() - t0, 2)
                        break
                    if not finished:
                        break
                    await asyncio.sleep(0.25)
                if stats is not None:
                    for _ in range(40):
                        got = (
                            await http.get(f"{stats.url}/api/v1/stats/campaigns/{campaign_id}")
                        ).json()
                        if got.get("sent", 0) + got.get("failed", 0) >= n or not finished:
                            break
                        await asyncio.sleep(0.25)
                    result["stats_counters"] = got
                vendor_stats = (await http.get(f"{vendor_url}/vendor/v1/stats")).json()
                result["service_metrics"] = await service_metrics(processes.procs)
                counts = await count_log(del_engine)
                async with seg_engine.connect() as conn:
                    aud = (
                        await conn.execute(
                            text(
                                "SELECT size, batches, resolved_at, completed_at FROM audiences"
                                " WHERE campaign_id = :c"
                            ),
                            {"c": campaign_id},
                        )
                    ).first()
            except Exception as error:  # e.g. the database went away: report what we have
                result.setdefault("post_run_errors", []).append(repr(error)[:300])
            result["campaign"] = status
        target = TARGETS_S.get(n)
        samples = watch.samples
        size = next((s.audience_size for s in reversed(samples) if s.audience_size), None)
        resolve: dict[str, Any] = {"audience_size": size}
        if aud is not None:
            resolve["audience_size"] = int(aud[0])
            resolve["batches"] = int(aud[1])
            resolve["claimed_s"] = round(aud[2].replace(tzinfo=UTC).timestamp() - t0, 2)
            seen = next((s.t for s in samples if s.audience_size), None)
            resolve["materialised_seen_s"] = round(seen, 2) if seen is not None else None
            if aud[3] is not None:
                resolve["published_s"] = round(aud[3].replace(tzinfo=UTC).timestamp() - t0, 2)
                resolve["rows_s"] = round(int(aud[0]) / max(resolve["published_s"], 1e-3))
        db = watch.db
        db_final = next((d.t for d in db if d.final >= n), None)
        if db_final is not None and not any(s.final >= n for s in samples):
            # the exact count saw the last commit before the counters were scraped again
            samples.append(Sample(db_final, n, n, n, None, size))
        hops = {
            "resolve": resolve,
            "log_insert": hop([(s.t, s.log_rows) for s in samples], n),
            "vendor_send": hop([(s.t, s.vendor_accepted) for s in samples], n),
            "receipt_apply": hop([(s.t, s.final) for s in samples], n),
        }
        db_hops = {
            "log_insert": hop([(d.t, d.log_rows) for d in db], n),
            "vendor_send": hop([(d.t, d.vendor_accepted) for d in db], n),
            "receipt_apply": hop([(d.t, d.final) for d in db], n),
        }
        if watch.vendor:
            hops["vendor_callbacks"] = hop(
                [(t, int(v.get("receipts_sent", 0))) for t, v in watch.vendor], n
            )
        max_depth = {
            q: max((d.get(q, 0) for _, d in watch.queues), default=0) for q in WATCHED_QUEUES
        }
        all_final_s = next((s.t for s in samples if s.final >= n), None)
        result.update(
            {
                "campaign_id": campaign_id,
                "post_201_s": round(created_s, 3),
                "finished": finished,
                "all_final_s": round(all_final_s, 2) if all_final_s is not None else None,
                "stopped_at_s": round(end_s, 2),
                "campaign_completed_s": completed_s,
                "campaign_status_seen": [(round(t, 2), s) for t, s in watch.status],
                "hops": hops,
                "hops_exact_db_counts": db_hops,
                "db_confirmed_s": next((round(d.t, 2) for d in db if d.final >= n), None),
                "max_queue_depth": max_depth,
                "log_counts": counts,
                "vendor_stats": {
                    k: vendor_stats.get(k)
                    for k in (
                        "received",
                        "unique",
                        "duplicates",
                        "callbacks_sent",
                        "receipts_sent",
                        "callbacks_failed",
                        "pending_receipts",
                    )
                },  # fmt: skip
                "cpu": CpuMeter.delta(before, after),
                "database": dbwatch.report(),
                "loadavg_during": [load_t0, load_t1],
                "loadavg_at_end": loadavg(),
                "rss_mib": {p.role: p.rss_mib() for p in processes.procs},
                # The 1,000,000 target bounds each delivery process's peak (VmHWM).
                "peak_rss_mib": {p.role: peak_rss_mib(p.pid) for p in processes.procs},
                "sampler": {
                    "samples": len(samples),
                    "mean_interval_s": round(end_s / max(len(samples), 1), 3),
                    "metrics_scrape_s": round(watch.metrics_s, 2),
                    "db_samples": len(db),
                    "db_count_seconds": round(watch.sampler_db_s, 2),
                    "db_count_p50_ms": pct([d.query_s * 1e3 for d in db], 50)["p50"],
                },
                "timeline": [
                    [round(s.t, 2), s.published_batches, s.log_rows, s.vendor_accepted, s.final]
                    for s in samples
                ],
                "timeline_columns": [
                    "t_s",
                    "published_batches",
                    "log_rows",
                    "vendor_accepted",
                    "final",
                ],
                "db_timeline": [
                    [round(d.t, 2), d.log_rows, d.vendor_accepted, d.final, d.query_s] for d in db
                ],
                "db_timeline_columns": ["t_s", "log_rows", "vendor_accepted", "final", "query_s"],
                "queue_timeline": [[round(t, 2), d] for t, d in watch.queues],
            }
        )
        problems = []
        if counts["total"] != n:
            problems.append(f"log rows {counts['total']:,} != recipients {n:,}")
        if finished and counts.get("SENT", 0) + counts.get("FAILED", 0) != n:
            problems.append("SENT + FAILED != recipients")
        if finished and vendor_stats.get("unique") != n:
            problems.append(f"vendor saw {vendor_stats.get('unique')} unique messages")
        stats_c = result.get("stats_counters") or {}
        if (
            finished
            and stats is not None
            and (
                stats_c.get("sent") != counts.get("SENT")
                or stats_c.get("failed") != counts.get("FAILED")
            )
        ):
            problems.append(f"stats counters {stats_c.get('sent')}/{stats_c.get('failed')} differ")
        result["problems"] = problems
        result["target_s"] = target
        result["targets_met"] = (
            {"all_final_s": bool(finished and all_final_s is not None and all_final_s <= target)}
            if target
            else {}
        )
        return result
    finally:
        await finish(args, processes, (seg_engine, del_engine), start.namespace, start.log_dir)


def render(r: dict[str, Any]) -> str:
    n = r["config"]["recipients"]
    target = r.get("target_s")
    rows: list[tuple[str, str, str]] = []
    final = r.get("all_final_s")
    rows.append(
        (
            f"{n:,} recipients: POST -> every log row final (s)",
            f"{final}" if final is not None else f"not in {r['stopped_at_s']}",
            (f"<= {target:g} {ok(bool(r['targets_met'].get('all_final_s')))}" if target else ""),
        )
    )
    if r.get("error"):
        rows.append(("  run stopped early", f"{r['stopped_at_s']}", r["error"][:100]))
    rows.append(("  POST answered 201 (s)", f"{r['post_201_s']}", ""))
    sampler = r["sampler"]
    rows.append(
        (
            "  every row final in exact DB counts (s)",
            f"{r['db_confirmed_s']}",
            f"{sampler['db_samples']} counts, p50 {sampler['db_count_p50_ms']} ms each",
        )
    )
    rows.append(("  campaign status 'completed' seen (s)", f"{r['campaign_completed_s']}", ""))
    h = r["hops"]
    res = h["resolve"]
    rows.append(
        (
            "resolve: claimed / materialised seen / all published (s)",
            f"{res.get('claimed_s')} / {res.get('materialised_seen_s')} / {res.get('published_s')}",
            f"{res.get('rows_s', 0):,} recipients/s, {res.get('batches')} batches",
        )
    )
    for name, label in (
        ("log_insert", "log insert"),
        ("vendor_send", "vendor send (sent_to_vendor_at)"),
        ("vendor_callbacks", "vendor callbacks (202 from receipt API)"),
        ("receipt_apply", "receipt apply (final status)"),
    ):
        x = h.get(name)
        if not x:
            continue
        rows.append(
            (
                f"{label}: start / end (s)",
                f"{x['start_s']} / {x['end_s']}",
                f"{x['rows_s'] or 0:,} rows/s (best 2 s: {x['peak_2s_rows_s']:,})"
                + ("" if x["end_s"] is not None else f", reached {x['reached']:,}"),
            )
        )
    depth = r["max_queue_depth"]
    rows.append(
        (
            "max queue depth: audience / receipts / stats / campaigns",
            " / ".join(str(depth[q]) for q in WATCHED_QUEUES),
            "messages ready (sampled every 0.5 s)",
        )
    )
    c = r["log_counts"]
    rows.append(
        (
            "log: rows / SENT / FAILED / PENDING",
            " / ".join(f"{c.get(k, 0):,}" for k in ("total", "SENT", "FAILED", "PENDING")),
            "; ".join(r["problems"]) or "consistent (vendor, stats counters agree)",
        )
    )
    db = r["database"]
    probe = db["commit_probe_ms"]
    rows.append(
        (
            "commit probe p50 / p90 / p99 (ms)",
            f"{probe['p50']} / {probe['p90']} / {probe['p99']}",
            "1-row INSERT + COMMIT every 0.5 s: what a commit costs meanwhile",
        )
    )
    peaks = r.get("peak_rss_mib", {})
    rows.append(
        (
            "peak RSS of the delivery processes (MiB)",
            " / ".join(f"{k} {v}" for k, v in peaks.items() if k.startswith("delivery")),
            "VmHWM; the 1,000,000 target is <= 200 MiB each",
        )
    )
    for b in db["busy_statements"][:8]:
        rows.append(
            (
                f"  db busy: {b['service']} {b['statement']}"[:60],
                f"{b['avg_connections']}",
                f"avg connections, state '{b['state']}'",
            )
        )
    for role, m in r.get("service_metrics", {}).items():
        if "receipt_flushes" in m:
            rows.append(
                (
                    f"{role}: receipt flushes / mean ms / receipts each",
                    f"{m['receipt_flushes']} / {m['receipt_flush_mean_ms']}"
                    f" / {m['receipts_per_flush']}",
                    "one transaction per flush (beacon_consumer_batch_seconds)",
                )
            )
    cpu = r["cpu"]
    busy = ", ".join(f"{k} {v}" for k, v in cpu["cores_busy"].items() if v >= 0.02)
    rows.append(("cores busy over the run", f"{cpu['machine_cores_busy']}", busy))
    rows.append(
        (
            "load average 1/5/15 min at start / end",
            " / ".join(str(x[0]) for x in r["loadavg_during"]),
            f"start {r['loadavg_at_start']}, end {r['loadavg_at_end']}",
        )
    )
    lines = [
        f"campaign benchmark, {datetime.fromisoformat(r['timestamp']):%Y-%m-%d %H:%M} UTC:"
        f" {n:,} recipients, {r['config']['delivery_workers']} delivery worker(s), vendor"
        f" delay {r['config']['vendor_delay_s'][0]}-{r['config']['vendor_delay_s'][1]} s",
        f"profiles written into MariaDB directly in {r['load_profiles_s']} s (ingest is not"
        " measured here)",
        "",
        *table(rows),
    ]
    return "\n".join(lines + profile_lines(r))


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set so far (Linux ``VmHWM``); 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.campaign", description=(__doc__ or "").split("\n")[0]
    )
    add_arguments(parser, "campaign.json")
    parser.add_argument("--timeout", type=float, default=360.0, help="cap on the run (s)")
    parser.add_argument(
        "--sample-ms", type=float, default=150.0, help="delivery counters every N ms"
    )
    parser.add_argument(
        "--db-sample-s",
        type=float,
        default=0.5,
        help="exact log counts at most this often (and at most 10 %% of the time)",
    )
    parser.add_argument("--no-stats", action="store_true", help="do not run the stats service")
    parser.add_argument("--py-spy-vendor", action="store_true", help="profile the simulator too")
    args = parser.parse_args(argv)
    if args.recipients < 1 or args.delivery_workers < 1:
        parser.error("need --recipients >= 1 and --delivery-workers >= 1")
    return run_and_report(lambda: run(args), render, args.out)


if __name__ == "__main__":
    sys.exit(main())
