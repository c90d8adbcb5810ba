"""The dashboard in a real browser against a real suite started here.

Starts every service in the test's namespace, the vendor simulator, and `vite preview`
(the built dashboard, proxying to this test's ports), loads the demo data generator's
customers and orders, then runs frontend/e2e/run.mjs (playwright-core driving Debian's
Chromium): dev sign-in, build the seed audience, save, launch, watch the history row
finish live, the FAILED log, axe, screenshots. Needs `make ui` (or builds it) and
/usr/bin/chromium.
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
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CUSTOMERS, ORDERS = 5_000, 50_000
VENDOR = {
    "BEACON_VENDOR_DELAY_MIN_S": "0.05",
    "BEACON_VENDOR_DELAY_MAX_S": "0.5",
    "BEACON_VENDOR_FAILURE_RATIO": "0.25",  # enough FAILED rows for the log filter
}


async def load_demo_data(stack: Stack, ingest_url: str) -> None:
    customers = generate_customers(CUSTOMERS, seed=42)
    orders = generate_orders(customers, ORDERS, seed=42)
    async with httpx.AsyncClient(
        base_url=ingest_url, timeout=60, headers=stack.headers()
    ) as client:
        for path, items in (("/api/v1/customers", customers), ("/api/v1/orders", orders)):
            for start in range(0, len(items), 5_000):
                response = await client.post(path, json={"items": items[start : start + 5_000]})
                assert response.status_code == 202, response.text
    await eventually(
        lambda: stack.scalar(
            "segments", "SELECT COALESCE(SUM(visits), 0) + SUM(known) FROM profiles"
        ),
        lambda n: n == ORDERS + CUSTOMERS,
        timeout=120,
        what="profiles projected",
    )


async def test_marketer_builds_an_audience_and_watches_a_campaign_finish(
    stack: Stack, tmp_path: Path
) -> None:
    try:
        node()  # and Chromium
    except MissingTool as missing:
        pytest.fail(str(missing))
    await asyncio.to_thread(ensure_built)
    urls = start_suite(stack, VENDOR)
    await load_demo_data(stack, urls["ingest"])
    preview = await start_preview(urls, tmp_path / "vite-preview.log")
    try:
        shots = os.environ.get("BEACON_UI_SCREENSHOTS", str(ROOT / "docs" / "screenshots"))
        run = await asyncio.to_thread(preview.run_node, "e2e/run.mjs", 600, SCREENSHOTS_DIR=shots)
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
    finally:
        preview.stop()
