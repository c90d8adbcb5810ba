"""The one way a Beacon consumer applies an event, and the rule for every failure.

For each message: parse the envelope; find the handler for its type and version (unknown
ones are poison); parse the payload into the catalogue's model (``shared.events``; one
that does not fit is poison), which is what the handler gets; then, in one transaction,
claim the event id in the inbox, apply the handler's effect and add the events it emits to
the outbox. Only after the commit is the message acknowledged.

Every failure ends in one of two ways, never in a message left unacknowledged:
- transient (deadlock, lock timeout, database or broker away): retried in process a few
  times with back-off, then handed back to the broker (``nack`` with requeue). The queue's
  delivery limit (quorum ``x-delivery-limit``) bounds the redeliveries: past it RabbitMQ
  itself parks the message in the DLQ.
- anything else: parked in the queue's DLQ with the reason in ``x-beacon-reason`` and the
  original exchange and routing key (for replay), then acknowledged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from faststream.rabbit import RabbitBroker
from faststream.rabbit.message import RabbitMessage
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import inbox, outbox, tracing
from shared.db import is_transient, retry_transient, unit_of_work
from shared.envelope import Envelope, Received
from shared.logging import bind_correlation_id, get_logger
from shared.metrics import EVENT_AGE, EVENTS_CONSUMED
from shared.settings import ServiceSettings
from shared.topology import dead_letter_exchange

log = get_logger(__name__)

# A handler gets the event with its payload as the catalogue's model (typed per handler,
# e.g. ``Received[AudienceResolved]``) and returns the events to add to the outbox.
Handler = Callable[[AsyncConnection, Received[Any]], Awaitable[list[Envelope]]]
H = TypeVar("H")
UNKNOWN_TYPE = "unknown"  # the metrics label for types no handler knows (bounded labels)


class PermanentError(Exception):
    """An event that can never be applied (bad payload, unknown version): dead-letter it."""


class RetryLater(Exception):
    """An event that cannot be applied yet (something it depends on has not arrived): the
    transaction rolls back and the event is retried with backoff, then redelivered."""

    retry_later = True  # read by shared.db.is_transient


def describe(error: BaseException) -> str:
    """The reason stored with a parked message (bounded: it travels in a header)."""
    return f"{type(error).__name__}: {error}"[:1000]


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
        span = tracing.start_consuming(self.name, message.headers)
        with tracing.current(span):
            error = await self._handle(message)
        tracing.finish(span, error)

    async def _handle(self, message: RabbitMessage) -> BaseException | str | None:
        """Apply, ack or settle ``message``; what went wrong, if anything (for its span)."""
        type_ = "?"
        try:
            found = await resolve(message, self.handlers, self.broker, self.settings, self.name)
            if found is None:
                return "dead-lettered"
            event, handler = found
            envelope = event.envelope
            type_ = envelope.type
            emitted = await retry_transient(
                lambda: self._apply(handler, event),
                what=f"{self.name}:{type_}",
                attempts=self.settings.transient_attempts,
            )
        except Exception as error:
            await settle_failure(self.broker, self.settings, self.name, message, error, type_)
            return error
        if emitted is None:
            EVENTS_CONSUMED.labels(self.name, type_, "duplicate").inc()
            log.info("event_duplicate_skipped", consumer=self.name, event_id=str(envelope.event_id))
        else:
            EVENTS_CONSUMED.labels(self.name, type_, "applied").inc()
            if emitted:
                self.on_emitted()
        await message.ack()
        return None

    async def _apply(self, handler: Handler, event: Received[Any]) -> int | None:
        async with unit_of_work(self.engine) as conn:
            claimed = str(event.envelope.event_id)
            if not await inbox.claim(conn, self.inbox_table, self.name, claimed):
                return None
            events = await handler(conn, event)
            await outbox.add(conn, self.outbox_table, events)
            return len(events)


WorkHandler = Callable[[Received[Any]], Awaitable[None]]


@dataclass
class WorkConsumer:
    """Does a queue's work items: effects that are idempotent by themselves (the sender's
    vendor call, which the vendor dedupes by message id, then an idempotent mark), so they
    need neither the inbox nor one transaction around them (a vendor call must not hold
    one open). The failure rule is the same as :class:`EventConsumer`'s; the handler does
    its own transactions and retries."""

    name: str  # contract queue name, e.g. "delivery.send"
    handlers: Mapping[tuple[str, int], WorkHandler]
    broker: RabbitBroker
    settings: ServiceSettings

    async def __call__(self, message: RabbitMessage) -> None:
        span = tracing.start_consuming(self.name, message.headers)
        with tracing.current(span):
            error = await self._handle(message)
        tracing.finish(span, error)

    async def _handle(self, message: RabbitMessage) -> BaseException | str | None:
        type_ = "?"
        try:
            found = await resolve(message, self.handlers, self.broker, self.settings, self.name)
            if found is None:
                return "dead-lettered"
            event, handler = found
            type_ = event.envelope.type
            await handler(event)
        except Exception as error:
            await settle_failure(self.broker, self.settings, self.name, message, error, type_)
            return error
        EVENTS_CONSUMED.labels(self.name, type_, "applied").inc()
        await message.ack()
        return None


async def resolve(
    message: RabbitMessage,
    handlers: Mapping[tuple[str, int], H],
    broker: RabbitBroker,
    settings: ServiceSettings,
    queue: str,
) -> tuple[Received[Any], H] | None:
    """The message's event, its payload parsed into the catalogue's model, and its handler;
    ``None`` once a message that can never be handled (bad envelope, unknown type or
    version) is dead-lettered. A payload that does not fit its spec raises ValueError
    (dead-lettered by the caller)."""
    try:
        envelope = Envelope.from_bytes(message.body)
    except ValueError as error:  # JSON and validation errors are ValueErrors
        await dead_letter(broker, settings, queue, message, f"bad envelope: {error}"[:1000], "?")
        return None
    bind_correlation_id(envelope.correlation_id)
    tracing.describe_event(
        tracing.current_span(), envelope.type, str(envelope.event_id), envelope.correlation_id
    )
    occurred = envelope.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    EVENT_AGE.labels(queue).observe(max(0.0, (datetime.now(UTC) - occurred).total_seconds()))
    handler = handlers.get((envelope.type, envelope.version))
    if handler is None:
        reason = f"no handler for {envelope.type[:100]} version {envelope.version}"
        await dead_letter(broker, settings, queue, message, reason, UNKNOWN_TYPE)
        return None
    return Received.of(envelope), handler


async def settle_failure(
    broker: RabbitBroker,
    settings: ServiceSettings,
    queue: str,
    message: RabbitMessage,
    error: BaseException,
    type_: str,
) -> None:
    """End a message whose handling failed: back to the broker if the failure may pass
    (its delivery limit bounds how often), to the DLQ with the reason otherwise."""
    if is_transient(error):
        log.warning("event_requeued", consumer=queue, type=type_, error=repr(error)[:300])
        EVENTS_CONSUMED.labels(queue, type_, "requeued").inc()
        await requeue(message)
        return
    log.error("event_failed", consumer=queue, type=type_, error=repr(error)[:300])
    await dead_letter(broker, settings, queue, message, describe(error), type_)


async def requeue(message: RabbitMessage) -> None:
    """Hand a message back to the broker; if even that fails the channel is gone, and the
    broker redelivers the message anyway."""
    with suppress(Exception):
        await message.nack(requeue=True)


async def dead_letter(
    broker: RabbitBroker,
    settings: ServiceSettings,
    queue: str,
    message: RabbitMessage,
    reason: str,
    type_: str,
) -> None:
    """Park a message in ``queue``'s DLQ with its reason, then ack it (the copy in the DLQ
    is confirmed first, so the message is never in neither place). If the DLQ cannot be
    reached the message goes back to the broker instead."""
    log.error("event_dead_lettered", consumer=queue, type=type_, reason=reason)
    headers = dict(message.headers or {})
    raw = message.raw_message
    headers.update(
        {
            "x-beacon-reason": reason,
            "x-beacon-queue": queue,
            # Where it came from, so `beacon dlq replay` can send it back there.
            "x-beacon-exchange": getattr(raw, "exchange", None) or "",
            "x-beacon-routing-key": getattr(raw, "routing_key", None) or "",
        }
    )
    try:
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
    except Exception as error:
        log.error("dead_letter_failed", consumer=queue, error=repr(error)[:300])
        await requeue(message)
        return
    EVENTS_CONSUMED.labels(queue, type_, "dead_lettered").inc()
    await message.ack()
