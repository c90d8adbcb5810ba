"""A service inside the test's own process, for fast tests of a use case through its entry
point: its FastAPI app behind an in-process client (httpx ``ASGITransport``) and its
FastStream broker under ``TestRabbitBroker`` (handlers run in memory, no RabbitMQ), both
with the real unit of work on the test's MariaDB schema (migrated here).

The app's lifespan is not run: no broker connection, no relay, no background loop. What a
use case announces stays in the service's outbox table, where a test counts it exactly.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from shared.envelope import Envelope
from shared.migrations import upgrade
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def settings_for(stack: Stack, service: str, **overrides: Any) -> ServiceSettings:
    """The service's own settings class, pointing at the stack's namespace, trusting the
    test tokens (``stack.headers(role)``)."""
    module = importlib.import_module(f"services.{service}.settings")
    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    ]
    assert len(classes) == 1, classes
    env = {name.removeprefix("BEACON_").lower(): value for name, value in stack.env.items()}
    return classes[0](**{**env, "log_json": False, **overrides})


async def migrate(settings: ServiceSettings, service: str) -> None:
    migrations = ROOT / "services" / service / "migrations"
    # Alembic's env runs its own event loop: off this one.
    await asyncio.to_thread(upgrade, migrations, settings.mysql_url, settings.schema_name(service))


@dataclass
class InProcess:
    app: FastAPI
    settings: ServiceSettings
    runtime: Runtime
    client: httpx.AsyncClient
    broker: RabbitBroker  # under TestRabbitBroker

    async def deliver(self, queue: str, envelope: Envelope) -> None:
        """Hand ``envelope`` to the consumer of ``queue`` (e.g. ``"stats.counters"``), as
        RabbitMQ would; returns once the handler has acked (or dead-lettered) it."""
        await self.broker.publish(envelope.to_bytes(), queue=self.settings.amqp_name(queue))


@asynccontextmanager
async def in_process(
    stack: Stack, service: str, mode: str = "all", **overrides: Any
) -> AsyncIterator[InProcess]:
    """``services.<service>.app.build_app(mode)`` in this process (see the module doc)."""
    settings = settings_for(stack, service, **overrides)
    await migrate(settings, service)
    app = importlib.import_module(f"services.{service}.app").build_app(mode, settings)
    runtime: Runtime = app.state.runtime
    try:
        async with (
            TestRabbitBroker(runtime.broker) as broker,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            yield InProcess(app, settings, runtime, client, broker)
    finally:
        await runtime.engine.dispose()
