"""How big and how rough a chaos run is: ``short`` (CI) or ``long`` (documented run).

``BEACON_CHAOS=long`` (or ``make test-chaos-long``) picks the long run; single numbers can be
overridden with ``BEACON_CHAOS_ORDERS``, ``BEACON_CHAOS_RECIPIENTS``, ``BEACON_CHAOS_KILLS``,
``BEACON_CHAOS_DEADLINE_S`` (how long each phase may take to settle).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ChaosConfig:
    mode: str
    orders: int
    recipients: int  # customers in the campaign's audience
    bystanders: int  # customers outside it (the rule must leave them out)
    min_kills: int  # SIGKILLs of random workers, at least
    kill_every_s: tuple[float, float]  # a kill every uniform(a, b) seconds
    order_batch: int
    customer_batch: int
    concurrency: int  # client requests in flight
    deadline_s: float  # for each phase to settle
    send_rate: int  # messages/s the delivery worker may send, so the campaign lasts a while
    seed: int = 7


SHORT = ChaosConfig(
    mode="short",
    orders=10_000,
    recipients=5_000,
    bystanders=1_000,
    min_kills=5,
    kill_every_s=(6.0, 10.0),
    order_batch=100,
    customer_batch=500,
    concurrency=4,
    deadline_s=180.0,
    send_rate=200,
)
LONG = ChaosConfig(
    mode="long",
    orders=100_000,
    recipients=50_000,
    bystanders=5_000,
    min_kills=50,
    kill_every_s=(3.0, 6.0),
    order_batch=250,
    customer_batch=1000,
    concurrency=6,
    deadline_s=900.0,
    send_rate=1000,
)


def chaos_config() -> ChaosConfig:
    base = LONG if os.environ.get("BEACON_CHAOS", "short").strip().lower() == "long" else SHORT
    overrides: dict[str, Any] = {
        "orders": os.environ.get("BEACON_CHAOS_ORDERS"),
        "recipients": os.environ.get("BEACON_CHAOS_RECIPIENTS"),
        "min_kills": os.environ.get("BEACON_CHAOS_KILLS"),
    }
    chosen: dict[str, Any] = {k: int(v) for k, v in overrides.items() if v}
    config = replace(base, **chosen)
    deadline = os.environ.get("BEACON_CHAOS_DEADLINE_S")  # per phase; a busy machine needs more
    return replace(config, deadline_s=float(deadline)) if deadline else config
