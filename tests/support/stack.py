"""One test's own Beacon: a namespace on the shared backends, its processes, its cleanup."""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth.apikeys import COPY_SERVICES, copy_queue
from shared.db import drop_schema, make_engine
from shared.settings import ServiceSettings
from shared.topology import DLX, QueueSpec
from tests.support import auth
from tests.support.processes import ServiceProcess

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")


def known_queues() -> list[QueueSpec]:
    """Every queue any service declares (read from their consumers modules)."""
    specs: list[QueueSpec] = []
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.consumers")
        except ImportError:
            continue
        specs.extend(v for v in vars(module).values() if isinstance(v, QueueSpec))
    return specs + [copy_queue(service) for service in COPY_SERVICES]


@dataclass
class Stack:
    mysql_url: str
    amqp_url: str
    log_dir: Path
    namespace: str = field(default_factory=lambda: "t" + uuid.uuid4().hex[:10])
    processes: list[ServiceProcess] = field(default_factory=list)
    _engines: dict[str, AsyncEngine] = field(default_factory=dict)

    @property
    def settings(self) -> ServiceSettings:
        return ServiceSettings(
            mysql_url=self.mysql_url, amqp_url=self.amqp_url, namespace=self.namespace
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            "BEACON_MYSQL_URL": self.mysql_url,
            "BEACON_AMQP_URL": self.amqp_url,
            "BEACON_NAMESPACE": self.namespace,
            "BEACON_LOG_LEVEL": "INFO",
            **auth.auth_env(),  # every process trusts tokens signed with the test key
        }

    def token(self, role: str = "admin", **kwargs: Any) -> str:
        """An access token every process of this stack accepts (see tests.support.auth)."""
        return auth.mint(role, **kwargs)

    def headers(self, role: str = "admin", **kwargs: Any) -> dict[str, str]:
        return auth.headers(role, **kwargs)

    def start(self, service: str, mode: str, *, wait: bool = True, **env: str) -> ServiceProcess:
        process = ServiceProcess(service, mode, {**self.env, **env}, self.log_dir)
        self.processes.append(process)
        return process.start(wait=wait)

    def start_vendor(self, *, wait: bool = True, **env: str) -> ServiceProcess:
        """The vendor simulator (``python -m simulators.vendor``): no database, no broker."""
        return self.start("vendor", "simulator", wait=wait, **env)

    def db(self, service: str) -> AsyncEngine:
        if service not in self._engines:
            self._engines[service] = make_engine(
                self.mysql_url, self.settings.schema_name(service), pool_size=2
            )
        return self._engines[service]

    async def scalar(self, service: str, sql: str, **params: Any) -> Any:
        async with self.db(service).connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        async with self.db(service).connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def close(self) -> None:
        for process in self.processes:
            process.stop()
        for engine in self._engines.values():
            await engine.dispose()
        for service in SERVICES:
            await drop_schema(self.mysql_url, self.settings.schema_name(service))
        await self._delete_amqp()

    async def _delete_amqp(self) -> None:
        settings = self.settings
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            for spec in known_queues():
                await channel.queue_delete(settings.amqp_name(spec.name))
                await channel.queue_delete(settings.amqp_name(f"{spec.name}.dlq"))
            for service in SERVICES:
                await channel.exchange_delete(settings.amqp_name(f"beacon.{service}"))
            await channel.exchange_delete(settings.amqp_name(DLX))
