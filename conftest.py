"""Fixtures for every test: the backends (containers or the configured servers) and a
per-test Beacon stack in its own namespace (schemas and exchange/queue names)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

try:
    from tests.backends import Backends, start_backends
except ImportError:  # TEMPORARY until tests/backends lands
    import os
    from dataclasses import dataclass

    @dataclass
    class Backends:  # type: ignore[no-redef]
        mysql_url: str
        amqp_url: str
        kind: str = "env"

        def close(self) -> None: ...

    def start_backends() -> Backends:  # type: ignore[misc]
        return Backends(
            os.environ.get("BEACON_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306"),
            os.environ.get("BEACON_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        )
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def backends() -> Iterator[Backends]:
    started = start_backends()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
async def stack(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    beacon = Stack(backends.mysql_url, backends.amqp_url, tmp_path_factory.mktemp("logs"))
    try:
        yield beacon
    finally:
        await beacon.close()
