"""Fixtures for every test: the backends (containers or the configured servers) and a
per-test Beacon stack in its own namespace (schemas and exchange/queue names)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.backends import Backends, start_backends
from tests.support.stack import Stack

# Services refuse to start without an exact BEACON_ENV; the tests run a local box (dev sign-in
# on), in this process and in every process they start (which inherit the environment). A
# test of production sets env="production" itself.
os.environ.setdefault("BEACON_ENV", "development")


@pytest.fixture(scope="session")
def backends() -> Iterator[Backends]:
    started = start_backends()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
async def stack(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    beacon = Stack(backends.mysql_url, backends.amqp_url, tmp_path_factory.mktemp("logs"))
    try:
        yield beacon
    finally:
        await beacon.close()
