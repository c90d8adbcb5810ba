"""RabbitMQ topology: each service's own topic exchange, consumer queues with the DLX.

Names follow the contract: exchange ``beacon.<service>``, queue ``<consumer>.<purpose>``,
dead letters through the ``beacon.dlx`` exchange into ``<queue>.dlq``. Queues are declared
here (not by FastStream's subscriber) because a queue may need several bindings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue

from shared.settings import ServiceSettings

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

    def queue(self, settings: ServiceSettings) -> RabbitQueue:
        full = settings.amqp_name(self.name)
        return RabbitQueue(
            full,
            durable=True,
            arguments={
                "x-dead-letter-exchange": settings.amqp_name(DLX),
                "x-dead-letter-routing-key": full,
            },
        )

    def dead_letter_queue(self, settings: ServiceSettings) -> RabbitQueue:
        return RabbitQueue(settings.amqp_name(f"{self.name}.dlq"), durable=True)


async def declare_exchange(broker: RabbitBroker, settings: ServiceSettings, service: str) -> None:
    await broker.declare_exchange(exchange(settings, service))


async def declare_queue(broker: RabbitBroker, settings: ServiceSettings, spec: QueueSpec) -> None:
    """Declare the queue, its bindings, the DLX and the DLQ (all idempotent)."""
    dlx = await broker.declare_exchange(dead_letter_exchange(settings))
    dlq = await broker.declare_queue(spec.dead_letter_queue(settings))
    await dlq.bind(dlx, routing_key=settings.amqp_name(spec.name))
    queue = await broker.declare_queue(spec.queue(settings))
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
