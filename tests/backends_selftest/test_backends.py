"""Self-test of ``tests/backends``: start throwaway MariaDB and RabbitMQ, use them, inject faults.

Run alone with::

    BEACON_TEST_BACKEND=containers uv run pytest tests/backends_selftest -q

Under ``BEACON_TEST_BACKEND=env`` (or ``auto`` without a Docker engine) the module is skipped:
it tests the container backends.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import aio_pika
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

try:  # tests/ is a package (rootdir on sys.path) ...
    from tests.backends import Backends, selected_backend, start_backends
except ModuleNotFoundError:  # ... or tests/ itself is on sys.path (pytest's rootdir-less insert)
    from backends import Backends, selected_backend, start_backends  # type: ignore[no-redef]

integration = pytest.mark.integration


@pytest.fixture(scope="module")
def backends() -> Iterator[Backends]:
    if selected_backend() != "containers":
        pytest.skip("the backends self-test needs BEACON_TEST_BACKEND=containers (or an engine)")
    started = start_backends()
    try:
        yield started
    finally:
        started.close()


async def scalar(url: str, sql: str) -> object:
    engine = create_async_engine(url, pool_pre_ping=False)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar()
    finally:
        await engine.dispose()


async def amqp_roundtrip(url: str, queue_name: str, body: bytes) -> bytes:
    conn = await aio_pika.connect(url, timeout=10)
    async with conn:
        channel = await conn.channel()
        queue = await channel.declare_queue(queue_name, auto_delete=True)
        await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue_name)
        async with queue.iterator(timeout=10) as messages:
            async for message in messages:
                async with message.process():
                    return message.body
    raise AssertionError("no message")


@integration
def test_urls_point_at_fresh_containers(backends: Backends) -> None:
    assert backends.kind == "containers"
    assert backends.mysql_url.startswith("mysql+asyncmy://")
    assert backends.amqp_url.startswith("amqp://")
    # never the machine's own MariaDB (3306) or RabbitMQ (5672)
    assert not backends.mysql_url.endswith(":3306")
    assert ":5672/" not in backends.amqp_url


@integration
async def test_mariadb_select_and_create_drop_database(backends: Backends) -> None:
    assert await scalar(backends.mysql_url, "SELECT 1") == 1
    name = f"beacon_selftest_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(backends.mysql_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE `{name}`"))
            await conn.execute(text(f"CREATE TABLE `{name}`.t (id INT PRIMARY KEY, v TEXT)"))
            await conn.execute(text(f"INSERT INTO `{name}`.t VALUES (1, 'ünïcode ✓')"))
            value = (await conn.execute(text(f"SELECT v FROM `{name}`.t"))).scalar()
            assert value == "ünïcode ✓"
            await conn.execute(text(f"DROP DATABASE `{name}`"))
            gone = (await conn.execute(text("SHOW DATABASES LIKE :n"), {"n": name})).scalar()
            assert gone is None
    finally:
        await engine.dispose()


@integration
async def test_amqp_publish_and_consume(backends: Backends) -> None:
    body = uuid.uuid4().bytes
    assert await amqp_roundtrip(backends.amqp_url, f"selftest-{uuid.uuid4().hex}", body) == body


@integration
async def test_broker_stop_and_start_keeps_port_users_and_durable_queues(
    backends: Backends,
) -> None:
    queue_name = f"selftest-durable-{uuid.uuid4().hex}"
    conn = await aio_pika.connect(backends.amqp_url, timeout=10)
    async with conn:
        channel = await conn.channel()
        await channel.declare_queue(queue_name, durable=True)
        await channel.default_exchange.publish(
            aio_pika.Message(b"survives", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=queue_name,
        )

    await asyncio.to_thread(backends.stop_broker)
    amqp = urlsplit(backends.amqp_url)
    with pytest.raises(OSError):  # nothing listens on the broker's port any more
        socket.create_connection((amqp.hostname, amqp.port), timeout=3).close()

    await asyncio.to_thread(backends.start_broker)
    conn = await aio_pika.connect(backends.amqp_url, timeout=10)  # same URL: same port and user
    async with conn:
        channel = await conn.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        message = await queue.get(timeout=10, fail=False)
        assert message is not None and message.body == b"survives"
        await message.ack()
        await queue.delete(if_unused=False, if_empty=False)
    body = uuid.uuid4().bytes
    assert await amqp_roundtrip(backends.amqp_url, f"selftest-{uuid.uuid4().hex}", body) == body


@integration
async def test_db_pause_and_unpause(backends: Backends) -> None:
    await asyncio.to_thread(backends.pause_db)
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(scalar(backends.mysql_url, "SELECT 1"), timeout=2)
    finally:
        await asyncio.to_thread(backends.unpause_db)
    assert await scalar(backends.mysql_url, "SELECT 1") == 1


@integration
async def test_db_restart_keeps_port_users_and_data(backends: Backends) -> None:
    name = f"selftest_{uuid.uuid4().hex[:8]}"  # dropped with the container
    engine = create_async_engine(backends.mysql_url + "/", pool_pre_ping=False)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE DATABASE `{name}`"))
            await conn.execute(text(f"CREATE TABLE `{name}`.t (v INT)"))
            await conn.execute(text(f"INSERT INTO `{name}`.t VALUES (42)"))
    finally:
        await engine.dispose()
    await asyncio.to_thread(backends.stop_db)
    try:
        with pytest.raises(Exception):  # noqa: B017 - refused: any driver error will do
            await asyncio.wait_for(scalar(backends.mysql_url, "SELECT 1"), timeout=5)
    finally:
        await asyncio.to_thread(backends.start_db)
    assert await scalar(backends.mysql_url, f"SELECT v FROM `{name}`.t") == 42
    await asyncio.to_thread(backends.restart_db)
    assert await scalar(backends.mysql_url, f"SELECT v FROM `{name}`.t") == 42
    assert await scalar(backends.mysql_url, f"SELECT COUNT(*) FROM `{name}`.t") == 1


def test_env_backends_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEACON_TEST_BACKEND", "env")
    monkeypatch.setenv("BEACON_MYSQL_URL", "mysql+asyncmy://u:p@127.0.0.1:13306")
    monkeypatch.delenv("BEACON_AMQP_URL", raising=False)
    env_backends = start_backends()
    assert env_backends.kind == "env"
    assert env_backends.mysql_url == "mysql+asyncmy://u:p@127.0.0.1:13306"
    assert env_backends.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    for fault in (env_backends.stop_broker, env_backends.pause_db, env_backends.stop_db):
        with pytest.raises(pytest.skip.Exception, match="BEACON_TEST_BACKEND=containers"):
            fault()
    env_backends.close()


def test_unknown_backend_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEACON_TEST_BACKEND", "docker-compose")
    with pytest.raises(RuntimeError, match="BEACON_TEST_BACKEND"):
        start_backends()
