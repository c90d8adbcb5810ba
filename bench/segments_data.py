"""The segments benchmark's data set, generated inside MariaDB (see ``bench/segments.py``).

Nothing is sent over the wire row by row: every table is filled by ``INSERT ... SELECT``
from MariaDB's Sequence engine (``seq_0_to_N``), with deterministic pseudo-random values
from an integer hash (CRC32 of the key times a per-purpose multiplier), so a run is a pure
function of ``--seed``, the sizes and the anchor time ``A`` (the load's "now").

Tables, in the segments schema of the bench namespace:

* ``bench_customers``: the identity of every customer (customer_id, name, email, phone,
  city, created_at), as the naive query's "customers" table;
* ``bench_orders``: ``(order_id, customer_id, amount, ordered_at)``, one row per order, the
  naive query's "orders" table; the covering index ``(customer_id, ordered_at, amount)`` is
  added after the load (a sorted index build, far cheaper than maintaining it row by row);
* ``profiles`` (the service's own table): one row per customer, ``known = 1``, aggregates
  computed by ``GROUP BY`` over ``bench_orders``, so they are exactly the naive answer;
* ``bench_meta``: the anchor, sizes and seed, so ``--reuse`` knows what it is looking at.

The shape of the data follows ``bench.datagen`` (the demo generator): Indian names (ASCII
transliterations, so SQL collations and Python's ``casefold`` agree on every value), cities
weighted by population with ~2 % missing, emails (~6 % missing) and Indian mobile numbers
(~9 % missing) in the ways people write them, sign-ups over three years skewed to recent,
a log-normal appetite per customer (~8 % never buy, more get no order by chance: ~1 in 5
customers has none), ~45 % of customers churn at some point, long-tailed amounts (median
near ₹800, two decimals).

Time banding: every generated time ``T`` is ``A - k days - x`` with ``1 s <= x <= 12 h``.
Relative rules (``inLastDays N``, ``notInLastDays N``) cut at ``now - N days``; as long as
``now`` is less than 12 h past ``A`` (modulo whole days), no value can cross a cutoff while
the benchmark runs, so previews taken at different instants and the naive query all see the
same answer. :func:`shift_times` moves a kept data set forward when that is no longer so.
"""

from __future__ import annotations

import json
import time
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.datagen import CITIES, FIRST_NAMES, LAST_NAMES, MAIL_DOMAINS

M32 = 4_294_967_295
DAY_S = 86_400
BAND_S = 43_200  # generated times lie 1 s .. 12 h before A, modulo whole days
HISTORY_DAYS = 3 * 365
NO_ORDERS = 0.08
CHURNED = 0.45
EMAIL_MISSING = 0.06
PHONE_MISSING = 0.09
CITY_SLOTS = 1_000  # weighted city lookup: slot -> city; CITY_MISSING of them are NULL
CITY_MISSING = 0.02
DOMAIN_SLOTS = 100
AMOUNT_MEDIAN = 800
AMOUNT_SIGMA = 1.1
APPETITE_SIGMA = 1.5
LOGISTIC = 0.5513  # a logistic variate times this has the normal's standard deviation
MAX_AMOUNT = 9_999_999
SURPLUS = 0.02  # planned orders above --orders, cut at exactly --orders
PERMUTE_PRIMES = (1_000_003, 1_000_033, 1_000_037, 1_000_039)


def h32(key: str, salt: int) -> str:
    """SQL for a 32-bit hash of the integer expression ``key``: CRC32 of the decimal text of
    ``key`` times a large odd multiplier chosen by ``salt``.

    Distinct multipliers give unrelated digit strings, so values for different salts are
    independent in practice (a plain ``CRC32(CONCAT(salt, key))`` is not: CRC is affine, so
    two salts' values of one key differ by a constant XOR). Measured: 0.5 s per 10M values,
    six times cheaper than murmur3's finaliser written in SQL.
    """
    multiplier = 2_147_483_648 + (2_654_435_761 * (salt % M32 + 1)) % 2_147_483_648 | 1
    return f"CRC32(({key}) * {multiplier})"


