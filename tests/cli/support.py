"""Running the ``beacon`` command in tests, and shop-style files with known bad rows."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT

CUSTOMER_HEADER = ["Customer ID", "First Name", "Last Name", "Email", "Phone", "City", "Created At"]
ORDER_HEADER = ["Order ID", "Customer ID", "Order Total", "Order Date", "Notes"]


def auth_env(stack: Any) -> dict[str, str]:
    """The stack's environment, plus a token when the services check tokens (once sign-in
    exists, the Stack mints them)."""
    env = dict(stack.env)
    if hasattr(stack, "token"):
        env["BEACON_TOKEN"] = stack.token("admin")
    return env


def auth_headers(stack: Any) -> dict[str, str]:
    return dict(stack.headers("admin")) if hasattr(stack, "headers") else {}


def cli(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "beacon_cli", *args],
        cwd=ROOT,
        env={**os.environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_process(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "beacon_cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def write_customers(path: Path, count: int, bad_every: int) -> int:
    """``count`` rows; every ``bad_every``-th is bad in one of several ways. Returns bad."""
    bad = 0
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(CUSTOMER_HEADER)
        for i in range(count):
            row = [
                f"C{i}",
                f"Asha{i}",
                "Iyer",
                f"asha{i}@example.in",
                "+91 98450 12345",
                ["Pune", "Chennai", "Delhi"][i % 3],
                "2025-06-01 09:30:00",
            ]
            if i and i % bad_every == 0:
                kind = bad % 4
                if kind == 0:
                    row[3] = "not-an-email"
                elif kind == 1:
                    row[1] = "A" * 201  # name too long
                elif kind == 2:
                    row[6] = "1st of June"  # unreadable date
                else:
                    row[0] = "X" * 65  # id too long
                bad += 1
            out.writerow(row)
    return bad


def write_orders(path: Path, count: int, customers: int, bad_every: int) -> int:
    bad = 0
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(ORDER_HEADER)
        for i in range(count):
            row = [
                f"O{i}",
                f"C{(i * 7) % customers}",
                f"{(i * 7919) % 6000}.50",
                f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}T10:00:00+05:30",
                "",
            ]
            if i and i % bad_every == 0:
                kind = bad % 5
                if kind == 0:
                    row[2] = "-10"
                elif kind == 1:
                    row[2] = "12.345"
                elif kind == 2:
                    row[3] = "1800-01-01T00:00:00Z"
                elif kind == 3:
                    row[0] = ""
                else:
                    row[3] = "yesterday"
                bad += 1
            out.writerow(row)
    return bad


def report_lines(path: Path) -> list[dict[str, object]]:
    """The bad-rows report's records: a CSV report's rows (the error in ``Beacon Error``,
    each row a record here: these files have one row per record), or JSON Lines."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    return [json.loads(line) for line in path.read_text().splitlines()]
