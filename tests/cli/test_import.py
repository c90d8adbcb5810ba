"""``beacon import`` against the real ingest service: exact counts, the report, resume."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from tests.cli.support import (
    auth_env,
    cli,
    cli_process,
    report_lines,
    write_customers,
    write_orders,
)
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CUSTOMERS, ORDERS = 20_000, 100_000


def env_for(stack: Stack, url: str) -> dict[str, str]:
    return {"BEACON_INGEST_URL": url, **auth_env(stack)}


async def counts(stack: Stack) -> tuple[int, int]:
    return (
        await stack.scalar("ingest", "SELECT COUNT(*) FROM customers WHERE state = 'active'"),
        await stack.scalar("ingest", "SELECT COUNT(*) FROM orders"),
    )


async def test_import_counts_exact_and_bad_rows_reported(stack: Stack, tmp_path: Path) -> None:
    ingest = stack.start("ingest", "all")
    customers, orders = tmp_path / "customers.csv", tmp_path / "orders.csv"
    bad_customers = write_customers(customers, CUSTOMERS, bad_every=1600)  # 12
    bad_orders = write_orders(orders, ORDERS, CUSTOMERS, bad_every=3847)  # 25
    assert bad_customers + bad_orders == 37
    env = env_for(stack, ingest.url)

    done = cli("import", "customers", str(customers), env=env)
    assert done.returncode == 3, done.stderr + done.stdout  # 3: rows were refused
    done = cli("import", "orders", str(orders), env=env)
    assert done.returncode == 3, done.stderr + done.stdout
    assert "25 bad" in done.stdout
    within = cli("import", "orders", str(orders), "--max-bad", "25", env=env)
    assert within.returncode == 0, within.stderr + within.stdout
    assert "0 new" in within.stdout  # the same orders again change nothing

    expected = (CUSTOMERS - bad_customers, ORDERS - bad_orders)
    await eventually(
        lambda: counts(stack), lambda c: c == expected, timeout=120, what="imported rows stored"
    )
    bad = report_lines(tmp_path / "customers.bad.csv") + report_lines(tmp_path / "orders.bad.csv")
    assert len(bad) == 37
    assert all(str(b["Beacon Error"]).startswith("line ") for b in bad)
    fields = {str(b["Beacon Error"]).split(": ")[1] for b in bad}
    assert fields >= {"email", "name", "ordered_at", "amount", "order_id"}


async def test_killed_import_resumes_to_exact_counts(stack: Stack, tmp_path: Path) -> None:
    ingest = stack.start("ingest", "all")
    orders = tmp_path / "orders.csv"
    bad_orders = write_orders(orders, ORDERS, CUSTOMERS, bad_every=3847)
    env = env_for(stack, ingest.url)
    state = tmp_path / "orders.csv.orders.state.json"

    run = cli_process(
        "import", "orders", str(orders), "--batch-size", "1000", "--concurrency", "2", env=env
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until about a third is confirmed, then kill
        if state.exists() and json.loads(state.read_text())["confirmed_line"] > ORDERS // 3:
            break
        assert run.poll() is None, "the import finished before it could be killed"
        await asyncio.sleep(0.05)
    run.kill()
    run.wait(10)
    halfway = json.loads(state.read_text())
    assert not halfway["done"] and 0 < halfway["confirmed_line"] < ORDERS

    done = cli("import", "orders", str(orders), "--resume", env=env)
    assert done.returncode == 3, done.stderr + done.stdout
    assert "skipped" in done.stdout
    assert f"(import {halfway['import_id']})" in done.stdout  # the same import, resumed
    await eventually(
        lambda: counts(stack),
        lambda c: c[1] == ORDERS - bad_orders,
        timeout=120,
        what="every order stored once",
    )
    assert len(report_lines(tmp_path / "orders.bad.csv")) == bad_orders
    assert json.loads(state.read_text())["done"]
    again = cli("import", "orders", str(orders), "--resume", env=env)
    assert again.returncode == 1 and "imported completely already" in again.stderr