def unit(key: str, salt: int) -> str:
    """SQL for a uniform number in (0, 1) from ``key`` and ``salt``."""
    return f"(({h32(key, salt)} + 0.5) / 4294967296)"


def lognormal(hash_sql: str, sigma: float) -> str:
    """SQL for a log-normal-like variate with median 1 from one hash: ``exp(sigma * Z)`` with
    Z logistic scaled to unit variance (heavier tails than the normal, and the hash appears
    once: ``(u / (1 - u)) ** s == (1 / u - 1) ** -s``)."""
    return f"EXP({-sigma * LOGISTIC!r} * LN(4294967296 / ({hash_sql} + 0.5) - 1))"


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def _local(value: str) -> str:
    return "".join(ch for ch in _ascii(value).lower() if ch.isalnum())


@dataclass
class DataSpec:
    profiles: int
    orders: int
    seed: int
    anchor: datetime  # naive UTC, whole seconds: the data's "now"

    @property
    def anchor_sql(self) -> str:
        return self.anchor.strftime("'%Y-%m-%d %H:%M:%S'")


def _salt(spec: DataSpec, n: int) -> int:
    return (spec.seed * 1_000_003 + n * 7_919) % M32


def _permutation(n: int) -> tuple[int, int]:
    for p in PERMUTE_PRIMES:
        if n % p:
            return p, 12_345 % max(n, 1)
    raise ValueError("no permutation prime fits")  # n is a product of all four primes


