"""Dead-lettered messages over AMQP: count, look at, replay and purge them, per queue.

Which queues: the CLI imports no service code, so it cannot read the services' QueueSpecs;
it keeps the contract's consumer queue names here (``tests/cli/test_dlq.py`` fails when
they drift from the services') and asks RabbitMQ about each ``<queue>.dlq`` with a passive
declare, which answers the message count and creates nothing. Any other name can be given.

Where a replay goes: a message parked by a service (``shared/consumer.py``) carries
``x-beacon-exchange`` and ``x-beacon-routing-key``; one dead-lettered by RabbitMQ itself
(delivery limit, rejection) carries ``x-first-death-exchange`` and the original key in
``x-death[0].routing-keys``. A replay republishes the body with its properties to that
exchange and key (every queue bound to it gets it again: consumers' inboxes make that
harmless) and removes the parked copy only after RabbitMQ confirms the publish. ``direct``
sends it instead to the one queue it came from, through the default exchange.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from aiormq.exceptions import ChannelNotFoundEntity, DeliveryError

from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError

QUEUES = (
    "ingest.persistence",
    "segments.profiles",
    "segments.audiences",
    "campaigns.progress",
    "delivery.campaigns",
    "delivery.audience",
    "delivery.send",
    "delivery.erasures",
    "delivery.receipts",
    "stats.counters",
    # Sign-in: each service's copy of the API keys, and campaigns' record of key use.
    "campaigns.key_usage",
    "ingest.api_keys",
    "segments.api_keys",
    "delivery.api_keys",
    "stats.api_keys",
)
DLQ_SUFFIX = ".dlq"
DROPPED_ON_REPLAY = (
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-beacon-reason",
    "x-beacon-queue",
    "x-beacon-exchange",
    "x-beacon-routing-key",
    "x-delivery-count",
)


@dataclass(frozen=True)
class QueueCount:
    queue: str  # contract name, e.g. "ingest.persistence"
    dlq: str  # the actual DLQ name on the broker
    messages: int


@dataclass(frozen=True)
class Parked:
    """A parked message as shown: where it came from and why."""

    index: int
    reason: str | None
    queue: str | None
    exchange: str | None
    routing_key: str | None
    type: str | None
    event_id: str | None
    correlation_id: str | None
    size: int
    headers: dict[str, Any]


def contract_name(name: str) -> str:
    """Accept ``ingest.persistence``, ``ingest.persistence.dlq`` or a namespaced name."""
    return name.removesuffix(DLQ_SUFFIX)


def origin(headers: dict[str, Any]) -> tuple[str | None, str | None]:
    """(exchange, routing key) the message was first published to, if it says."""
    # An empty value means the service did not know it (as None): fall back to RabbitMQ's.
    exchange = headers.get("x-beacon-exchange") or None
    key = headers.get("x-beacon-routing-key") or None
    if exchange is None:
        exchange = headers.get("x-first-death-exchange") or None
    if key is None:
        deaths = headers.get("x-death") or []
        if deaths and isinstance(deaths[0], dict):
            keys = deaths[0].get("routing-keys") or []
            key = keys[0] if keys else None
    return _text(exchange), _text(key)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return None if value is None else str(value)


class DeadLetters:
    def __init__(self, settings: CliSettings) -> None:
        self.settings = settings

    def dlq_name(self, queue: str) -> str:
        name = contract_name(queue)
        prefix = f"{self.settings.namespace}."
        if self.settings.namespace and name.startswith(prefix):
            name = name[len(prefix) :]
        return self.settings.amqp_name(name + DLQ_SUFFIX)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AbstractConnection]:
        try:
            connection = await aio_pika.connect(self.settings.amqp_url, timeout=10)
        except (OSError, aio_pika.exceptions.AMQPConnectionError, TimeoutError) as error:
            raise CliError(
                f"cannot reach RabbitMQ at {self._safe_url()} ({type(error).__name__}).",
                hint="is it running? Set BEACON_AMQP_URL (and BEACON_NAMESPACE if the suite "
                "runs in one).",
            ) from None
        async with connection:
            yield connection

    def _safe_url(self) -> str:
        url = self.settings.amqp_url
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}" if "@" in rest else url

    async def _count(self, connection: AbstractConnection, dlq: str) -> int | None:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(dlq, passive=True)
        except ChannelNotFoundEntity:
            return None  # a passive declare of a missing queue closes the channel
        count = declared.declaration_result.message_count or 0
        await channel.close()
        return int(count)

    async def counts(self, queues: list[str] | None = None) -> list[QueueCount]:
        """Each known (or given) queue's DLQ that exists, with its message count."""
        found = []
        async with self._connection() as connection:
            for queue in queues or list(QUEUES):
                dlq = self.dlq_name(queue)
                count = await self._count(connection, dlq)
                if count is not None:
                    found.append(QueueCount(contract_name(queue), dlq, count))
        return found

    async def _open(
        self, connection: AbstractConnection, queue: str
    ) -> tuple[AbstractChannel, aio_pika.abc.AbstractQueue, int]:
        dlq = self.dlq_name(queue)
        if await self._count(connection, dlq) is None:
            raise CliError(
                f"there is no dead-letter queue {dlq!r}.",
                hint="`beacon dlq list` shows the ones that exist.",
            )
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        declared = await channel.declare_queue(dlq, passive=True)
        return channel, declared, int(declared.declaration_result.message_count or 0)

    async def show(self, queue: str, limit: int = 10) -> list[Parked]:
        """The first ``limit`` parked messages; they stay parked (never acknowledged)."""
        shown = []
        async with self._connection() as connection:
            channel, dlq, _ = await self._open(connection, queue)
            for index in range(limit):
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                shown.append(describe(index, message))
            await channel.close()  # unacknowledged: RabbitMQ puts them back, in order
        return shown

    async def replay(
        self, queue: str, limit: int | None = None, *, direct: bool = False
    ) -> tuple[int, list[str]]:
        """Republish up to ``limit`` parked messages; (replayed, problems)."""
        replayed, problems = 0, []
        async with self._connection() as connection:
            channel, dlq, count = await self._open(connection, queue)
            todo = count if limit is None else min(limit, count)
            for _ in range(todo):
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                headers = dict(message.headers or {})
                if direct:
                    parked_in = (
                        _text(headers.get("x-beacon-queue"))
                        or _text(headers.get("x-first-death-queue"))
                        or contract_name(queue)
                    )
                    exchange_name: str | None = ""
                    key: str | None = self._queue_name(parked_in)
                else:
                    exchange_name, key = origin(headers)
                if exchange_name is None or key is None:
                    problems.append(
                        f"message {message.message_id or '?'} records no original "
                        "exchange and routing key (left parked; try --direct)"
                    )
                    continue  # stays unacknowledged until the channel closes: left parked
                try:
                    exchange = (
                        channel.default_exchange
                        if exchange_name == ""
                        else await channel.get_exchange(exchange_name, ensure=False)
                    )
                    await exchange.publish(
                        _republished(message, headers), routing_key=key, mandatory=True
                    )
                except DeliveryError:
                    problems.append(
                        f"message {message.message_id or '?'}: no queue is bound "
                        f"to {exchange_name!r} with key {key!r} (left parked)"
                    )
                    continue
                await message.ack()  # only after the broker confirmed the republished copy
                replayed += 1
            await channel.close()
        return replayed, problems

    def _queue_name(self, contract: str) -> str:
        prefix = f"{self.settings.namespace}."
        if self.settings.namespace and contract.startswith(prefix):
            return contract
        return self.settings.amqp_name(contract)

    async def purge(self, queue: str) -> int:
        async with self._connection() as connection:
            channel, dlq, _ = await self._open(connection, queue)
            result = await dlq.purge()
            await channel.close()
        return int(result.message_count or 0)


def _republished(message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
    kept = {k: v for k, v in headers.items() if k not in DROPPED_ON_REPLAY}
    kept["x-beacon-replayed"] = int(headers.get("x-beacon-replayed", 0) or 0) + 1
    return aio_pika.Message(
        message.body,
        headers=kept,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        timestamp=message.timestamp,
    )


def describe(index: int, message: AbstractIncomingMessage) -> Parked:
    headers = dict(message.headers or {})
    exchange, key = origin(headers)
    envelope: dict[str, Any] = {}
    try:
        decoded = orjson.loads(message.body)
        envelope = decoded if isinstance(decoded, dict) else {}
    except orjson.JSONDecodeError:
        pass
    return Parked(
        index=index,
        reason=_text(headers.get("x-beacon-reason") or headers.get("x-first-death-reason")),
        queue=_text(headers.get("x-beacon-queue") or headers.get("x-first-death-queue")),
        exchange=exchange,
        routing_key=key,
        type=_text(envelope.get("type")),
        event_id=_text(envelope.get("event_id")),
        correlation_id=_text(envelope.get("correlation_id") or message.correlation_id),
        size=len(message.body),
        headers={k: _text(v) if isinstance(v, bytes) else v for k, v in headers.items()},
    )
