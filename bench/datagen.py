"""Seeded, realistic-looking demo and benchmark data: Indian customers and their orders.

Importable::

    customers = generate_customers(5_000, seed=42)
    orders = generate_orders(customers, 50_000, seed=42)

and a command line that loads the data into a running ingest service and waits until it is
stored (what ``make up`` calls for the demo data)::

    python -m bench.datagen load --customers 5000 --orders 50000 \\
        --url http://127.0.0.1:8001 --seed 42

The shape of the data:

* names: Indian first and last names from every region (ASCII transliterations, a few with
  diacritics, a few with an apostrophe);
* cities: about 35 Indian cities weighted by population, a few customers without one;
* email: derived from the name on common Indian mail domains, about 6 % missing;
* phone: Indian mobile numbers (10 digits starting 6-9) written the ways people write them
  (``+91 98xxx xxxxx``, ``+9198...``, ``98...``, ``098...``), about 9 % missing;
* ``created_at``: over the last three years, more sign-ups recently;
* orders per customer: long-tailed (many customers with 0-3, a few with dozens or more,
  about 1 in 5 with none); each customer is active in a window after sign-up and about 45 %
  stop buying at some point, so "no order in the last 90 days" is a real fraction;
* amounts: log-normal INR with a median near 800, a handful above 50,000, two decimals,
  sent as strings so they stay exact;
* ``ordered_at``: after the customer's ``created_at``, never in the future;
* marketing consent: email, SMS and WhatsApp each with when and where it was given (a
  checkout box, a sign-up form, the shop's counter), more often declined or never asked
  than given, none for a channel the customer has no address for;
* order status: most paid, a few pending (cash on delivery), refunded, partly refunded,
  cancelled or failed (README's spend and visit rules count them).

Everything is a pure function of the seed and of ``now`` (by default the start of the
current UTC day, so two runs on the same day produce identical data; pass ``now`` for full
reproducibility). Ids are ``CUST-000001`` and ``ORD-0000001``; orders are numbered in the
order they were placed. Re-loading with the same seed resends the same ids: customers are
upserted and orders are stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.auth import auth_headers

FIRST_NAMES: tuple[str, ...] = (
    # north
    "Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Rahul", "Amit", "Vikram", "Karan", "Nikhil",
    "Saurabh", "Manish", "Deepak", "Rajesh", "Sanjay", "Ishaan", "Kabir", "Pooja", "Neha",
    "Priya", "Anjali", "Ritu", "Sneha", "Kavita", "Sunita", "Aanya", "Diya", "Myra", "Saanvi",
    "Anika",
    # punjab
    "Harpreet", "Gurpreet", "Manpreet", "Jaspreet", "Simran", "Navjot",
    # south
    "Karthik", "Venkatesh", "Srinivas", "Arun", "Suresh", "Ramesh", "Ganesh", "Anand", "Vijay",
    "Prakash", "Balaji", "Sai", "Praveen", "Vishnu", "Rajeev", "Anoop", "Lakshmi", "Divya",
    "Meera", "Harini", "Keerthi", "Nithya", "Swathi", "Revathi", "Madhavi", "Sreeja", "Gopika",
    "Aswathy", "Shreya",
    # east and north-east
    "Sourav", "Debashish", "Arnab", "Subhajit", "Prasenjit", "Bikash", "Pritam", "Ananya",
    "Riya", "Tanushree", "Bidisha", "Moumita", "Rupali", "Jyoti", "Tenzin", "Bhaskar",
    # west
    "Rushikesh", "Sagar", "Tejas", "Dhruv", "Jignesh", "Krunal", "Mehul", "Nirav", "Parth",
    "Chirag", "Aishwarya", "Rutuja", "Hetal", "Komal", "Bhavna", "Urvashi",
    # across communities
    "Farhan", "Imran", "Sameer", "Ayesha", "Zoya", "Fatima", "Joseph", "Thomas", "Anthony",
    "Mary", "Francis",
    # a few written with diacritics
    "Lakṣmī", "Sūrya", "Śreyā",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    # north
    "Sharma", "Verma", "Gupta", "Agarwal", "Singh", "Kumar", "Yadav", "Mishra", "Pandey",
    "Tiwari", "Srivastava", "Chauhan", "Rathore", "Saxena", "Joshi", "Malhotra", "Kapoor",
    "Khanna", "Mehra", "Chopra", "Sethi", "Arora", "Bansal", "Goel", "Jain", "Sinha", "Thakur",
    "Dubey", "Tripathi",
    # punjab
    "Gill", "Sandhu", "Dhillon", "Grewal", "Sidhu", "Bajwa",
    # south
    "Iyer", "Iyengar", "Rao", "Reddy", "Naidu", "Pillai", "Nair", "Menon", "Kurup", "Krishnan",
    "Subramanian", "Venkataraman", "Raghavan", "Srinivasan", "Natarajan", "Gowda", "Hegde",
    "Shetty", "Kamath", "Pai", "Bhat", "Shenoy", "Chettiar", "Murugan",
    # east and north-east
    "Banerjee", "Chatterjee", "Mukherjee", "Ganguly", "Bose", "Das", "Dutta", "Ghosh", "Sen",
    "Roy", "Chakraborty", "Mitra", "Majumdar", "Mohanty", "Patnaik", "Mahapatra", "Baruah",
    "Bora", "Gogoi",
    # west
    "Patel", "Shah", "Mehta", "Desai", "Modi", "Trivedi", "Parikh", "Patil", "Deshmukh",
    "Kulkarni", "Jadhav", "Pawar", "Shinde", "Gaikwad", "Deshpande", "Bhosale", "Naik",
    # across communities
    "Fernandes", "D'Souza", "Pereira", "Rodrigues", "George", "Varghese", "Khan", "Ahmed",
    "Qureshi", "Siddiqui", "Ansari", "Shaikh", "Hussain",
    # a few written with diacritics
    "Bhaṭṭācārya", "Nāyar",
)  # fmt: skip

# City and approximate urban population in millions (the weight of the city).
CITIES: tuple[tuple[str, float], ...] = (
    ("Delhi", 32.0), ("Mumbai", 21.0), ("Kolkata", 15.0), ("Bengaluru", 13.0),
    ("Chennai", 11.5), ("Hyderabad", 10.5), ("Ahmedabad", 8.5), ("Pune", 7.0), ("Surat", 7.0),
    ("Jaipur", 4.0), ("Lucknow", 3.8), ("Kanpur", 3.2), ("Indore", 3.2), ("Nagpur", 3.0),
    ("Coimbatore", 2.5), ("Patna", 2.5), ("Bhopal", 2.4), ("Ghaziabad", 2.4),
    ("Visakhapatnam", 2.3), ("Vadodara", 2.2), ("Kochi", 2.2), ("Nashik", 2.0),
    ("Ludhiana", 1.9), ("Agra", 1.9), ("Thiruvananthapuram", 1.7), ("Madurai", 1.6),
    ("Varanasi", 1.6), ("Ranchi", 1.5), ("Raipur", 1.4), ("Guwahati", 1.2), ("Chandigarh", 1.2),
    ("Mysuru", 1.2), ("Bhubaneswar", 1.1), ("Dehradun", 0.8), ("Mangaluru", 0.7),
)  # fmt: skip

MAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.56), ("yahoo.co.in", 0.12), ("outlook.com", 0.10), ("rediffmail.com", 0.06),
    ("hotmail.com", 0.06), ("icloud.com", 0.04), ("yahoo.com", 0.06),
)  # fmt: skip

HISTORY_DAYS = 3 * 365
# Consent per channel (given, declined; the rest never asked), of customers with an address.
CONSENT = {"email": (0.55, 0.30), "sms": (0.40, 0.35), "whatsapp": (0.30, 0.25)}
CONSENT_SOURCES = ("checkout", "signup form", "shop counter")
# Order statuses and their share (a refunded order gives all back, a partly one 10-60 %).
STATUSES: tuple[tuple[str, float], ...] = (
    ("paid", 0.915), ("pending", 0.03), ("refunded", 0.02), ("partially_refunded", 0.015),
    ("cancelled", 0.012), ("failed", 0.008),
)  # fmt: skip
EMAIL_MISSING = 0.06
PHONE_MISSING = 0.09
CITY_MISSING = 0.02
NO_ORDERS = 0.08  # customers who never want to order (a few more get none by chance)
CHURNED = 0.45  # customers who stop ordering at some point after they joined
AMOUNT_MEDIAN_INR = 800.0
AMOUNT_SIGMA = 1.1  # log-normal spread: P(amount > 50,000) is about 1e-4
MAX_AMOUNT_INR = 9_999_999.0
BLOCK = 1024  # customers come from per-block random streams: a longer list extends a shorter


def default_now() -> datetime:
    """The anchor of generated times: the start of the current UTC day."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def iso(value: datetime) -> str:
    """``2025-03-01T10:22:33Z``: UTC, whole seconds, as a shop would send it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _ascii(text: str) -> str:
    """Lower-case ASCII letters only, for the local part of an email address."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _email(rng: np.random.Generator, first: str, last: str, domain: str) -> str:
    f, lst = _ascii(first), _ascii(last)
    style = int(rng.integers(6))
    number = int(rng.integers(1, 100))
    local = (
        f"{f}.{lst}",
        f"{f}{lst}",
        f"{f}_{lst}{number}",
        f"{f}{number}",
        f"{f[:1]}.{lst}",
        f"{f}.{lst}{1970 + number % 40}",
    )[style]
    return f"{local}@{domain}"


