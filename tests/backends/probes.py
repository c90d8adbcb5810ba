"""Readiness probes: one real login to MariaDB or RabbitMQ, bounded in time.

The probes use the project's own async drivers (asyncmy, aio-pika) on a private event loop in a
worker thread, so they can be called from synchronous code and from inside a running loop alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import aio_pika
import asyncmy

T = TypeVar("T")


def run_async(factory: Callable[[], Awaitable[T]], timeout_s: float) -> T:
    """Run the coroutine made by ``factory`` on a fresh loop in another thread; wait its result."""

    async def bounded() -> T:
        return await asyncio.wait_for(factory(), timeout_s)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result(timeout_s + 5.0)


def mariadb_answers(host: str, port: int, user: str, password: str, timeout_s: float = 5.0) -> None:
    """Log in to MariaDB and run ``SELECT 1``; raises on any failure."""

    async def probe() -> None:
        conn = await asyncmy.connect(
            host=host, port=port, user=user, password=password, connect_timeout=timeout_s
        )
        try:
            async with conn.cursor() as cur:
                await cur.execute("SELECT 1")
                row = await cur.fetchone()
                if row is None or row[0] != 1:
                    raise RuntimeError(f"SELECT 1 returned {row!r}")
        finally:
            conn.close()

    run_async(probe, timeout_s)


def tcp_accepts(host: str, port: int, timeout_s: float = 2.0) -> None:
    """Open and close a TCP connection; raises OSError when nothing listens."""
    with socket.create_connection((host, port), timeout=timeout_s):
        pass


def rabbitmq_answers(url: str, timeout_s: float = 5.0) -> None:
    """Open an AMQP connection and a channel; raises on any failure.

    A plain TCP connect goes first, so that a broker still booting costs no AMQP attempt (and
    no error line in aiormq's log).
    """
    parsed = urlsplit(url)
    tcp_accepts(parsed.hostname or "127.0.0.1", parsed.port or 5672)

    async def probe() -> None:
        conn = await aio_pika.connect(url, timeout=timeout_s)
        try:
            channel = await conn.channel()
            await channel.close()
        finally:
            await conn.close()

    run_async(probe, timeout_s)
