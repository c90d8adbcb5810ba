"""Fixtures for every test: the backends (containers or the configured servers) and a
per-test Beacon stack in its own namespace (schemas and exchange/queue names)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.backends import Backends, start_backends
from tests.support.stack import Stack


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
