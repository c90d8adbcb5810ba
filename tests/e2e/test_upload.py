"""The dashboard's upload (``POST /api/v1/imports/upload``) with a shop's own export files,
on the real ingest and segments: the dry run shows the file as Beacon reads it and sends
nothing; the import gives every buyer the spend and visits a plain reading of the same
files gives, never more; a file that can't be read as asked is a 422 naming what to set."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import shop_exports
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


async def upload(
    client: httpx.AsyncClient, url: str, path: Path, kind: str, **params: Any
) -> httpx.Response:
    data = await asyncio.to_thread(path.read_bytes)
    return await client.post(
        f"{url}/api/v1/imports/upload",
        params={"kind": kind, "file_name": path.name, **params},
        content=data,
        headers={"content-type": "text/csv"},
    )


async def by_email(stack: Stack) -> dict[str, tuple[Decimal, int]]:
    rows = await stack.rows(
        "segments",
        "SELECT LOWER(TRIM(email)), total_spend, visits FROM profiles"
        " WHERE known = 1 AND email IS NOT NULL",
    )
    return {str(r[0]): (Decimal(r[1]), int(r[2])) for r in rows}


async def done(client: httpx.AsyncClient, url: str, answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 202, answer.text
    import_id = answer.json()["import"]["import_id"]

    async def state() -> dict[str, Any]:
        return dict((await client.get(f"{url}/api/v1/imports/{import_id}")).json())

    return await eventually(state, lambda s: s["status"] == "done", what="import done", timeout=90)


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
async def test_a_shop_s_exports_uploaded_give_the_exact_spend_and_visits(
    stack: Stack, tmp_path: Path, platform: str
) -> None:
    ingest = stack.start("ingest", "all")
    stack.start("segments", "worker")
    write = shop_exports.write_shopify if platform == "shopify" else shop_exports.write_woocommerce
    files = write(tmp_path, customers=120, orders=400, seed=23)
    expected = {
        email: (truth.spend, truth.visits)
        for email, truth in shop_exports.expected_by_email(files).items()
    }
    async with httpx.AsyncClient(headers=stack.headers(), timeout=60) as client:
        preview = await upload(client, ingest.url, files.orders, "orders", source=platform)
        assert preview.status_code == 200, preview.text
        shown = preview.json()
        assert shown["import"] is None and shown["records"] == shown["good"] + shown["bad"]
        assert shown["rows"] > shown["records"]  # line-item rows are lines, not orders
        assert {m["field"] for m in shown["mapping"]} >= {"order_id", "amount", "status"}
        assert await stack.scalar("ingest", "SELECT COUNT(*) FROM imports") == 0  # sent nothing

        people = await done(
            client,
            ingest.url,
            await upload(
                client, ingest.url, files.customers, "customers", source=platform, dry_run="false"
            ),
        )
        assert people["counts"]["new"] + people["counts"]["merged"] == people["sent"]
        orders = await done(
            client,
            ingest.url,
            await upload(
                client, ingest.url, files.orders, "orders", source=platform, dry_run="false"
            ),
        )
        assert orders["sent"] == shown["good"] and orders["bad"] == shown["bad"]
        assert orders["counts"]["new"] == shown["good"]

    def matches(found: dict[str, tuple[Decimal, int]]) -> bool:
        return all(found.get(email) == want for email, want in expected.items())

    found = await eventually(lambda: by_email(stack), matches, timeout=120, what="profiles")
    for email, (spend, _) in expected.items():
        assert found[email][0] <= spend


async def test_an_unreadable_file_is_a_422_saying_what_to_set(stack: Stack, tmp_path: Path) -> None:
    ingest = stack.start("ingest", "api")
    ambiguous = tmp_path / "orders.csv"  # every date reads both ways: 03/04 or 04/03?
    ambiguous.write_text(
        "Order ID,Customer Email,Amount,Order Date\n"
        + "".join(f"O{i},b{i}@x.in,100,0{1 + i % 9}/0{1 + (i + 1) % 9}/2024\n" for i in range(20))
    )
    nothing = tmp_path / "customers.csv"
    nothing.write_text("Colour,Size\nred,M\n")
    async with httpx.AsyncClient(headers=stack.headers(), timeout=60) as client:
        answer = await upload(client, ingest.url, ambiguous, "orders")
        assert answer.status_code == 422, answer.text
        problem = answer.json()["errors"][0]
        assert problem["field"] == "query.date_format"
        assert "date_format" in problem["message"] and "--" not in problem["message"]
        zone = await upload(client, ingest.url, ambiguous, "orders", timezone="Mars/Olympus")
        assert zone.status_code == 422 and zone.json()["errors"][0]["field"] == "query.timezone"
        fixed = await upload(client, ingest.url, ambiguous, "orders", date_format="%d/%m/%Y")
        assert fixed.status_code == 200 and fixed.json()["good"] == 20, fixed.text
        answer = await upload(client, ingest.url, nothing, "customers")
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "query.map"
        answer = await upload(client, ingest.url, nothing, "customers", source="magento")
        assert answer.status_code == 422, answer.text


async def test_importing_a_corrected_file_again_corrects_the_data(
    stack: Stack, tmp_path: Path
) -> None:
    """A file first read with the wrong column for the amount, then again with the right
    one: the orders (same ids) are updated, and every buyer's spend is the right total."""
    ingest = stack.start("ingest", "all")
    stack.start("segments", "worker")
    path = tmp_path / "orders.csv"
    rows = [(f"INV-{i}", f"buyer{i % 7}@example.in", 100 + i, 118 + i) for i in range(60)]
    await asyncio.to_thread(
        path.write_text,
        "Order No,Customer Email,Subtotal,Grand Total,Order Date\n"
        + "".join(
            f"{o},{e},{s}.00,{t}.00,2026-03-{1 + i % 27:02d} 10:00\n"
            for i, (o, e, s, t) in enumerate(rows)
        ),
    )
    truth: dict[str, Decimal] = {}
    for _, email, _, total in rows:
        truth[email] = truth.get(email, Decimal(0)) + Decimal(total)
    async with httpx.AsyncClient(headers=stack.headers(), timeout=60) as client:
        wrong = await done(
            client,
            ingest.url,
            await upload(
                client, ingest.url, path, "orders", dry_run="false", map="amount=Subtotal"
            ),
        )
        assert wrong["counts"]["new"] == 60
        await eventually(
            lambda: by_email(stack),
            lambda found: (
                found.get("buyer0@example.in", (0, 0))[0] == sum(100 + i for i in range(0, 60, 7))
            ),
            what="the wrong amounts, first",
        )
        right = await done(
            client, ingest.url, await upload(client, ingest.url, path, "orders", dry_run="false")
        )
        assert (right["counts"]["updated"], right["counts"]["new"]) == (60, 0)
        again = await done(
            client, ingest.url, await upload(client, ingest.url, path, "orders", dry_run="false")
        )
        assert again["counts"]["unchanged"] == 60  # the same file a third time: nothing
    found = await eventually(
        lambda: by_email(stack),
        lambda f: {e: s for e, (s, _) in f.items()} == truth,
        what="the right amounts",
    )
    assert all(
        visits == 60 // 7 + (1 if int(e[5]) < 60 % 7 else 0) for e, (_, visits) in found.items()
    )
