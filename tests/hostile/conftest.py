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
async def apis(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Apis]:
    stack = Stack(backends.mysql_url, backends.amqp_url, tmp_path_factory.mktemp("hostile"))
    try:
        urls = {
            "ingest": stack.start("ingest", "all").url,
            "segments": stack.start("segments", "api").url,
            "campaigns": stack.start("campaigns", "api").url,
            "delivery": stack.start("delivery", "api", BEACON_VENDOR_SECRET=VENDOR_SECRET).url,
            "stats": stack.start("stats", "api").url,
        }
        yield Apis(stack, urls)
    finally:
        await stack.close()
