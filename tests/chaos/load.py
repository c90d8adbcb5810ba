"""The chaos run's clients: post batches until each is accepted, and count what happened.

A client retries on 503 (a dependency is down), on 5xx and on connection errors, as a
shop's backend should; only a 202 counts as accepted. A 4xx on this valid data is a bug
and stops the run.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx


@dataclass
class ClientLog:
    accepted: dict[str, set[str]] = field(default_factory=dict)  # kind -> ids from 202s
    answers: Counter[str] = field(default_factory=Counter)  # "202", "503", "ConnectError"...
    retries: int = 0


class RejectedError(AssertionError):
    """The service refused valid data with a 4xx."""


async def post_until_accepted(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], log: ClientLog, *, give_up_s: float
) -> None:
    delay = 0.2
    deadline = asyncio.get_running_loop().time() + give_up_s
    while True:
        try:
            response = await client.post(url, json=body)
            outcome = str(response.status_code)
        except httpx.HTTPError as error:
            response, outcome = None, type(error).__name__
        log.answers[outcome] += 1
        if response is not None and response.status_code == 202:
            return
        if response is not None and 400 <= response.status_code < 500:
            raise RejectedError(f"{url} answered {response.status_code}: {response.text[:500]}")
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{url} did not accept a batch within {give_up_s}s (last {outcome})")
        log.retries += 1
        retry_after = response.headers.get("retry-after") if response is not None else None
        wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
        await asyncio.sleep(min(wait, 5.0))
        delay = min(delay * 2, 2.0)


async def post_all(
    url: str,
    kind: str,
    items: Sequence[dict[str, Any]],
    key: str,
    batch: int,
    log: ClientLog,
    *,
    concurrency: int,
    give_up_s: float,
    headers: dict[str, str] | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Post ``items`` in batches, ``concurrency`` at a time; record accepted ids by ``key``."""
    accepted = log.accepted.setdefault(kind, set())
    batches = [list(items[i : i + batch]) for i in range(0, len(items), batch)]
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for chunk in batches:
        queue.put_nowait(chunk)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as client:

        async def worker() -> None:
            while not queue.empty():
                chunk = queue.get_nowait()
                await post_until_accepted(client, url, {"items": chunk}, log, give_up_s=give_up_s)
                accepted.update(item[key] for item in chunk)
                progress(len(accepted))

        await asyncio.gather(*(worker() for _ in range(concurrency)))


@dataclass(frozen=True)
class Dataset:
    customers: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    audience: set[str]  # customer ids the campaign's rule selects


AUDIENCE_DOMAIN = "@chaos.example"


def dataset(recipients: int, bystanders: int, orders: int, seed: int) -> Dataset:
    """Customers (the audience has an ``@chaos.example`` email, bystanders do not) and
    orders spread over all of them, with awkward names and amounts."""
    rng = random.Random(seed)
    names = ["Zoë Ñandú", "राम शर्मा", "O'Brien", "Łukasz", "Priya 🌸", "Ana"]
    customers = []
    for i in range(recipients + bystanders):
        domain = AUDIENCE_DOMAIN if i < recipients else "@elsewhere.example"
        customers.append(
            {"customer_id": f"k{i}", "name": f"{rng.choice(names)} {i}", "email": f"u{i}{domain}"}
        )
    bought = [
        {
            "order_id": f"q{i}",
            "customer_id": f"k{rng.randrange(recipients + bystanders)}",
            "amount": f"{rng.randrange(0, 2_000_000) / 100:.2f}",
            "ordered_at": f"2026-{rng.randrange(1, 11):02d}-{rng.randrange(1, 28):02d}T10:00:00Z",
        }
        for i in range(orders)
    ]
    return Dataset(customers, bought, {f"k{i}" for i in range(recipients)})


def expected_profiles(orders: Sequence[dict[str, Any]]) -> dict[str, tuple[Decimal, int]]:
    """customer id -> (total spend, visits), summed over the orders."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for o in orders:
        spend, visits = totals.get(o["customer_id"], (Decimal(0), 0))
        totals[o["customer_id"]] = (spend + Decimal(o["amount"]), visits + 1)
    return totals
