"""RabbitMQ topology: each service's own topic exchange, consumer queues with the DLX.

Names follow the contract: exchange ``beacon.<service>``, queue ``<consumer>.<purpose>``,
dead letters through the ``beacon.dlx`` exchange into ``<queue>.dlq``. Queues are declared
here (not by FastStream's subscriber) because a queue may need several bindings.

Consumer queues are quorum queues: replicated in a cluster, with a delivery limit (a
message redelivered that often is parked in its DLQ by the broker itself, so nothing is
retried forever) and at-least-once dead-lettering (the broker keeps a message until its
DLQ confirmed it), which needs ``x-overflow: reject-publish``. A queue that a 202 API
publishes into is ``bounded``: when full, the broker refuses the publish and the API
answers 503 instead of accepting what it could not keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import aio_pika
import aiormq
from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.schemas import Channel
from faststream.rabbit.schemas.queue import QuorumQueueArgs

from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)

DLX = "beacon.dlx"


def exchange(settings: ServiceSettings, service: str) -> RabbitExchange:
    """The durable topic exchange a service publishes to (``beacon.<service>``)."""
    return RabbitExchange(
        settings.amqp_name(f"beacon.{service}"), type=ExchangeType.TOPIC, durable=True
    )


def dead_letter_exchange(settings: ServiceSettings) -> RabbitExchange:
    return RabbitExchange(settings.amqp_name(DLX), type=ExchangeType.DIRECT, durable=True)


@dataclass(frozen=True)
class Binding:
    service: str  # whose exchange
    routing_keys: tuple[str, ...]


@dataclass(frozen=True)
class QueueSpec:
    """A consumer's durable queue, what it is bound to, and its dead-letter queue."""

    name: str  # contract name, e.g. "ingest.persistence"
    bindings: tuple[Binding, ...] = field(default_factory=tuple)
    bounded: bool = False  # holds at most settings.max_queue_length messages

    def arguments(self, settings: ServiceSettings) -> dict[str, str | int]:
        full = settings.amqp_name(self.name)
        arguments: dict[str, str | int] = {
            "x-queue-type": "quorum",
            "x-delivery-limit": settings.delivery_limit,
            "x-dead-letter-exchange": settings.amqp_name(DLX),
            "x-dead-letter-routing-key": full,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        if self.bounded:
            arguments["x-max-length"] = settings.max_queue_length
        return arguments

    def queue(self, settings: ServiceSettings) -> RabbitQueue:
        return RabbitQueue(
            settings.amqp_name(self.name),
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments=cast(QuorumQueueArgs, self.arguments(settings)),
        )

    def dead_letter_queue(self, settings: ServiceSettings) -> RabbitQueue:
        return RabbitQueue(
            settings.amqp_name(f"{self.name}.dlq"), queue_type=QueueType.QUORUM, durable=True
        )


DLQ_ARGUMENTS: dict[str, str | int] = {"x-queue-type": "quorum"}


async def declare_exchange(broker: RabbitBroker, settings: ServiceSettings, service: str) -> None:
    await broker.declare_exchange(exchange(settings, service))


async def declare_queue(
    broker: RabbitBroker, settings: ServiceSettings, spec: QueueSpec, channel: Channel | None = None
) -> None:
    """Declare the queue, its bindings, the DLX and the DLQ (all idempotent).

    ``channel``: the one its subscriber consumes on. FastStream caches a declared queue with
    the channel that declared it and its subscriber then consumes there, so a subscriber
    with its own channel (its own prefetch) must have its queue declared on that channel.
    """
    dlx = await broker.declare_exchange(dead_letter_exchange(settings))
    dlq = await broker.declare_queue(spec.dead_letter_queue(settings))
    await dlq.bind(dlx, routing_key=settings.amqp_name(spec.name))
    queue = await broker.config.declarer.declare_queue(spec.queue(settings), channel=channel)
    for binding in spec.bindings:
        source = await broker.declare_exchange(exchange(settings, binding.service))
        for key in binding.routing_keys:
            await queue.bind(source, routing_key=key)


@dataclass(frozen=True)
class ListenerSpec:
    """A per-process, exclusive, auto-delete queue: every replica gets every message.

    For fan-out to in-memory state (a cache, WebSocket hubs); no inbox, no DLQ: the state
    it feeds is rebuilt at start, so a lost queue loses nothing.
    """

    purpose: str  # e.g. "segments.cache"
    binding: Binding

    def queue(self, settings: ServiceSettings, instance: str) -> RabbitQueue:
        return RabbitQueue(
            settings.amqp_name(f"{self.purpose}.{instance}"), exclusive=True, auto_delete=True
        )


async def declare_listener(
    broker: RabbitBroker, settings: ServiceSettings, spec: ListenerSpec, instance: str
) -> None:
    queue = await broker.declare_queue(spec.queue(settings, instance))
    source = await broker.declare_exchange(exchange(settings, spec.binding.service))
    for key in spec.binding.routing_keys:
        await queue.bind(source, routing_key=key)


async def replace_outdated_queues(settings: ServiceSettings, specs: list[QueueSpec]) -> None:
    """Make way for the declared arguments where an older Beacon left a queue with others.

    RabbitMQ refuses to redeclare a queue with different arguments (a classic queue as
    quorum, say). An empty one is deleted and declared anew (its bindings follow in
    :func:`declare_queue`); one holding messages is left alone and reported, since only an
    operator can decide what to do with them (drain it with the old version, or shovel it).
    """
    connection = await aio_pika.connect(settings.amqp_url, timeout=10)
    async with connection:
        for spec in specs:
            wanted = (
                (settings.amqp_name(spec.name), spec.arguments(settings)),
                (settings.amqp_name(f"{spec.name}.dlq"), DLQ_ARGUMENTS),
            )
            for name, arguments in wanted:
                channel = await connection.channel()
                try:
                    await channel.declare_queue(name, durable=True, arguments=dict(arguments))
                except aiormq.exceptions.ChannelPreconditionFailed:
                    channel = await connection.channel()
                    existing = await channel.declare_queue(name, passive=True)
                    held = existing.declaration_result.message_count
                    if held:
                        raise RuntimeError(
                            f"queue {name} was declared by an older Beacon with other "
                            f"arguments and holds {held} messages: drain it with that version "
                            "(or move them) before starting this one"
                        ) from None
                    await channel.queue_delete(name)
                    await channel.declare_queue(name, durable=True, arguments=dict(arguments))
                    log.warning("queue_redeclared", queue=name, arguments=arguments)
                finally:
                    if not channel.is_closed:
                        await channel.close()
