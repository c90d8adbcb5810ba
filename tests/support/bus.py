"""Talking to a test's RabbitMQ and to a process's metrics directly: publish events as a
service would, read what a queue's DLQ parked, sum a Prometheus counter."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aio_pika
import httpx

from shared.envelope import Envelope
from tests.support.stack import Stack


async def publish(stack: Stack, service: str, events: Sequence[Envelope]) -> None:
    """Publish to ``<ns>.beacon.<service>`` as that service would (routing key = type)."""
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            stack.settings.amqp_name(f"beacon.{service}"), "topic", durable=True
        )
        for event in events:
            await exchange.publish(
                aio_pika.Message(event.to_bytes(), message_id=str(event.event_id)),
                routing_key=event.type,
            )


async def dead_lettered(stack: Stack, queue: str) -> list[tuple[dict[str, Any], str]]:
    """Take every message parked in ``queue``'s DLQ: (envelope as JSON, reason)."""
    connection = await aio_pika.connect(stack.amqp_url)
    out: list[tuple[dict[str, Any], str]] = []
    async with connection:
        channel = await connection.channel()
        dlq = await channel.get_queue(stack.settings.amqp_name(f"{queue}.dlq"))
        while (message := await dlq.get(fail=False)) is not None:
            await message.ack()
            out.append((json.loads(message.body), str(message.headers["x-beacon-reason"])))
    return out


async def metric(url: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s series on ``url``/metrics whose labels include ``labels``."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{url}/metrics")).text
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, _, value = line.rpartition(" ")
            if all(label in series for label in wanted):
                total += float(value)
    return total
