"""One chaos run: start the suite, load it while faults fly, then account for everything.

Phases: (1) customers and orders posted by retrying clients while a random worker is
SIGKILLed every few seconds and RabbitMQ restarts once half the orders are in; wait until
every accepted order is stored and projected. (2) a campaign to the ``@chaos.example``
customers, sent at a capped rate so that it lasts: the delivery worker is SIGKILLed once a
tenth of its messages are final, MariaDB restarts once a third are; wait until every
message is final. Kills go on through both phases. Then the invariants (checker.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from tests.backends import Backends
from tests.chaos.checker import Tally, check, count, render
from tests.chaos.config import ChaosConfig
from tests.chaos.faults import (
    FaultLog,
    Supervisor,
    kill,
    kill_workers,
    name_of,
    restart_broker,
    restart_db,
)
from tests.chaos.load import AUDIENCE_DOMAIN, ClientLog, dataset, expected_profiles, post_all
from tests.support.amqp import all_dlqs, queue_depths
from tests.support.processes import ServiceProcess
from tests.support.stack import Stack, known_queues

T = TypeVar("T")
VENDOR_SECRET = "chaos-vendor-secret"
WORKERS = ("ingest", "segments", "campaigns", "delivery", "stats")
FINAL = ("SENT", "FAILED")
TOKEN_TTL_S = 4 * 3600  # outlives the long run


@dataclass
class ChaosResult:
    report: str
    tallies: list[Tally]
    faults: FaultLog

    @property
    def held(self) -> bool:
        return all(t.held for t in self.tallies)


async def settle(
    probe: Callable[[], Awaitable[T]], done: Callable[[Any], bool], *, timeout: float
) -> tuple[bool, T | None]:
    """Poll ``probe`` until ``done``; errors (a backend restarting) count as not yet."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        try:
            last = await probe()
            if done(last):
                return True, last
        except Exception:  # noqa: BLE001 - the database may be down for a moment
            pass
        await asyncio.sleep(0.5)
    return False, last


def start_suite(
    stack: Stack, send_rate: float = 0
) -> tuple[dict[str, ServiceProcess], list[ServiceProcess]]:
    quiet = {"BEACON_LOG_LEVEL": "WARNING", "BEACON_VENDOR_SECRET": VENDOR_SECRET}
    procs: dict[str, ServiceProcess] = {}
    procs["vendor"] = stack.start_vendor(
        wait=False,
        BEACON_VENDOR_DELAY_MIN_S="0.05",
        BEACON_VENDOR_DELAY_MAX_S="0.5",
        # The vendor misbehaves too: a few send requests fail, a few callbacks come twice.
        BEACON_VENDOR_ERROR_RATE="0.02",
        BEACON_VENDOR_DUPLICATE_CALLBACK_RATE="0.02",
        **quiet,
    )
    for service in WORKERS:
        procs[f"{service}-api"] = stack.start(service, "api", wait=False, **quiet)
    for service in WORKERS:
        extra = {}
        if service == "delivery":
            extra = {
                "BEACON_VENDOR_URL": procs["vendor"].url,
                "BEACON_DELIVERY_PUBLIC_URL": procs["delivery-api"].url,
                "BEACON_SEND_RATE_LIMIT": str(send_rate),
            }
        procs[f"{service}-worker"] = stack.start(service, "worker", wait=False, **quiet, **extra)
    for process in procs.values():
        process.wait_ready(timeout=180)
    workers = [procs[f"{s}-worker"] for s in WORKERS]
    return procs, workers