def _phone(rng: np.random.Generator) -> str:
    digits = f"{int(rng.integers(6, 10))}{int(rng.integers(0, 10**9)):09d}"
    style = int(rng.integers(10))
    if style < 4:
        return f"+91 {digits[:5]} {digits[5:]}"
    if style < 7:
        return f"+91{digits}"
    if style < 9:
        return digits
    return f"0{digits}"


def _weighted(options: Sequence[tuple[str, float]]) -> tuple[list[str], np.ndarray]:
    names = [name for name, _ in options]
    weights = np.array([w for _, w in options], dtype=float)
    return names, weights / weights.sum()


def generate_customers(
    n: int, seed: int, *, now: datetime | None = None, start: int = 1
) -> list[dict[str, Any]]:
    """``n`` customers ``CUST-{start:06d}`` onwards, deterministic for ``seed`` and ``now``.

    Each is a dict ready for ``POST /api/v1/customers``: ``customer_id``, ``name``,
    ``email`` and ``phone`` (``None`` for a few), ``city`` (``None`` for a few) and
    ``created_at`` (ISO 8601, UTC, within the last three years and at least a day ago).
    Customer ``k`` is the same whatever ``n`` and ``start`` are: loading more customers later
    extends the demo data instead of rewriting it.
    """
    now = now or default_now()
    out: list[dict[str, Any]] = []
    first_block, last_block = (start - 1) // BLOCK, (start - 1 + n - 1) // BLOCK
    for block in range(first_block, last_block + 1) if n > 0 else ():
        for i, customer in enumerate(_customer_block(block, seed, now)):
            if start <= block * BLOCK + i + 1 < start + n:
                out.append(customer)
    return out


