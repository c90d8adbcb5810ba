"""``beacon imports`` and ``beacon customers erase``: what was imported, and taking it back.

An import (``POST /api/v1/imports``) records what it wrote; ``undo`` removes what it created
and restores what it changed (``POST .../undo`` answers 202 and the import goes from
``undoing`` to ``undone``). Erasing a customer (``DELETE /api/v1/customers/{id}``) removes
their personal data from every service, by event, leaving a tombstone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from beacon_cli.client import Beacon, check
from beacon_cli.errors import CliError


def listing(beacon: Beacon, limit: int, cursor: str | None = None) -> dict[str, Any]:
    return dict(beacon.get("ingest", "/api/v1/imports", limit=limit, cursor=cursor) or {})


def one(beacon: Beacon, import_id: str) -> dict[str, Any]:
    return dict(beacon.get("ingest", f"/api/v1/imports/{quote(import_id, safe='')}") or {})


def undo(
    beacon: Beacon,
    import_id: str,
    on_progress: Callable[[dict[str, Any]], None] = lambda _: None,
    timeout_s: float = 600.0,
) -> dict[str, Any]:
    """Ask for the undo, then wait until the import is ``undone``."""
    path = f"/api/v1/imports/{quote(import_id, safe='')}"
    found = dict(beacon.post("ingest", f"{path}/undo", {}) or {})
    deadline = time.monotonic() + timeout_s
    delay = 0.2
    while found.get("status") != "undone":
        on_progress(found)
        if time.monotonic() > deadline:
            raise CliError(
                f"import {import_id} is still {found.get('status')} after {timeout_s:.0f} s.",
                hint=f"it may still finish: `beacon imports show {import_id}`.",
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
        found = one(beacon, import_id)
    on_progress(found)
    return found


def erase_customer(beacon: Beacon, customer_id: str) -> Any:
    response = beacon.request(
        "ingest", "DELETE", f"/api/v1/customers/{quote(customer_id, safe='@+')}"
    )
    return check(response, f"DELETE /api/v1/customers/{customer_id}")