async def run_chaos(backends: Backends, stack: Stack, cfg: ChaosConfig) -> ChaosResult:
    rng = random.Random(cfg.seed)
    began = time.monotonic()
    faults, clients = FaultLog(), ClientLog()
    data = dataset(cfg.recipients, cfg.bystanders, cfg.orders, cfg.seed)
    procs, workers = start_suite(stack, cfg.send_rate)
    faults.note("suite ready")
    supervisor = Supervisor(list(procs.values()), faults)
    done = asyncio.Event()
    background = [
        asyncio.create_task(supervisor.run()),
        asyncio.create_task(
            kill_workers(
                workers,
                supervisor,
                faults,
                every_s=cfg.kill_every_s,
                min_kills=cfg.min_kills,
                done=done,
                rng=rng,
            )
        ),
    ]
    notes: dict[str, str] = {}
    campaign_id: str | None = None
    try:
        campaign_id = await _ingest_phase(stack, procs, cfg, data, faults, clients, backends, notes)
        await _campaign_phase(
            stack, procs, supervisor, cfg, data, faults, backends, notes, campaign_id
        )
    except BaseException:
        # Interrupted or broken: stop restarting and killing at once, so the stack's
        # clean-up is not undone by the supervisor.
        supervisor.stop()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        raise
    done.set()
    await background[1]  # the killer stops once it has done its minimum
    supervisor.stop()
    await background[0]
    for process in procs.values():  # the last kill may have come after the supervisor stopped
        if process.proc is not None and process.proc.poll() is not None:
            process.start(wait=False)
            faults.restarts[name_of(process)] += 1
    for process in procs.values():
        await asyncio.to_thread(process.wait_ready, 180)
    faults.note("every process ready again; accounting")
    tallies = await _account(stack, procs, cfg, data, clients, notes, campaign_id)
    report = render(cfg.mode, time.monotonic() - began, faults, clients, tallies)
    if notes:
        report += "\n\n" + "\n".join(f"- {k}: {v}" for k, v in notes.items())
    report += "\n\nTimeline:\n" + "\n".join(f"    {line}" for line in faults.timeline)
    return ChaosResult(report, tallies, faults)


async def _ingest_phase(
    stack: Stack,
    procs: dict[str, ServiceProcess],
    cfg: ChaosConfig,
    data: Any,
    faults: FaultLog,
    clients: ClientLog,
    backends: Backends,
    notes: dict[str, str],
) -> str:
    half = asyncio.Event()

    def progress(accepted: int) -> None:
        if accepted >= cfg.orders // 2:
            half.set()

    async def broker_fault() -> None:
        await half.wait()
        await restart_broker(backends, faults)

    fault = asyncio.create_task(broker_fault())
    ingest = procs["ingest-api"].url
    give_up = cfg.deadline_s
    auth = stack.headers("admin", ttl_s=TOKEN_TTL_S)
    await asyncio.gather(
        post_all(
            f"{ingest}/api/v1/customers",
            "customers",
            data.customers,
            "customer_id",
            cfg.customer_batch,
            clients,
            concurrency=1,
            give_up_s=give_up,
            headers=auth,
        ),
        post_all(
            f"{ingest}/api/v1/orders",
            "orders",
            data.orders,
            "order_id",
            cfg.order_batch,
            clients,
            concurrency=cfg.concurrency,
            give_up_s=give_up,
            headers=auth,
            progress=progress,
        ),
    )
    half.set()
    await fault
    faults.note("all customers and orders accepted")
    stored, _ = await settle(
        lambda: stack.scalar(
            "segments", "SELECT COALESCE(SUM(visits), 0) + COALESCE(SUM(known), 0) FROM profiles"
        ),
        lambda n: n == cfg.orders + len(data.customers),
        timeout=cfg.deadline_s,
    )
    if not stored:
        notes["ingest phase"] = f"profiles not complete after {cfg.deadline_s:.0f} s"
    faults.note("profiles projected" if stored else "profiles NOT projected by the deadline")
    return await _create_campaign(
        procs["campaigns-api"].url, len(data.audience), clients, cfg, auth
    )


