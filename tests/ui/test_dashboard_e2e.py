"""The dashboard in a real browser against a real suite started here.

Starts every service in the test's namespace, the vendor simulator, and `vite preview`
(the built dashboard, proxying to this test's ports), loads the demo data generator's
customers and orders, then runs frontend/e2e/run.mjs (playwright-core driving Debian's
Chromium): dev sign-in, build the seed audience, save, launch, watch the history row
finish live, the FAILED log; then a Shopify orders export (tests.support.shop_exports)
through the import screen: dry run, import, summary, one buyer's spend on their customer
page against the plain-Python reference, undo from the page; a draft through a 401 and a
revoked session; two tabs over several short token lifetimes; axe, screenshots. Needs
`make ui` (or builds it) and /usr/bin/chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.datagen import generate_customers, generate_orders
from tests.support.dashboard import MissingTool, ensure_built, node, start_preview, start_suite
from tests.support.processes import ROOT
from tests.support.shop_exports import expected_by_email, write_shopify
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CUSTOMERS, ORDERS = 5_000, 50_000
SEND_RATE_LIMIT = "400"
# Short-lived access tokens for the whole run: every screen keeps working across many
# renewals, and two tabs kept open over several lifetimes both stay signed in.
ACCESS_TTL_S = "20"
VENDOR = {
    "BEACON_VENDOR_DELAY_MIN_S": "0.05",
    "BEACON_VENDOR_DELAY_MAX_S": "0.5",
    "BEACON_VENDOR_FAILURE_RATIO": "0.25",  # enough FAILED rows for the log filter
}


async def load_demo_data(stack: Stack, ingest_url: str) -> str:
    """Load the demo data; the id of a customer worth a screenshot (a refund, most statuses)."""
    customers = generate_customers(CUSTOMERS, seed=42)
    orders = generate_orders(customers, ORDERS, seed=42, statuses=True)
    by_customer: dict[str, list[str]] = {}
    for order in orders:
        by_customer.setdefault(order["customer_id"], []).append(order.get("status", "paid"))
    showcase = max(
        (cid for cid, s in by_customer.items() if "partially_refunded" in s and len(s) >= 6),
        key=lambda cid: (len(set(by_customer[cid])), -len(by_customer[cid]), cid),
    )
    async with httpx.AsyncClient(
        base_url=ingest_url, timeout=60, headers=stack.headers()
    ) as client:
        for path, items in (("/api/v1/customers", customers), ("/api/v1/orders", orders)):
            for start in range(0, len(items), 5_000):
                response = await client.post(path, json={"items": items[start : start + 5_000]})
                assert response.status_code == 202, response.text
    # Every order counted into a profile (a cancelled or failed one is counted, though not
    # as a visit), and every person known: one per email, so customers sharing an email
    # (the generator writes a few, in other cases) are one profile.
    emails = {c["email"].strip().lower() for c in customers if c.get("email")}
    people = len(emails) + sum(1 for c in customers if not c.get("email"))
    await eventually(
        lambda: stack.scalar(
            "segments",
            "SELECT (SELECT COUNT(*) FROM profile_orders)"
            " + (SELECT COALESCE(SUM(known), 0) FROM profiles)",
        ),
        lambda n: n == ORDERS + people,
        timeout=120,
        what="profiles projected",
    )
    return showcase


async def test_marketer_builds_an_audience_and_watches_a_campaign_finish(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        node()  # and Chromium
    except MissingTool as missing:
        pytest.fail(str(missing))
    await asyncio.to_thread(ensure_built)
    # Delivery paced (messages per second) so a send to every customer lasts long enough
    # to pause, resume and cancel it from the page mid-send (the services inherit this).
    monkeypatch.setenv("BEACON_SEND_RATE_LIMIT", SEND_RATE_LIMIT)
    monkeypatch.setenv("BEACON_AUTH_ACCESS_TTL_S", ACCESS_TTL_S)
    urls = start_suite(stack, VENDOR)
    showcase = await load_demo_data(stack, urls["ingest"])
    # A shop's own export for the import screen, and the buyer whose spend the page must show.
    shop = write_shopify(tmp_path / "shop")
    expected = expected_by_email(shop)
    email, buyer = max(
        ((e, x) for e, x in expected.items() if x.visits > 1),
        key=lambda item: (item[1].spend, item[0]),
    )
    preview = await start_preview(urls, tmp_path / "vite-preview.log")
    try:
        shots = os.environ.get("BEACON_UI_SCREENSHOTS", str(ROOT / "docs" / "screenshots"))
        run = await asyncio.to_thread(
            preview.run_node,
            "e2e/run.mjs",
            900,
            SCREENSHOTS_DIR=shots,
            SESSION_TTL_S=ACCESS_TTL_S,
            DEMO_CUSTOMER_ID=showcase,
            SHOP_ORDERS_FILE=str(shop.orders),
            SHOP_BUYER_EMAIL=email,
            SHOP_BUYER_SPEND=str(buyer.spend),
            SHOP_BUYER_VISITS=str(buyer.visits),
        )
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
        results: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
        print("dashboard e2e:", json.dumps(results))

        # The row's final numbers are the delivery log's, one row per audience member.
        rows = await stack.rows(
            "delivery",
            "SELECT status, COUNT(*) AS n FROM communications_log WHERE campaign_id = :c GROUP BY status",
            c=results["campaign_id"],
        )
        by_status = {r.status: r.n for r in rows}
        final = results["final"]
        assert by_status == {"SENT": final["sent"], "FAILED": final["failed"]} or (
            final["failed"] == 0 and by_status == {"SENT": final["sent"]}
        )
        assert final["sent"] + final["failed"] == final["audience"] == results["audience_size"]

        # The import through the page: what it wrote is what the summary said, all undone.
        imported = results["import"]
        assert results["buyer"] == {
            "email": email,
            "spend": float(buyer.spend),
            "visits": buyer.visits,
        }
        left = await stack.scalar(
            "ingest",
            "SELECT COUNT(*) FROM orders WHERE import_id = :i AND removed_at IS NULL",
            i=int(imported["id"]),
        )
        assert left == 0, f"{left} orders of the undone import are still there"
        assert results["undo"]["removed"] >= imported["summary"]["new"]
    finally:
        preview.stop()
