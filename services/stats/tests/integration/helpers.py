"""Helpers for stats' integration tests: publish upstream events by hand, watch the
WebSocket, simulate a campaign run, and a client that stops reading."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aio_pika
import httpx
from websockets.asyncio.client import ClientConnection, connect

from shared.envelope import Envelope, new_event
from tests.support import auth
from tests.support.processes import ServiceProcess
from tests.support.stack import Stack

T = TypeVar("T")


class Publisher:
    """Publishes envelopes into ``<ns>.beacon.<service>`` as the other services would."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}

    async def __aenter__(self) -> Publisher:
        self._connection = await aio_pika.connect_robust(self._stack.amqp_url)
        channel = await self._connection.channel(publisher_confirms=True)
        for service in ("campaigns", "segments", "delivery"):
            self._exchanges[service] = await channel.declare_exchange(
                self._stack.settings.amqp_name(f"beacon.{service}"), "topic", durable=True
            )
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._connection is not None
        await self._connection.close()

    async def publish(self, service: str, event: Envelope) -> Envelope:
        await self._exchanges[service].publish(
            aio_pika.Message(event.to_bytes(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=event.type,
        )
        return event

    async def launched(self, campaign_id: str, name: str) -> Envelope:
        payload = {"campaign_id": campaign_id, "name": name, "rules": None}
        payload |= {"segment_id": "1", "message": "Hi {name}"}
        return await self.publish("campaigns", new_event("campaign.launched", payload, "test"))

    async def resolved(self, campaign_id: str, size: int) -> Envelope:
        payload = {"campaign_id": campaign_id, "size": size, "batches": 1, "error": None}
        return await self.publish("segments", new_event("audience.resolved", payload, "test"))

    async def delivery(self, deltas: list[dict[str, Any]], *, check: bool = True) -> Envelope:
        event = new_event("delivery.updated", {"campaigns": deltas}, "test", check_catalogue=check)
        return await self.publish("delivery", event)


def campaign_run(
    campaign_id: str, size: int, *, queue_batch: int = 1_000, receipt_batch: int = 50
) -> Iterator[dict[str, Any]]:
    """The deltas delivery would report for a run: queued in batches, then receipts in
    batches, every tenth recipient failing."""
    for start in range(0, size, queue_batch):
        yield {"campaign_id": campaign_id, "queued": min(queue_batch, size - start)}
    for start in range(0, size, receipt_batch):
        done = range(start, min(start + receipt_batch, size))
        failed = sum(1 for i in done if i % 10 == 9)
        yield {"campaign_id": campaign_id, "sent": len(done) - failed, "failed": failed}


@dataclass
class Watcher:
    """A WebSocket client that records every campaign_stats push, per campaign."""

    url: str
    subscribe: list[str] | None = None
    pushes: dict[str, list[tuple[float, dict[str, Any]]]] = field(default_factory=dict)
    other: list[dict[str, Any]] = field(default_factory=list)
    _ws: ClientConnection | None = None
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watcher:
        token = auth.mint("viewer")
        self._ws = await connect(
            self.url.replace("http", "ws", 1) + f"/api/v1/stats/ws?access_token={token}"
        )
        if self.subscribe is not None:
            await self.send({"type": "subscribe", "campaign_ids": self.subscribe})
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._ws is not None and self._task is not None
        self._task.cancel()
        await self._ws.close()

    async def send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        assert self._ws is not None
        await self._ws.send(text)

    async def _read(self) -> None:
        assert self._ws is not None
        async for raw in self._ws:
            message = json.loads(raw)
            if message["type"] == "campaign_stats":
                data = message["data"]
                self.pushes.setdefault(data["campaign_id"], []).append((time.monotonic(), data))
            else:
                self.other.append(message)

    def errors(self) -> list[dict[str, Any]]:
        return [m for m in self.other if m["type"] == "error"]

    def latest(self, campaign_id: str) -> dict[str, Any] | None:
        seen = self.pushes.get(campaign_id)
        return seen[-1][1] if seen else None

    def history(self, campaign_id: str) -> list[dict[str, Any]]:
        return [data for _, data in self.pushes.get(campaign_id, [])]


COUNTS = ("audience_size", "queued", "pending", "sent", "failed", "failure_rate")


def counts(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: snapshot[k] for k in COUNTS} if snapshot else None


def latest_counts(watcher: Watcher, campaign_id: str) -> dict[str, Any] | None:
    return counts(watcher.latest(campaign_id))


def stalled_client(port: int, subscribe: list[str]) -> socket.socket:
    """A raw WebSocket client that handshakes, subscribes and then never reads again
    (tiny receive buffer, so the server's side fills up fast)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /api/v1/stats/ws?access_token={auth.mint('viewer')} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    payload = json.dumps({"type": "subscribe", "campaign_ids": subscribe}).encode()
    assert len(payload) < 126
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return sock


async def metric(url: str, name: str) -> float:
    """The sum of a Prometheus metric's samples (0 when absent)."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def start(stack: Stack, *modes: str, **env: str) -> list[ServiceProcess]:
    """Start several stats processes at once (start-up is mostly imports: overlap them)."""
    processes = [stack.start("stats", mode, wait=False, **env) for mode in modes]
    for process in processes:
        process.wait_ready(timeout=120)
    return processes


def polled(read: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """An in-memory read as a probe for ``eventually``."""

    async def probe() -> T:
        return read()

    return probe
