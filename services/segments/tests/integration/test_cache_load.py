"""The profile cache's bulk load from MariaDB (issue 15) on a real database: odd text
(case, accents, empty strings, NULLs, trailing spaces, non-BMP characters), money and
times loaded in their exact encodings. Every preview from the loaded cache must equal
plain Python (the reference evaluator) and an API answering from SQL only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.segments.domain.evaluate import matches
from services.segments.domain.profile import Profile
from shared.rules.rules import parse_rules
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
TEXTS = [
    "Zoë Sharma",
    "ZOË",
    "zoe",
    "",
    None,
    "Émile",
    "émile dupont",
    "a",
    "ab",
    "a ",
    "日本語テキスト",
    "\U0001f600 smile",
    "priya@example.com",
    "PRIYA.K@gmail.com",
    "+91 98765 43210",
    "+91 9123",
    "100% _under",
]
NEEDLES = ["z", "ZO", "zoë", "é", "émile", "a", "a ", "日本", "\U0001f600", "priya", "GMAIL"]
NEEDLES += ["+91 9", "9876", "100%", "_", "nothing"]


def dataset() -> tuple[list[dict[str, Any]], list[Profile]]:
    rows: list[dict[str, Any]] = []
    known: list[Profile] = []
    for i in range(len(TEXTS) * 6):
        spend = Decimal(i * 1234 % 100_000) / 100
        last = NOW - timedelta(days=i % 40, microseconds=i) if i % 5 else None
        row: dict[str, Any] = {
            "customer_id": f"cü-{i:03d}",
            "known": i % 17 != 3,  # a few order-only profiles: never in the cache
            "total_spend": spend,
            "visits": i % 6,
            "last_visit_at": last.replace(tzinfo=None) if last else None,
            "first_visit_at": (last - timedelta(days=100)).replace(tzinfo=None) if last else None,
            "created_at": (NOW - timedelta(days=i)).replace(tzinfo=None) if i % 7 else None,
            "name": TEXTS[i % len(TEXTS)] or "x",  # name is NOT NULL
            "email": TEXTS[(i * 5) % len(TEXTS)],
            "phone": TEXTS[(i * 3) % len(TEXTS)],
            "city": TEXTS[(i * 7) % len(TEXTS)],
            "updated_at": NOW.replace(tzinfo=None),
        }
        rows.append(row)
        if row["known"]:
            known.append(
                Profile(**{k: v for k, v in row.items() if k not in ("known", "updated_at")})
            )
    return rows, known


def rules() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def one(field: str, op: str, value: Any = None) -> None:
        out.append(
            {"combinator": "and", "rules": [{"field": field, "operator": op, "value": value}]}
        )

    for field in ("name", "email", "phone", "city"):
        for needle in NEEDLES:
            for op in ("beginsWith", "contains", "="):
                one(field, op, needle)
        one(field, "in", ["zoë", "A", "nothing"])
        one(field, "null")
    one("total_spend", "between", ["100.00", "500.50"])
    one("visits", ">=", 3)
    one("last_visit_at", "inLastDays", 10)
    one("last_visit_at", "notInLastDays", 10)
    one("first_visit_at", "null")
    one("created_at", "before", (NOW - timedelta(days=20)).isoformat())
    out.append(
        {
            "combinator": "and",
            "not": True,
            "rules": [
                {"field": "email", "operator": "beginsWith", "value": "PRIYA"},
                {"field": "name", "operator": "contains", "value": "zoë"},
            ],
        }
    )
    out.append(
        {
            "combinator": "and",
            "rules": [
                {"field": "phone", "operator": "contains", "value": "9"},
                {"field": "visits", "operator": "<", "value": 2},
                {"field": "email", "operator": "notNull"},
            ],
        }
    )
    return out


async def test_loaded_cache_agrees_with_python_and_sql(stack: Stack) -> None:
    migrate = stack.start("segments", "migrate", wait=False)
    assert migrate.proc is not None and migrate.proc.wait(120) == 0
    rows, known = dataset()
    columns = list(rows[0])
    async with stack.db("segments").begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO profiles ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            rows,
        )
    cached = stack.start("segments", "api")
    sql_only = stack.start("segments", "api", BEACON_SEGMENTS_CACHE="false")

    async def cache_state() -> Any:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"{cached.url}/readyz")).json()["profile_cache"]

    await eventually(cache_state, lambda s: s["state"] == "loaded", timeout=60, what="cache loaded")
    assert (await cache_state())["profiles"] == len(known)

    headers = stack.headers()
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:

        async def preview(url: str, group: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(f"{url}/api/v1/segments/preview", json={"rules": group})
            assert response.status_code == 200, response.text
            return dict(response.json())

        checked = 0
        for group in rules():
            want = [p for p in known if matches(p, parse_rules(group), NOW)]
            from_cache = await preview(cached.url, group)
            from_sql = await preview(sql_only.url, group)
            assert (from_cache["source"], from_sql["source"]) == ("cache", "sql")
            assert from_cache["size"] == len(want) == from_sql["size"], group
            names = {p.customer_id: p.name for p in want}
            assert all(names[s["customer_id"]] == s["name"] for s in from_cache["sample"])
            checked += len(want)
        assert checked > 1000  # the rules select something, not only empty sets
