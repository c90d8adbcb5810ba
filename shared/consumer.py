"""The one way a Beacon consumer applies an event.

For each message: parse the envelope; find the handler for its type and version (unknown
ones are poison); then, in one transaction, claim the event id in the inbox, apply the
handler's effect and add the events it emits to the outbox. Only after the commit is the
message acknowledged. Transient database failures are retried with backoff while the
message stays unacknowledged; poison messages are parked in the queue's DLQ with the
reason in the ``x-beacon-reason`` header, never retried forever.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import orjson
from faststream.rabbit import RabbitBroker
from faststream.rabbit.message import RabbitMessage
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import inbox, outbox
from shared.db import retry_transient, unit_of_work
from shared.envelope import Envelope
from shared.logging import bind_correlation_id, get_logger
from shared.metrics import EVENTS_CONSUMED
from shared.settings import ServiceSettings
from shared.topology import dead_letter_exchange

log = get_logger(__name__)

Handler = Callable[[AsyncConnection, Envelope], Awaitable[list[Envelope]]]


class PermanentError(Exception):
    """An event that can never be applied (bad payload, unknown version): dead-letter it."""


class RetryLater(Exception):
    """An event that cannot be applied yet (something it depends on has not arrived): the
    transaction rolls back and the event is retried with backoff, still unacknowledged."""

    retry_later = True  # read by shared.db.is_transient


@dataclass
class EventConsumer:
    """Applies events of a queue through the inbox, emitting through the outbox."""

    name: str  # inbox key and contract queue name, e.g. "ingest.persistence"
    handlers: Mapping[tuple[str, int], Handler]
    engine: AsyncEngine
    inbox_table: Table
    outbox_table: Table
    broker: RabbitBroker
    settings: ServiceSettings
    on_emitted: Callable[[], None] = lambda: None

    async def __call__(self, message: RabbitMessage) -> None:
        try:
            envelope = Envelope.from_bytes(message.body)
        except (ValidationError, orjson.JSONDecodeError, ValueError) as error:
            await self._dead_letter(message, f"bad envelope: {error}"[:1000], "?")
            return
        bind_correlation_id(envelope.correlation_id)
        handler = self.handlers.get((envelope.type, envelope.version))
        if handler is None:
            reason = f"no handler for {envelope.type} version {envelope.version}"
            await self._dead_letter(message, reason, envelope.type)
            return
        try:
            emitted = await retry_transient(
                lambda: self._apply(handler, envelope), what=f"{self.name}:{envelope.type}"
            )
        except (PermanentError, ValidationError, KeyError, TypeError, ValueError) as error:
            await self._dead_letter(
                message, f"{type(error).__name__}: {error}"[:1000], envelope.type
            )
            return
        if emitted is None:
            EVENTS_CONSUMED.labels(self.name, envelope.type, "duplicate").inc()
            log.info("event_duplicate_skipped", consumer=self.name, event_id=str(envelope.event_id))
        else:
            EVENTS_CONSUMED.labels(self.name, envelope.type, "applied").inc()
            if emitted:
                self.on_emitted()
        await message.ack()

    async def _apply(self, handler: Handler, envelope: Envelope) -> int | None:
        async with unit_of_work(self.engine) as conn:
            if not await inbox.claim(conn, self.inbox_table, self.name, str(envelope.event_id)):
                return None
            events = await handler(conn, envelope)
            await outbox.add(conn, self.outbox_table, events)
            return len(events)

    async def _dead_letter(self, message: RabbitMessage, reason: str, type_: str) -> None:
        await dead_letter(self.broker, self.settings, self.name, message, reason, type_)


async def dead_letter(
    broker: RabbitBroker,
    settings: ServiceSettings,
    queue: str,
    message: RabbitMessage,
    reason: str,
    type_: str,
) -> None:
    """Park a message in ``queue``'s DLQ with its reason, then ack it (the copy in the DLQ
    is confirmed first, so the message is never in neither place)."""
    log.error("event_dead_lettered", consumer=queue, type=type_, reason=reason)
    EVENTS_CONSUMED.labels(queue, type_, "dead_lettered").inc()
    headers = dict(message.headers or {})
    headers.update({"x-beacon-reason": reason, "x-beacon-queue": queue})
    await broker.publish(
        message.body,
        exchange=dead_letter_exchange(settings),
        routing_key=settings.amqp_name(queue),
        headers=headers,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        persist=True,
        mandatory=False,
        timeout=settings.publish_timeout_s,
    )
    await message.ack()
