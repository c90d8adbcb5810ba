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

Where the definitions file is loaded (Compose, Kubernetes: deploy/rabbitmq/definitions.json)
the broker creates every queue with its queue type only, and the arguments that may change
(delivery limit, dead-lettering, overflow, length limit) come from one RabbitMQ policy per queue
in the same file: an operator changes them with ``rabbitmqctl set_policy`` on the live queue,
with no redeclaration. A service finds those queues already there and uses them as they are
(:func:`queues_to_keep`); it never deletes a queue. Where nothing declared the queue before
(tests, a bare broker) the service declares it with every argument itself.
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

    def policy(self, settings: ServiceSettings) -> dict[str, str | int]:
        """The arguments that may change, as a RabbitMQ policy definition (no ``x-``)."""
        return {
            key.removeprefix("x-"): value
            for key, value in self.arguments(settings).items()
            if key not in IMMUTABLE_ARGUMENTS
        }

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
# What a policy cannot set: fixed when the queue is created.
IMMUTABLE_ARGUMENTS = ("x-queue-type",)


async def declare_exchange(broker: RabbitBroker, settings: ServiceSettings, service: str) -> None:
    await broker.declare_exchange(exchange(settings, service))


async def declare_queue(
    broker: RabbitBroker,
    settings: ServiceSettings,
    spec: QueueSpec,
    channel: Channel | None = None,
    *,
    keep: frozenset[str] = frozenset(),
) -> None:
    """Declare the queue, its bindings, the DLX and the DLQ (all idempotent).

    ``channel``: the one its subscriber consumes on. FastStream caches a declared queue with
    the channel that declared it and its subscriber then consumes there, so a subscriber
    with its own channel (its own prefetch) must have its queue declared on that channel.
    ``keep``: queue names (see :func:`queues_to_keep`) that exist with other arguments
    (the definitions file's, whose limits are policies): used as they are (a passive
    declaration, which RabbitMQ never refuses for its arguments).
    """
    dlx = await broker.declare_exchange(dead_letter_exchange(settings))
    dead_letters = spec.dead_letter_queue(settings)
    dlq = await broker.config.declarer.declare_queue(
        dead_letters, declare=dead_letters.name not in keep
    )
    await dlq.bind(dlx, routing_key=settings.amqp_name(spec.name))
    wanted = spec.queue(settings)
    queue = await broker.config.declarer.declare_queue(
        wanted, declare=wanted.name not in keep, channel=channel
    )
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


async def queues_to_keep(settings: ServiceSettings, specs: list[QueueSpec]) -> frozenset[str]:
    """The queues (and DLQs) that already exist with arguments other than the code's.

    RabbitMQ refuses to redeclare a queue with different arguments. That is the normal case
    where the definitions file created the queue with its type only and policies carry the
    rest; it is also the case of a queue an older Beacon declared with other arguments. Either
    way the queue is used as it is and reported: it is never deleted, since old pods may hold
    unacknowledged messages mid-rollout and only an operator can decide what to do with it
    (change a limit: its policy; change the queue type: a new queue and a shovel, see
    docs/operations.md). Each check runs on its own connection's channel (a refused
    declaration closes the channel).
    """
    keep: set[str] = set()
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
                except aiormq.exceptions.ChannelPreconditionFailed as refused:
                    keep.add(name)
                    log.info(
                        "queue_kept_as_declared",
                        queue=name,
                        code_arguments=arguments,
                        broker_said=str(refused)[:300],
                        hint="queue limits are RabbitMQ policies (definitions.json); never deleted",
                    )
                finally:
                    if not channel.is_closed:
                        await channel.close()
    return frozenset(keep)
