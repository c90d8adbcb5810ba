"""Soak (issue 10; not in CI): the whole suite for 10 minutes at half the benchmarked ingest
and send rates, sampling every process's RSS; reports each process's memory trend and every
error seen.

    uv run python -m tests.chaos.soak                      # 10 min, 16,000 orders/s, 1,500 sends/s
    uv run python -m tests.chaos.soak --minutes 2 --orders-per-s 2000 --sends-per-s 500

Runs on the machine's MariaDB and RabbitMQ (``BEACON_MYSQL_URL``/``BEACON_AMQP_URL``) in a
namespace of its own, removed at the end. The rates default to half of
``docs/performance.md``'s measured end-to-end ingest (33,306 orders/s) and vendor send
(3,080 messages/s). A process counts as growing when its RSS over the last fifth of the run
is more than 10 % above the second fifth (the first is warm-up) and the fitted slope is
positive. Writes ``bench/results/soak.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import psutil

from tests.backends import start_backends
from tests.chaos.load import ClientLog, post_until_accepted
from tests.chaos.run import start_suite
from tests.support.processes import ServiceProcess
from tests.support.stack import Stack

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
CUSTOMERS = 20_000
ORDER_BATCH = 1_000
SAMPLE_S = 5.0


async def feed_orders(
    url: str, rate: float, until: float, log: ClientLog, auth: dict[str, str]
) -> None:
    """Batches of ORDER_BATCH orders paced to ``rate`` orders/s, four requests in flight."""
    interval = ORDER_BATCH / rate
    seq = 0
    inflight: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(timeout=30, headers=auth) as client:
        next_at = time.monotonic()
        while time.monotonic() < until:
            batch = [
                {
                    "order_id": f"s{seq + i}",
                    "customer_id": f"k{(seq + i) % CUSTOMERS}",
                    "amount": "99.50",
                    "ordered_at": "2026-06-01T10:00:00Z",
                }
                for i in range(ORDER_BATCH)
            ]
            seq += ORDER_BATCH
            task = asyncio.create_task(
                post_until_accepted(client, url, {"items": batch}, log, give_up_s=120)
            )
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            if len(inflight) >= 4:
                await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*inflight)


async def run_campaigns(url: str, until: float, log: ClientLog, auth: dict[str, str]) -> int:
    """One campaign to every customer after another; the sender's rate limit paces them."""
    launched = 0
    body = {
        "name": "soak",
        "message": "Hi {first_name|there}",
        "rules": {"combinator": "and", "rules": [{"field": "name", "operator": "notNull"}]},
        "confirm_audience_size": CUSTOMERS,
    }
    async with httpx.AsyncClient(timeout=30, headers=auth) as client:
        while time.monotonic() < until:
            response = await client.post(f"{url}/api/v1/campaigns", json=body)
            log.answers[f"campaign {response.status_code}"] += 1
            if response.status_code != 201:
                await asyncio.sleep(2)
                continue
            launched += 1
            campaign_id = response.json()["id"]
            while time.monotonic() < until:
                state = (await client.get(f"{url}/api/v1/campaigns/{campaign_id}")).json()
                if state.get("status") in ("completed", "failed"):
                    break
                await asyncio.sleep(1)
    return launched


async def sample_rss(
    procs: dict[str, ServiceProcess], until: float
) -> dict[str, list[tuple[float, float]]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in procs}
    began = time.monotonic()
    while time.monotonic() < until:
        for name, process in procs.items():
            try:
                assert process.proc is not None
                rss = psutil.Process(process.proc.pid).memory_info().rss / 2**20
            except (psutil.Error, AssertionError):
                continue
            samples[name].append((time.monotonic() - began, rss))
        await asyncio.sleep(SAMPLE_S)
    return samples


def trend(points: list[tuple[float, float]]) -> tuple[float, float, float, bool]:
    """(MiB at start of the steady part, MiB at the end, MiB per minute, growing?)."""
    if len(points) < 10:
        return 0.0, 0.0, 0.0, False
    t = np.array([p[0] for p in points])
    rss = np.array([p[1] for p in points])
    fifth = len(points) // 5
    early, late = float(rss[fifth : 2 * fifth].mean()), float(rss[-fifth:].mean())
    slope = float(np.polyfit(t[fifth:], rss[fifth:], 1)[0]) * 60
    return early, late, slope, late > early * 1.10 and slope > 0


def log_errors(procs: dict[str, ServiceProcess]) -> Counter[str]:
    found: Counter[str] = Counter()
    for name, process in procs.items():
        text = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
        found[name] = len(re.findall(r'"level": ?"(error|critical)"|Traceback', text))
    return found


async def soak(minutes: float, orders_per_s: float, sends_per_s: float) -> str:
    os.environ.setdefault("BEACON_TEST_BACKEND", "env")  # the machine's servers, own namespace
    os.environ["BEACON_SEND_RATE_LIMIT"] = str(sends_per_s)  # inherited by the delivery worker
    backends = start_backends()
    stack = Stack(backends.mysql_url, backends.amqp_url, Path(tempfile.mkdtemp(prefix="soak-")))
    log = ClientLog()
    try:
        procs, _ = start_suite(stack)
        ingest = procs["ingest-api"].url
        auth = stack.headers("admin", ttl_s=4 * 3600)
        async with httpx.AsyncClient(timeout=60, headers=auth) as client:
            people = [{"customer_id": f"k{i}", "name": f"Soak {i}"} for i in range(CUSTOMERS)]
            for start in range(0, CUSTOMERS, 5000):
                await post_until_accepted(
                    client,
                    f"{ingest}/api/v1/customers",
                    {"items": people[start : start + 5000]},
                    log,
                    give_up_s=120,
                )
        began = time.monotonic()
        until = began + minutes * 60
        samples, _, launched = await asyncio.gather(
            sample_rss(procs, until),
            feed_orders(f"{ingest}/api/v1/orders", orders_per_s, until, log, auth),
            run_campaigns(procs["campaigns-api"].url, until, log, auth),
        )
        elapsed = time.monotonic() - began
        stored = await stack.scalar("ingest", "SELECT COUNT(*) FROM orders")
        sent = await stack.scalar(
            "delivery", "SELECT COUNT(*) FROM communications_log WHERE status IN ('SENT', 'FAILED')"
        )
        errors = log_errors(procs)
        exits = {
            n: p.proc.returncode for n, p in procs.items() if p.proc and p.proc.poll() is not None
        }
    finally:
        await stack.close()
        backends.close()
    lines = [
        f"## Soak: {elapsed / 60:.1f} min at {orders_per_s:,.0f} orders/s and {sends_per_s:,.0f} sends/s (targets)",
        "",
        f"Orders stored {stored:,} ({stored / elapsed:,.0f}/s); messages final {sent:,} ({sent / elapsed:,.0f}/s); "
        f"campaigns launched {launched}; client answers {dict(log.answers)}; processes that exited: {exits or 'none'}.",
        "",
        "| process | RSS MiB (2nd fifth) | RSS MiB (last fifth) | slope MiB/min | growing | error log lines |",
        "|---|---|---|---|---|---|",
    ]
    for name, points in samples.items():
        early, late, slope, growing = trend(points)
        lines.append(
            f"| {name} | {early:.0f} | {late:.0f} | {slope:+.2f} | {'**yes**' if growing else 'no'} | {errors[name]} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--orders-per-s", type=float, default=16_000)
    parser.add_argument("--sends-per-s", type=float, default=1_500)
    args = parser.parse_args()
    report = asyncio.run(soak(args.minutes, args.orders_per_s, args.sends_per_s))
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