def _customer_block(block: int, seed: int, now: datetime) -> list[dict[str, Any]]:
    """Customers ``block * BLOCK + 1`` to ``(block + 1) * BLOCK``, from their own stream."""
    n = BLOCK
    rng = np.random.default_rng([seed, 1, block])
    cities, city_p = _weighted(CITIES)
    domains, domain_p = _weighted(MAIL_DOMAINS)
    firsts = rng.integers(len(FIRST_NAMES), size=n)
    lasts = rng.integers(len(LAST_NAMES), size=n)
    city_idx = rng.choice(len(cities), size=n, p=city_p)
    domain_idx = rng.choice(len(domains), size=n, p=domain_p)
    # More sign-ups recently: the position in the three-year history skews towards now.
    position = rng.random(n) ** (1 / 1.6)
    age_s = (1 - position) * (HISTORY_DAYS - 1) * 86400 + 86400
    missing = rng.random((n, 3))
    # Consent from a stream of its own, so adding it changed none of the values above.
    said = np.random.default_rng([seed, 3, block])
    out: list[dict[str, Any]] = []
    for i in range(n):
        first, last = FIRST_NAMES[firsts[i]], LAST_NAMES[lasts[i]]
        joined = now - timedelta(seconds=int(age_s[i]))
        customer = {
            "customer_id": f"CUST-{block * BLOCK + i + 1:06d}",
            "name": f"{first} {last}",
            "email": None
            if missing[i, 0] < EMAIL_MISSING
            else _email(rng, first, last, domains[domain_idx[i]]),
            "phone": None if missing[i, 1] < PHONE_MISSING else _phone(rng),
            "city": None if missing[i, 2] < CITY_MISSING else cities[city_idx[i]],
            "created_at": iso(joined),
        }
        customer.update(_consent(said, customer, joined))
        out.append(customer)
    return out


