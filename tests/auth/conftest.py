"""Every service's API app in this process (FastAPI's TestClient runs its lifespan), on real
MariaDB and RabbitMQ in one namespace, for the sign-in matrix."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from shared.db import make_engine
from shared.migrations import upgrade
from tests.backends import Backends
from tests.support import auth
from tests.support.auth import FakeGoogle
from tests.support.stack import SERVICES, Stack

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


def off_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a loop of its own thread (pytest-asyncio's loop stays untouched)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@dataclass
class Apps:
    stack: Stack
    clients: dict[str, TestClient]
    google: FakeGoogle

    def settings(self, service: str, **overrides: Any) -> Any:
        module = importlib.import_module(f"services.{service}.settings")
        cls = next(
            v
            for k, v in vars(module).items()
            if k.endswith("Settings") and k != "ServiceSettings" and isinstance(v, type)
        )
        values = {
            "mysql_url": self.stack.mysql_url,
            "amqp_url": self.stack.amqp_url,
            "namespace": self.stack.namespace,
            "auth_signing_key": auth.auth_env()["BEACON_AUTH_SIGNING_KEY"],
            "auth_key_pepper": auth.PEPPER,
        }
        return cls(**{**values, **overrides})

    def client(self, service: str, **overrides: Any) -> TestClient:
        """A fresh app of ``service`` with other settings (enter it with ``with``)."""
        app = importlib.import_module(f"services.{service}.app")
        return TestClient(app.build_app("api", self.settings(service, **overrides)))

    def sql(self, service: str, query: str, **params: Any) -> Any:
        async def run() -> Any:
            engine = make_engine(
                self.stack.mysql_url, self.stack.settings.schema_name(service), pool_size=1
            )
            try:
                async with engine.begin() as conn:
                    result = await conn.execute(text(query), params)
                    return result.scalar() if result.returns_rows else None
            finally:
                await engine.dispose()

        return off_loop(run)


@pytest.fixture(scope="module")
def apps(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    stack = Stack(backends.mysql_url, backends.amqp_url, tmp_path_factory.mktemp("logs"))
    google = FakeGoogle()
    clients: dict[str, TestClient] = {}
    try:
        for service in SERVICES:
            schema = stack.settings.schema_name(service)
            with ThreadPoolExecutor(1) as pool:  # Alembic runs a loop of its own
                migrations = ROOT / "services" / service / "migrations"
                pool.submit(upgrade, migrations, stack.mysql_url, schema).result()
        built = Apps(stack, clients, google)
        overrides = {
            "campaigns": {
                "auth_google_certs_url": google.certs_url,
            }
        }
        for service in SERVICES:
            client = built.client(service, **overrides.get(service, {}))
            client.__enter__()
            clients[service] = client
        yield built
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        google.close()
        off_loop(stack.close)
