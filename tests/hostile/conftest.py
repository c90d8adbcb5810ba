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
    # Every hostile request comes from one address: at the default per-IP limits most of
    # them would be 429s and the logic behind never reached. The limiter still runs, at a
    # rate no test reaches (tests/auth tests the limits themselves).
    stack_env = {
        "BEACON_AUTH_RATE_LIMIT": "1000/second",
        "BEACON_AUTH_KEY_FAILURE_LIMIT": "1000/second",
    }
    try:
        # Started side by side, then awaited: on a busy machine five migrations in a row
        # take minutes.
        processes = {
            "ingest": stack.start("ingest", "all", wait=False, **stack_env),
            "segments": stack.start("segments", "api", wait=False, **stack_env),
            "campaigns": stack.start("campaigns", "api", wait=False, **stack_env),
            "delivery": stack.start(
                "delivery", "api", wait=False, BEACON_VENDOR_SECRET=VENDOR_SECRET, **stack_env
            ),
            "stats": stack.start("stats", "api", wait=False, **stack_env),
        }
        for process in processes.values():
            process.wait_ready(timeout=240)
        yield Apis(stack, {name: p.url for name, p in processes.items()})
    finally:
        await stack.close()