def safe_phase(anchor: datetime, now: datetime | None = None) -> float:
    """Seconds past ``anchor`` modulo a day; relative rules are stable while < 12 h."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return (now - anchor).total_seconds() % DAY_S


async def _timed(
    engine: AsyncEngine, timings: dict[str, float], name: str, statements: list[str]
) -> None:
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("SET SESSION unique_checks = 0, foreign_key_checks = 0"))
        for sql in statements:
            await conn.execute(text(sql))
    timings[name] = round(time.perf_counter() - started, 2)
    print(f"  {name}: {timings[name]:.1f} s", flush=True)


async def _lookups(conn: AsyncConnection) -> None:
    await conn.execute(
        text(
            "CREATE TABLE bench_first (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL,"
            " local VARCHAR(100) NOT NULL)"
        )
    )
    await conn.execute(
        text(
            "CREATE TABLE bench_last (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL,"
            " local VARCHAR(100) NOT NULL)"
        )
    )
    await conn.execute(text("CREATE TABLE bench_city (slot INT PRIMARY KEY, city VARCHAR(100))"))
    await conn.execute(
        text("CREATE TABLE bench_domain (slot INT PRIMARY KEY, domain VARCHAR(100) NOT NULL)")
    )
    for table, names in (("bench_first", FIRST_NAMES), ("bench_last", LAST_NAMES)):
        await conn.execute(
            text(f"INSERT INTO {table} (id, name, local) VALUES (:i, :n, :l)"),
            [{"i": i, "n": _ascii(v), "l": _local(v)} for i, v in enumerate(names)],
        )
    await conn.execute(
        text("INSERT INTO bench_city (slot, city) VALUES (:s, :c)"),
        [{"s": s, "c": c} for s, c in enumerate(_slots(CITIES, CITY_SLOTS, CITY_MISSING))],
    )
    await conn.execute(
        text("INSERT INTO bench_domain (slot, domain) VALUES (:s, :d)"),
        [{"s": s, "d": d} for s, d in enumerate(_slots(MAIL_DOMAINS, DOMAIN_SLOTS, 0.0))],
    )


def _slots(options: tuple[tuple[str, float], ...], slots: int, missing: float) -> list[str | None]:
    """``slots`` entries, each option repeated in proportion to its weight, NULL first."""
    empty = round(slots * missing)
    total = sum(w for _, w in options)
    out: list[str | None] = [None] * empty
    acc = 0.0
    for name, weight in options:
        acc += weight
        while len(out) < empty + round((slots - empty) * acc / total):
            out.append(name)
    return out[:slots]


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        # Customers' text compares like the profiles' (the service picks the collation).
        collation = (
            await conn.execute(
                text(
                    "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                    " DATABASE() AND TABLE_NAME = 'profiles' AND COLUMN_NAME = 'name'"
                )
            )
        ).scalar() or "utf8mb4_unicode_ci"
        ci = f"COLLATE {collation}"
        await conn.execute(
            text(
                "CREATE TABLE bench_meta (id INT PRIMARY KEY, anchor DATETIME NOT NULL,"
                " profiles INT NOT NULL, orders BIGINT NOT NULL, seed INT NOT NULL,"
                " timings JSON)"
            )
        )
        await conn.execute(
            text(
                "CREATE TABLE bench_customers ("
                " customer_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,"
                f" name VARCHAR(200) {ci} NOT NULL, email VARCHAR(254) {ci},"
                f" phone VARCHAR(32) {ci}, city VARCHAR(100) {ci}, created_at DATETIME(6))"
            )
        )
        await conn.execute(
            text(
                "CREATE TABLE bench_orders (order_id BIGINT NOT NULL PRIMARY KEY,"
                " customer_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,"
                " amount DECIMAL(14,2) NOT NULL, ordered_at DATETIME(6) NOT NULL)"
            )
        )
        await conn.execute(
            text(
                "CREATE TABLE bench_plan (cnum INT NOT NULL PRIMARY KEY,"
                " customer_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,"
                " created_at DATETIME(6) NOT NULL, appetite DOUBLE NOT NULL,"
                " back_hi INT NOT NULL, back_lo INT NOT NULL, n INT NOT NULL DEFAULT 0,"
                " cum_start BIGINT NOT NULL DEFAULT 0)"
            )
        )
        await _lookups(conn)


async def load(engine: AsyncEngine, spec: DataSpec) -> dict[str, float]:
    """Fill bench_customers, bench_orders and profiles; returns seconds per step."""
    n, m = spec.profiles, spec.orders
    a = spec.anchor_sql
    p, k = _permutation(n)
    width = max(7, len(str(n)))
    timings: dict[str, float] = {}
    await create_tables(engine)

    def u(key: str, salt: int) -> str:
        return unit(key, _salt(spec, salt))

    def hh(key: str, salt: int) -> str:
        return h32(key, _salt(spec, salt))

    # 1. The plan of every customer: id, sign-up, appetite, buying window (seconds before A).
    position = f"POW({u('s.seq', 1)}, 1 / 1.6)"
    days_back = f"(FLOOR((1 - {position}) * {HISTORY_DAYS - 1}) + 1)"
    offset = f"(1 + FLOOR({u('s.seq', 2)} * {BAND_S}))"
    odds = f"({u('s.seq', 4)} / (1 - {u('s.seq', 4)}))"
    appetite = (
        f"IF({u('s.seq', 3)} < {NO_ORDERS}, 0, LEAST(POW({odds}, {APPETITE_SIGMA * LOGISTIC}), 30))"
    )
    await _timed(
        engine,
        timings,
        "plan customers",
        [
            "INSERT INTO bench_plan (cnum, customer_id, created_at, appetite, back_hi, back_lo)"
            f" SELECT seq, CONCAT('C', LPAD((seq * {p} + {k}) % {n} + 1, {width}, '0')),"
            f" {a} - INTERVAL d DAY - INTERVAL x SECOND, appetite,"
            f" d * {DAY_S} + x - 60,"
            f" IF(churn < {CHURNED}, FLOOR((d * {DAY_S} + x - 60) * (1 - stop)), 0)"
            f" FROM (SELECT seq, {days_back} AS d, {offset} AS x, {appetite} AS appetite,"
            f" {u('s.seq', 5)} AS churn, {u('s.seq', 6)} AS stop"
            f" FROM seq_0_to_{n - 1} s) g"
        ],
    )
    async with engine.connect() as conn:
        total = float(
            (await conn.execute(text("SELECT SUM(appetite) FROM bench_plan"))).scalar() or 0
        )
    planned = m * (1 + SURPLUS) + 10 * n**0.5
    scale = planned / total if total else 0.0
    # n orders per customer (stochastic rounding keeps the expected total), and where each
    # customer's orders start in the global numbering: cumulative sum in cnum order.
    await _timed(
        engine,
        timings,
        "plan orders per customer",
        [
            "CREATE TABLE bench_plan2 LIKE bench_plan",
            "INSERT INTO bench_plan2 SELECT cnum, customer_id, created_at, appetite, back_hi,"
            " back_lo, n, SUM(n) OVER (ORDER BY cnum) - n FROM (SELECT cnum, customer_id,"
            f" created_at, appetite, back_hi, back_lo,"
            f" FLOOR(appetite * {scale!r} + {u('cnum', 7)}) AS n FROM bench_plan) q",
            "DROP TABLE bench_plan",
            "RENAME TABLE bench_plan2 TO bench_plan",
        ],
    )
    async with engine.connect() as conn:
        planned_total, max_n = (
            await conn.execute(text("SELECT SUM(n), MAX(n) FROM bench_plan"))
        ).one()
    if int(planned_total or 0) < m:
        raise RuntimeError(f"planned only {planned_total} orders of {m}; raise SURPLUS")

    # 2. Customers' identity.
    email_style = hh("p.cnum", 11)
    number = f"(1 + ({hh('p.cnum', 12)} % 9999))"
    local = (
        f"ELT(1 + {email_style} % 6, CONCAT(f.local, '.', l.local), CONCAT(f.local, l.local),"
        f" CONCAT(f.local, '_', l.local, {number}), CONCAT(f.local, {number}),"
        f" CONCAT(LEFT(f.local, 1), '.', l.local, {number}),"
        f" CONCAT(f.local, '.', l.local, {number}))"
    )
    digits = f"CONCAT(6 + {hh('p.cnum', 13)} % 4, LPAD({hh('p.cnum', 14)} % 1000000000, 9, '0'))"
    phone = (
        "CASE WHEN ps < 4 THEN CONCAT('+91 ', LEFT(dg, 5), ' ', RIGHT(dg, 5))"
        " WHEN ps < 7 THEN CONCAT('+91', dg) WHEN ps < 9 THEN dg ELSE CONCAT('0', dg) END"
    )
    await _timed(
        engine,
        timings,
        "customers",
        [
            "INSERT INTO bench_customers (customer_id, name, email, phone, city, created_at)"
            f" SELECT customer_id, name, email, IF(no_phone, NULL, {phone}), city, created_at"
            " FROM (SELECT p.customer_id, CONCAT(f.name, ' ', l.name) AS name,"
            f" IF({u('p.cnum', 16)} < {EMAIL_MISSING}, NULL, CONCAT({local}, '@', d.domain))"
            f" AS email, {u('p.cnum', 17)} < {PHONE_MISSING} AS no_phone, {digits} AS dg,"
            f" {hh('p.cnum', 15)} % 10 AS ps, c.city, p.created_at"
            " FROM bench_plan p"
            f" JOIN bench_first f ON f.id = {hh('p.cnum', 18)} % {len(FIRST_NAMES)}"
            f" JOIN bench_last l ON l.id = {hh('p.cnum', 19)} % {len(LAST_NAMES)}"
            f" JOIN bench_city c ON c.slot = {hh('p.cnum', 20)} % {CITY_SLOTS}"
            f" JOIN bench_domain d ON d.slot = {hh('p.cnum', 21)} % {DOMAIN_SLOTS}) q"
        ],
    )

    # 3. Orders: customer p's orders are numbered cum_start + 1 .. cum_start + n; the plan
    # has a few more than asked, the last ones are cut at exactly m.
    g = "(p.cum_start + s.seq)"
    amount = (
        f"ROUND(LEAST(GREATEST({AMOUNT_MEDIAN} * {lognormal(hh(g, 31), AMOUNT_SIGMA)}, 1),"
        f" {MAX_AMOUNT}), 2)"
    )
    back = f"(p.back_lo + {hh(g, 32)} / 4294967296 * (p.back_hi - p.back_lo))"
    ordered_at = (
        f"GREATEST(p.created_at, TIMESTAMPADD(SECOND,"
        f" -(FLOOR({back} / {DAY_S}) * {DAY_S} + 1 + {hh(g, 33)} % {BAND_S}), {a}))"
    )
    if m > 0:
        await _timed(
            engine,
            timings,
            "orders",
            [
                "INSERT INTO bench_orders (order_id, customer_id, amount, ordered_at)"
                f" SELECT {g}, p.customer_id, {amount}, {ordered_at}"
                f" FROM bench_plan p JOIN seq_1_to_{max(int(max_n), 1)} s ON s.seq <= p.n"
                f" WHERE {g} <= {m}"
            ],
        )
    await _timed(
        engine,
        timings,
        "orders covering index",
        [
            "ALTER TABLE bench_orders ADD INDEX ix_bench_orders_customer"
            " (customer_id, ordered_at, amount)"
        ],
    )

    # 4. Profiles: identity LEFT JOIN the aggregates, exactly what the naive query computes.
    await _timed(
        engine,
        timings,
        "profiles",
        [
            "INSERT INTO profiles (customer_id, known, version, revision, name, email, phone,"
            " city, created_at, total_spend, visits, first_visit_at, last_visit_at, updated_at)"
            " SELECT c.customer_id, 1, 1, 1, c.name, c.email, c.phone, c.city, c.created_at,"
            " COALESCE(a.s, 0), COALESCE(a.v, 0), a.f, a.l, "
            f"{a} FROM bench_customers c LEFT JOIN (SELECT customer_id, SUM(amount) AS s,"
            " COUNT(*) AS v, MIN(ordered_at) AS f, MAX(ordered_at) AS l FROM bench_orders"
            " GROUP BY customer_id) a ON a.customer_id = c.customer_id"
        ],
    )
    await _timed(
        engine,
        timings,
        "analyze",
        [
            "DROP TABLE bench_plan",
            "ANALYZE TABLE bench_customers, bench_orders, profiles",
        ],
    )
    async with engine.begin() as conn:
        counts = (
            await conn.execute(
                text(
                    "SELECT (SELECT COUNT(*) FROM bench_orders),"
                    " (SELECT COUNT(*) FROM profiles WHERE known = 1),"
                    " (SELECT SUM(visits) FROM profiles)"
                )
            )
        ).one()
        if list(counts) != [m, n, m]:
            raise RuntimeError(
                f"loaded (orders, profiles, visits) = {tuple(counts)}, want {(m, n, m)}"
            )
        await conn.execute(
            text(
                "INSERT INTO bench_meta (id, anchor, profiles, orders, seed, timings)"
                " VALUES (1, :a, :p, :o, :s, :t)"
            ),
            {
                "a": spec.anchor,
                "p": n,
                "o": m,
                "s": spec.seed,
                "t": json.dumps(timings),
            },
        )
    return timings


async def read_meta(engine: AsyncEngine) -> tuple[DataSpec, dict[str, float]]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT anchor, profiles, orders, seed, timings FROM bench_meta WHERE id = 1")
            )
        ).one()
    timings = json.loads(row.timings) if row.timings else {}
    return DataSpec(row.profiles, row.orders, row.seed, row.anchor), timings


async def shift_times(engine: AsyncEngine, spec: DataSpec) -> float:
    """Move every time of a kept data set forward so that ``now`` is just past its anchor."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    delta = now - timedelta(seconds=60) - spec.anchor
    us = int(delta.total_seconds()) * 1_000_000
    started = time.perf_counter()
    async with engine.begin() as conn:
        for sql in (
            "UPDATE bench_orders SET ordered_at = ordered_at + INTERVAL :us MICROSECOND",
            "UPDATE bench_customers SET created_at = created_at + INTERVAL :us MICROSECOND",
            "UPDATE profiles SET created_at = created_at + INTERVAL :us MICROSECOND,"
            " first_visit_at = first_visit_at + INTERVAL :us MICROSECOND,"
            " last_visit_at = last_visit_at + INTERVAL :us MICROSECOND",
            "UPDATE bench_meta SET anchor = anchor + INTERVAL :us MICROSECOND",
        ):
            await conn.execute(text(sql), {"us": us})
    spec.anchor = spec.anchor + timedelta(microseconds=us)
    return time.perf_counter() - started


def spec_dict(spec: DataSpec) -> dict[str, Any]:
    out = asdict(spec)
    out["anchor"] = spec.anchor.isoformat() + "Z"
    return out
