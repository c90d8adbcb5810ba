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
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.datagen import generate_customers, generate_orders
from tests.support.processes import ROOT, free_port
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

FRONTEND = ROOT / "frontend"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CUSTOMERS, ORDERS = 5_000, 50_000


def node() -> str:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed (the dashboard needs Node 20.19+)")
    return found


def ensure_built() -> None:
    if not (FRONTEND / "dist" / "index.html").exists():
        subprocess.run([str(ROOT / "deploy/scripts/ui.sh"), "build"], check=True)


def start_suite(stack: Stack) -> dict[str, str]:
    urls = {
        "ingest": stack.start("ingest", "all").url,
        "segments": stack.start("segments", "all").url,
        "campaigns": stack.start("campaigns", "all").url,
        "stats": stack.start("stats", "all").url,
    }
    vendor = stack.start_vendor(
        BEACON_VENDOR_DELAY_MIN_S="0.05",
        BEACON_VENDOR_DELAY_MAX_S="0.5",
        BEACON_VENDOR_FAILURE_RATIO="0.25",  # enough FAILED rows for the log filter
    )
    delivery = stack.start("delivery", "api")
    stack.start(
        "delivery", "worker", BEACON_VENDOR_URL=vendor.url, BEACON_DELIVERY_PUBLIC_URL=delivery.url
    )
    urls["delivery"] = delivery.url
    return urls


def start_preview(node_bin: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [node_bin, "node_modules/vite/bin/vite.js", "preview", "--strictPort"],
            cwd=FRONTEND,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def run_browser(node_bin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node_bin, "e2e/run.mjs"],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


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
    node_bin = node()  # and Chromium
    await asyncio.to_thread(ensure_built)
    urls = start_suite(stack)
    await load_demo_data(stack, urls["ingest"])

    ui_port = free_port()
    env = {
        **os.environ,
        "BEACON_UI_PORT": str(ui_port),
        "BEACON_INGEST_PORT": port_of(urls["ingest"]),
        "BEACON_SEGMENTS_PORT": port_of(urls["segments"]),
        "BEACON_CAMPAIGNS_PORT": port_of(urls["campaigns"]),
        "BEACON_DELIVERY_PORT": port_of(urls["delivery"]),
        "BEACON_STATS_PORT": port_of(urls["stats"]),
    }
    preview = start_preview(node_bin, env, tmp_path / "vite-preview.log")
    base = f"http://127.0.0.1:{ui_port}"
    try:

        async def index() -> int:
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(f"{base}/signin")).status_code
            except httpx.HTTPError:
                return 0

        await eventually(index, lambda status: status == 200, timeout=30, what="vite preview up")
        shots = os.environ.get("BEACON_UI_SCREENSHOTS", str(ROOT / "docs" / "screenshots"))
        run = await asyncio.to_thread(
            run_browser,
            node_bin,
            {**env, "BASE_URL": base, "SCREENSHOTS_DIR": shots, "CHROMIUM_PATH": CHROMIUM},
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
    finally:
        stop(preview)
