"""Generated Shopify and WooCommerce exports loaded with ``beacon import --from ...`` into the
real ingest and segments: every buyer's spend and visits in the profiles equal the plain
reference over the same files; the phone-only Shopify order is the one refused row, and its
report, fixed, imports; an import undone takes its rows back."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import auth_env, cli
from tests.support import shop_exports
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


async def by_email(stack: Stack) -> dict[str, tuple[Decimal, int]]:
    rows = await stack.rows(
        "segments",
        "SELECT LOWER(TRIM(email)), total_spend, visits FROM profiles"
        " WHERE known = 1 AND email IS NOT NULL",
    )
    return {str(r[0]): (Decimal(r[1]), int(r[2])) for r in rows}


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
async def test_a_shop_s_exports_load_to_the_exact_spend_and_visits(
    stack: Stack, tmp_path: Path, platform: str
) -> None:
    ingest = stack.start("ingest", "all")
    stack.start("segments", "worker")
    env = {"BEACON_INGEST_URL": ingest.url, **auth_env(stack)}
    write = shop_exports.write_shopify if platform == "shopify" else shop_exports.write_woocommerce
    files = write(tmp_path, customers=120, orders=400, seed=11)
    expected = {
        email: (truth.spend, truth.visits)
        for email, truth in shop_exports.expected_by_email(files).items()
    }

    done = cli("import", "customers", str(files.customers), "--from", platform, env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    done = cli("import", "orders", str(files.orders), "--from", platform, env=env)
    refused = platform == "shopify"  # its one phone-only checkout names no customer
    assert done.returncode == (3 if refused else 0), done.stderr + done.stdout
    assert "Beacon: " in done.stdout

    def matches(found: dict[str, tuple[Decimal, int]]) -> bool:
        return all(found.get(email) == want for email, want in expected.items())

    found = await eventually(lambda: by_email(stack), matches, timeout=120, what="profiles")
    for email, (spend, _) in expected.items():
        assert found[email][0] <= spend  # never more than the truth

    if refused:
        report = files.orders.with_name("orders_export_1.bad.csv")
        rows = list(csv.reader(report.open(newline="", encoding="utf-8")))
        assert len(rows) >= 2 and rows[0][-1] == "Beacon Error"
        email = rows[0].index("Email")
        for row in rows[1:]:
            row[email] = "walk.in@example.in"
        with report.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        again = cli("import", "orders", str(report), "--from", "shopify", env=env)
        assert again.returncode == 0, again.stderr + again.stdout
        await eventually(
            lambda: by_email(stack),
            lambda f: "walk.in@example.in" in f,
            timeout=60,
            what="the fixed order's buyer",
        )


async def test_an_import_undone_takes_its_rows_back(stack: Stack, tmp_path: Path) -> None:
    ingest = stack.start("ingest", "all")
    env = {"BEACON_INGEST_URL": ingest.url, **auth_env(stack)}
    path = tmp_path / "orders.csv"
    path.write_text(
        "Order No,Order Date,Customer Email,Amount,Payment Status\n"
        + "".join(f"INV-{i},25/03/2024,buyer{i % 3}@example.in,₹1,Paid\n" for i in range(30))
    )
    done = cli("import", "orders", str(path), env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "30 new" in done.stdout
    import_id = done.stdout.split("(import ")[1].split(")")[0]

    async def orders() -> Any:  # an undone order is kept, marked removed (versions only grow)
        return await stack.scalar("ingest", "SELECT COUNT(*) FROM orders WHERE removed_at IS NULL")

    assert await orders() == 30
    listed = cli("imports", "list", env=env)
    assert listed.returncode == 0 and "orders.csv" in listed.stdout
    undone = cli("imports", "undo", import_id, "--yes", env=env)
    assert undone.returncode == 0, undone.stderr + undone.stdout
    # 30 orders and the 3 guest customers their emails created.
    assert f"import {import_id} undone: 33 removed" in undone.stdout
    await eventually(orders, lambda n: n == 0, timeout=60, what="orders removed")