async def _create_campaign(
    url: str, audience: int, clients: ClientLog, cfg: ChaosConfig, auth: dict[str, str]
) -> str:
    body = {
        "name": "Chaos",
        "message": "Hi {first_name|there}, this one arrives exactly once.",
        "rules": {
            "combinator": "and",
            "rules": [{"field": "email", "operator": "contains", "value": AUDIENCE_DOMAIN}],
        },
        "confirm_audience_size": audience,
    }
    deadline = time.monotonic() + cfg.deadline_s
    async with httpx.AsyncClient(timeout=30, headers=auth) as client:
        while True:
            try:
                response = await client.post(f"{url}/api/v1/campaigns", json=body)
                clients.answers[f"campaign {response.status_code}"] += 1
                if response.status_code == 201:
                    return str(response.json()["id"])
                if 400 <= response.status_code < 500:
                    raise AssertionError(
                        f"campaign refused: {response.status_code} {response.text[:500]}"
                    )
            except httpx.TransportError as error:
                # Not sent at all (connect) is safe to retry; anything else may have created it.
                clients.answers[f"campaign {type(error).__name__}"] += 1
                if not isinstance(error, httpx.ConnectError):
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError("the campaign could not be created")
            await asyncio.sleep(1.0)


async def _campaign_phase(
    stack: Stack,
    procs: dict[str, ServiceProcess],
    supervisor: Supervisor,
    cfg: ChaosConfig,
    data: Any,
    faults: FaultLog,
    backends: Backends,
    notes: dict[str, str],
    campaign_id: str,
) -> None:
    faults.note(f"campaign {campaign_id} created")

    async def sent_rows() -> int:
        return int(
            await stack.scalar(
                "delivery",
                "SELECT COUNT(*) FROM communications_log WHERE campaign_id = :c AND status IN ('SENT', 'FAILED')",
                c=campaign_id,
            )
        )

    # The sender dies mid-send (on top of the random kills), then the database restarts.
    audience = len(data.audience)
    if not (await settle(sent_rows, lambda n: n >= audience // 10, timeout=cfg.deadline_s))[0]:
        notes["campaign phase"] = "a tenth of the messages was not final in time"
    await kill(procs["delivery-worker"], supervisor, faults)
    await settle(sent_rows, lambda n: n >= audience // 3, timeout=cfg.deadline_s)
    await restart_db(backends, faults)

    async def progress() -> tuple[int, int]:
        rows = await stack.rows(
            "delivery",
            "SELECT status, COUNT(*) AS n FROM communications_log WHERE campaign_id = :c GROUP BY status",
            c=campaign_id,
        )
        by = {r.status: r.n for r in rows}
        return sum(by.values()), sum(n for s, n in by.items() if s not in FINAL)

    finished, last = await settle(
        progress, lambda p: p[0] == len(data.audience) and p[1] == 0, timeout=cfg.deadline_s
    )
    faults.note(
        "every message final" if finished else f"messages NOT final by the deadline: {last}"
    )
    if not finished:
        notes["campaign phase"] = f"(rows, not final) = {last} after {cfg.deadline_s:.0f} s"


async def _account(
    stack: Stack,
    procs: dict[str, ServiceProcess],
    cfg: ChaosConfig,
    data: Any,
    clients: ClientLog,
    notes: dict[str, str],
    campaign_id: str | None,
) -> list[Tally]:
    tallies: list[Tally] = []
    orders = [r.order_id for r in await stack.rows("ingest", "SELECT order_id FROM orders")]
    tallies.append(
        count("orders stored = orders accepted", clients.accepted.get("orders", set()), orders)
    )
    customers = [
        r.customer_id
        for r in await stack.rows(
            "ingest", "SELECT customer_id FROM customers WHERE state = 'active'"
        )
    ]
    tallies.append(
        count(
            "customers stored = customers accepted",
            clients.accepted.get("customers", set()),
            customers,
        )
    )

    expected = expected_profiles(data.orders)
    profiles = {
        r.customer_id: (Decimal(r.total_spend), int(r.visits))
        for r in await stack.rows(
            "segments", "SELECT customer_id, total_spend, visits FROM profiles"
        )
    }
    wrong = sum(1 for cid, want in expected.items() if profiles.get(cid) != want)
    extra = sum(
        1 for cid, got in profiles.items() if cid not in expected and got != (Decimal(0), 0)
    )
    tallies.append(check("profile totals = sums over orders", len(expected) - wrong, wrong + extra))

    if campaign_id is None:
        return tallies
    rows = await stack.rows(
        "delivery",
        "SELECT customer_id, message_id, status FROM communications_log WHERE campaign_id = :c",
        c=campaign_id,
    )
    tallies.append(
        count("one log row per audience member", data.audience, [r.customer_id for r in rows])
    )
    open_rows = sum(1 for r in rows if r.status not in FINAL)
    tallies.append(check("every log row final (SENT/FAILED)", len(rows) - open_rows, open_rows))
    by_status = Counter(r.status for r in rows)

    async with httpx.AsyncClient(
        timeout=30, headers=stack.headers("admin", ttl_s=TOKEN_TTL_S)
    ) as client:

        async def stats() -> dict[str, Any]:
            response = await client.get(
                f"{procs['stats-api'].url}/api/v1/stats/campaigns/{campaign_id}"
            )
            return dict(response.json()) if response.status_code == 200 else {}

        want = {
            "audience_size": len(data.audience),
            "sent": by_status["SENT"],
            "failed": by_status["FAILED"],
            "pending": 0,
        }
        _, got = await settle(
            stats, lambda s: all(s.get(k) == v for k, v in want.items()), timeout=60
        )
        got = got or {}
        bad = [f"{k} {got.get(k)} != {v}" for k, v in want.items() if got.get(k) != v]
        tallies.append(check("stats = log", len(want) - len(bad), len(bad), "; ".join(bad)))

        campaign = (
            await client.get(f"{procs['campaigns-api'].url}/api/v1/campaigns/{campaign_id}")
        ).json()
        status_ok = campaign.get("status") == "completed"
        tallies.append(
            check(
                "campaign completed",
                int(status_ok),
                int(not status_ok),
                str(campaign.get("status")),
            )
        )

        vendor_probe = f"{procs['vendor'].url}/vendor/v1/stats"
        _, vendor = await settle(
            lambda: _json(client, vendor_probe),
            lambda v: v.get("pending_receipts") == 0,
            timeout=60,
        )
        vendor = vendor or {}
    unique = int(vendor.get("unique", 0))
    twice = int(vendor.get("max_delivered", 0)) > 1
    tallies.append(
        Tally(
            "no customer messaged twice (vendor's count)",
            ok=min(unique, len(data.audience)),
            lost=max(len(data.audience) - unique, 0),
            duplicated=int(twice),
            unexpected=max(unique - len(data.audience), 0),
            note=f"vendor received {vendor.get('received')} sends, {vendor.get('duplicates')} repeats deduped, max delivered {vendor.get('max_delivered')}",
        )
    )
    vendor_status = vendor.get("by_status", {})
    mismatch = abs(vendor_status.get("SENT", 0) - by_status["SENT"]) + abs(
        vendor_status.get("FAILED", 0) - by_status["FAILED"]
    )
    tallies.append(
        check(
            "log status = vendor's outcome",
            len(rows) - mismatch,
            mismatch,
            f"vendor {vendor_status}, log {dict(by_status)}",
        )
    )

    names = [stack.settings.amqp_name(spec.name) for spec in known_queues()]
    _, depths = await settle(
        lambda: queue_depths(stack.amqp_url, names), lambda d: not any(d.values()), timeout=60
    )
    stuck = {k: v for k, v in (depths or {}).items() if v}
    tallies.append(
        check(
            "consumer queues drained (nothing stuck)",
            len(names) - len(stuck),
            len(stuck),
            str(stuck) if stuck else "",
        )
    )

    parked = [p for found in (await all_dlqs(stack)).values() for p in found]
    unexplained = [p for p in parked if not p.reason]
    reasons = Counter(f"{p.queue}: {(p.reason or '')[:80]}" for p in parked)
    tallies.append(
        check(
            "DLQ empty or each parked message explained",
            len(parked) - len(unexplained),
            len(unexplained),
            "empty" if not parked else "; ".join(f"{n} × {r}" for r, n in reasons.items()),
        )
    )
    return tallies


async def _json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    return dict((await client.get(url)).json())