def _consent(
    rng: np.random.Generator, customer: dict[str, Any], joined: datetime
) -> dict[str, Any]:
    """What a customer said about marketing on each channel they have an address for, and
    when and where (at sign-up, as most shops ask)."""
    out: dict[str, Any] = {}
    draws = rng.random(len(CONSENT))
    for draw, (channel, (given, declined)) in zip(draws, CONSENT.items(), strict=True):
        address = customer["email"] if channel == "email" else customer["phone"]
        if address is None or draw >= given + declined:
            continue
        out[f"accepts_{channel}_marketing"] = bool(draw < given)
    if out:
        out["consent_at"] = customer["created_at"]
        out["consent_source"] = CONSENT_SOURCES[int(rng.integers(len(CONSENT_SOURCES)))]
    del joined  # consent is given when joining: the time is created_at
    return out


def generate_orders(
    customers: Sequence[dict[str, Any]],
    n_orders: int,
    seed: int,
    *,
    now: datetime | None = None,
    id_prefix: str = "ORD-",
    id_width: int = 7,
    start: int = 1,
    statuses: bool = False,
) -> list[dict[str, Any]]:
    """Exactly ``n_orders`` orders of ``customers``, numbered in the order they were placed.

    Each is a dict ready for ``POST /api/v1/orders``: ``order_id``
    (``{id_prefix}{number:0{id_width}d}``, from ``start``), ``customer_id``, ``amount`` (a
    string with two decimals) and ``ordered_at`` (ISO 8601, UTC, after the customer's
    ``created_at`` and not after ``now``). With ``statuses`` (the demo data), a few are
    pending, refunded, partly refunded, cancelled or failed (``STATUSES``); without, all are
    paid, so every order is a visit (what the benchmarks count).
    """
    if n_orders < 0:
        raise ValueError("n_orders must be >= 0")
    if n_orders and not customers:
        raise ValueError("orders need at least one customer")
    if not n_orders:
        return []
    now = now or default_now()
    rng = np.random.default_rng([seed, 2])
    n = len(customers)
    now_s = now.timestamp()
    created_s = np.array([parse_iso(c["created_at"]).timestamp() for c in customers])
    # Long tail of activity: log-normal appetite, capped so no one buys a quarter of it all;
    # some customers never buy.
    appetite = np.minimum(rng.lognormal(0.0, 1.5, size=n), 30.0)
    appetite[rng.random(n) < NO_ORDERS] = 0.0
    if appetite.sum() == 0:
        appetite[:] = 1.0
    counts = rng.multinomial(n_orders, appetite / appetite.sum())
    # Each customer buys from a minute after joining until now, or until they churn.
    first_s = np.minimum(created_s + 60.0, now_s)
    last_s = np.where(rng.random(n) < CHURNED, first_s + rng.random(n) * (now_s - first_s), now_s)
    owner = np.repeat(np.arange(n), counts)
    when = first_s[owner] + rng.random(n_orders) * (last_s[owner] - first_s[owner])
    when = np.floor(np.minimum(when, now_s))
    cents = np.round(
        np.minimum(rng.lognormal(np.log(AMOUNT_MEDIAN_INR), AMOUNT_SIGMA, n_orders), MAX_AMOUNT_INR)
        * 100
    ).astype(np.int64)
    cents = np.maximum(cents, 100)  # nothing under 1 rupee
    order = np.argsort(when, kind="stable")
    # Statuses from a stream of their own: the orders above are what they were before.
    fate = np.random.default_rng([seed, 4])
    names, shares = _weighted(STATUSES)
    status = fate.choice(len(names), size=n_orders, p=shares)
    kept_share = fate.uniform(0.4, 0.9, size=n_orders)
    out: list[dict[str, Any]] = []
    for rank, k in enumerate(order.tolist()):
        c = int(cents[k])
        item = {
            "order_id": f"{id_prefix}{start + rank:0{id_width}d}",
            "customer_id": customers[int(owner[k])]["customer_id"],
            "amount": f"{c // 100}.{c % 100:02d}",
            "ordered_at": iso(datetime.fromtimestamp(float(when[k]), UTC)),
        }
        state = names[int(status[k])] if statuses else "paid"
        if state != "paid":
            item["status"] = state
        if state == "partially_refunded":
            back = c - max(1, int(c * float(kept_share[k])))
            item["refunded_amount"] = f"{back // 100}.{back % 100:02d}"
        out.append(item)
    return out


