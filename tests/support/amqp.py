"""RabbitMQ from the test's side: publish raw envelopes, read a DLQ, count queue depths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika
import orjson
from aio_pika.exceptions import ChannelClosed

from tests.support.stack import Stack, known_queues


@dataclass(frozen=True)
class Parked:
    """A dead-lettered message: its queue, reason header, type and body."""

    queue: str
    reason: str | None
    type: str | None
    body: bytes


async def publish_raw(
    stack: Stack, service: str, routing_key: str, body: bytes, **properties: Any
) -> None:
    """Publish bytes as ``service`` would (persistent, confirmed), bypassing its API."""
    connection = await aio_pika.connect(stack.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(stack.settings.amqp_name(f"beacon.{service}"))
        message = aio_pika.Message(
            body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **properties
        )
        await exchange.publish(message, routing_key=routing_key)


async def queue_depths(amqp_url: str, names: list[str]) -> dict[str, int | None]:
    """Ready-message counts of the named queues (None for a queue that does not exist)."""
    depths: dict[str, int | None] = {}
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        for name in names:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
                depths[name] = queue.declaration_result.message_count
            except ChannelClosed:
                depths[name] = None
            finally:
                if not channel.is_closed:
                    await channel.close()
    return depths


async def peek_dlq(stack: Stack, queue: str, limit: int = 1000) -> list[Parked]:
    """The messages parked in ``<queue>.dlq``, read and put back (nack with requeue)."""
    name = stack.settings.amqp_name(f"{queue}.dlq")
    found: list[Parked] = []
    connection = await aio_pika.connect(stack.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        try:
            dlq = await channel.declare_queue(name, passive=True)
        except ChannelClosed:
            return []
        held = []
        for _ in range(limit):
            message = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
            headers = message.headers or {}
            reason = headers.get("x-beacon-reason") or headers.get("x-first-death-reason")
            found.append(
                Parked(
                    queue,
                    None if reason is None else str(reason),
                    _event_type(message.body),
                    message.body,
                )
            )
        for message in held:
            await message.nack(requeue=True)
    return found


async def all_dlqs(stack: Stack) -> dict[str, list[Parked]]:
    """Every consumer queue's parked messages."""
    return {spec.name: await peek_dlq(stack, spec.name) for spec in known_queues()}


def _event_type(body: bytes) -> str | None:
    try:
        value = orjson.loads(body).get("type")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return None if value is None else str(value)
