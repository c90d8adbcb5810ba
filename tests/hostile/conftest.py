"""One Beacon per module for the hostile-input tests: every service's API as a real process.

Starting five processes per test row would take minutes; the rows only read and write
their own ids, so one namespace per module is shared by all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.backends import Backends
from tests.support.stack import Stack

VENDOR_SECRET = "hostile-test-vendor-secret"


@dataclass
class Apis:
    """Base URLs of each service's API process (ingest runs "all" so 202s get stored)."""

    stack: Stack
    urls: dict[str, str]


@pytest.fixture(scope="module")
async def apis(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Apis]:
    stack = Stack(backends.mysql_url, backends.amqp_url, tmp_path_factory.mktemp("hostile"))
    try:
        # Started side by side, then awaited: on a busy machine five migrations in a row
        # take minutes.
        processes = {
            "ingest": stack.start("ingest", "all", wait=False),
            "segments": stack.start("segments", "api", wait=False),
            "campaigns": stack.start("campaigns", "api", wait=False),
            "delivery": stack.start(
                "delivery", "api", wait=False, BEACON_VENDOR_SECRET=VENDOR_SECRET
            ),
            "stats": stack.start("stats", "api", wait=False),
        }
        for process in processes.values():
            process.wait_ready(timeout=240)
        yield Apis(stack, {name: p.url for name, p in processes.items()})
    finally:
        await stack.close()