def summarize(
    customers: Sequence[dict[str, Any]], orders: Sequence[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """A few facts about generated data, to see that the spread is what it should be."""
    per_customer: dict[str, int] = {}
    last_order: dict[str, str] = {}
    for o in orders:
        per_customer[o["customer_id"]] = per_customer.get(o["customer_id"], 0) + 1
        last_order[o["customer_id"]] = max(last_order.get(o["customer_id"], ""), o["ordered_at"])
    counts = np.array([per_customer.get(c["customer_id"], 0) for c in customers])
    amounts = np.array([float(o["amount"]) for o in orders]) if orders else np.zeros(1)
    cutoff = iso(now - timedelta(days=90))
    buyers = [cid for cid in per_customer]
    return {
        "customers": len(customers),
        "orders": len(orders),
        "customers_without_orders": int((counts == 0).sum()),
        "customers_with_0_to_3_orders": int((counts <= 3).sum()),
        "customers_with_24_or_more_orders": int((counts >= 24).sum()),
        "max_orders_of_one_customer": int(counts.max()) if len(counts) else 0,
        "buyers_without_order_in_last_90_days": sum(1 for c in buyers if last_order[c] < cutoff),
        "amount_median": round(float(np.median(amounts)), 2),
        "amount_p99": round(float(np.percentile(amounts, 99)), 2),
        "amounts_over_50000": int((amounts > 50_000).sum()),
        "email_missing": sum(1 for c in customers if c["email"] is None),
        "phone_missing": sum(1 for c in customers if c["phone"] is None),
    }


# --------------------------------------------------------------------------- loading


async def _wait_ready(url: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = ""
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                response = await client.get(f"{url}/readyz")
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                last = repr(error)
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s: {last}")


async def post_batches(
    url: str, path: str, items: Sequence[dict[str, Any]], *, batch: int, concurrency: int
) -> list[str]:
    """POST ``items`` in batches; every answer must be 202. Returns the event ids in order."""
    import httpx
    import orjson

    bodies = [orjson.dumps({"items": items[i : i + batch]}) for i in range(0, len(items), batch)]
    event_ids: list[str] = [""] * len(bodies)
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, timeout=60.0, limits=limits, headers=auth_headers()
    ) as client:

        async def send(index: int, body: bytes) -> None:
            async with gate:
                response = await client.post(
                    path, content=body, headers={"content-type": "application/json"}
                )
            if response.status_code != 202:
                raise RuntimeError(
                    f"POST {path} batch {index} answered {response.status_code}: "
                    f"{response.text[:500]}"
                )
            event_ids[index] = str(response.json()["event_id"])

        await asyncio.gather(*(send(i, b) for i, b in enumerate(bodies)))
    return event_ids


async def _stored(
    mysql_url: str,
    schema: str,
    customers: Sequence[dict[str, Any]],
    orders: Sequence[dict[str, Any]],
    event_ids: Sequence[str],
    timeout: float,
) -> tuple[int, int]:
    """Poll until every id range is stored and every event was applied; the counts."""
    from sqlalchemy import text

    from shared.db import make_engine

    engine = make_engine(mysql_url, schema, pool_size=1)
    c_ids = sorted(c["customer_id"] for c in customers)
    c_lo, c_hi = (c_ids[0], c_ids[-1]) if c_ids else ("", "")
    o_ids = sorted(o["order_id"] for o in orders)
    o_lo, o_hi = (o_ids[0], o_ids[-1]) if o_ids else ("", "")
    deadline = time.monotonic() + timeout
    state: tuple[int, int, int] = (0, 0, 0)
    try:
        while True:
            async with engine.connect() as conn:
                n_c = (
                    await conn.execute(
                        text(
                            # Each id sent is a customer, or an alias of the one that
                            # had its email first (one person per email).
                            "SELECT COUNT(*) FROM customers WHERE state IN ('active', 'merged')"
                            " AND customer_id BETWEEN :lo AND :hi"
                        ),
                        {"lo": c_lo, "hi": c_hi},
                    )
                ).scalar_one()
                n_o = (
                    await conn.execute(
                        text("SELECT COUNT(*) FROM orders WHERE order_id BETWEEN :lo AND :hi"),
                        {"lo": o_lo, "hi": o_hi},
                    )
                ).scalar_one()
                n_e = 0
                for i in range(0, len(event_ids), 500):
                    chunk = list(event_ids[i : i + 500])
                    marks = ", ".join(f":e{j}" for j in range(len(chunk)))
                    n_e += (
                        await conn.execute(
                            text(f"SELECT COUNT(*) FROM inbox WHERE event_id IN ({marks})"),
                            {f"e{j}": e for j, e in enumerate(chunk)},
                        )
                    ).scalar_one()
            state = (int(n_c), int(n_o), int(n_e))
            if state == (len(customers), len(orders), len(event_ids)):
                return state[0], state[1]
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"not stored after {timeout:.0f}s: customers {state[0]}/{len(customers)}, "
                    f"orders {state[1]}/{len(orders)}, events applied {state[2]}/{len(event_ids)}"
                )
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def load(args: argparse.Namespace) -> str:
    """Generate, post, wait until stored; the one-line summary."""
    now = parse_iso(args.now) if args.now else default_now()
    started = time.perf_counter()
    customers = generate_customers(args.customers, args.seed, now=now)
    orders = generate_orders(customers, args.orders, args.seed, now=now, statuses=True)
    url = args.url.rstrip("/")
    await _wait_ready(url, args.ready_timeout)
    posting = time.perf_counter()
    events = await post_batches(
        url, "/api/v1/customers", customers, batch=args.batch, concurrency=args.concurrency
    )
    events += await post_batches(
        url, "/api/v1/orders", orders, batch=args.batch, concurrency=args.concurrency
    )
    posted = time.perf_counter()
    n_c, n_o = await _stored(args.mysql_url, args.schema, customers, orders, events, args.timeout)
    done = time.perf_counter()
    return (
        f"loaded {n_c} customers and {n_o} orders (seed {args.seed}) into {args.schema}: "
        f"{len(events)} requests all 202 in {posted - posting:.1f}s, stored after "
        f"{done - posting:.1f}s ({done - started:.1f}s in all)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.datagen", description=(__doc__ or "").split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("load", "post the data to a running ingest service and wait until it is stored"),
        ("stats", "print facts about the generated data (no I/O)"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--customers", type=int, default=5_000)
        p.add_argument("--orders", type=int, default=50_000)
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--now", default=None, help="anchor time, ISO 8601 (default: today 00:00Z)")
        if name == "load":
            p.add_argument("--url", default="http://127.0.0.1:8001")
            p.add_argument("--mysql-url", default="mysql+asyncmy://root@127.0.0.1:3306")
            p.add_argument("--schema", default="beacon_ingest")
            p.add_argument("--batch", type=int, default=1_000)
            p.add_argument("--concurrency", type=int, default=4)
            p.add_argument(
                "--timeout", type=float, default=300.0, help="seconds to wait until stored"
            )
            p.add_argument("--ready-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.command == "stats":
        now = parse_iso(args.now) if args.now else default_now()
        customers = generate_customers(args.customers, args.seed, now=now)
        orders = generate_orders(customers, args.orders, args.seed, now=now)
        for key, value in summarize(customers, orders, now).items():
            print(f"{key:40s} {value}")
        return 0
    try:
        print(asyncio.run(load(args)))
    except (RuntimeError, TimeoutError) as error:
        print(f"datagen load failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
