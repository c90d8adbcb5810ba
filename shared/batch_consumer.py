"""Consuming a queue in batches: many messages, one transaction, the same failure rule.

The batched sibling of :class:`shared.consumer.EventConsumer`, for queues where a
transaction per message is the bottleneck (ingest's persistence, the profiles projection,
delivery's receipts). Each message is parsed as it arrives (a bad envelope, an unknown
type/version or a payload that does not fit the event catalogue, ``shared.events``, is
dead-lettered at once, alone); the rest are cut into batches by
:class:`shared.batching.Batcher` (up to ``max_messages``, or ``max_wait_s`` after the
first, with up to ``in_flight`` batches applied at once). A batch is applied in ONE unit
of work: one inbox claim per event id (an id applied before, or twice in the batch, is
skipped), each handler called once with the fresh events of its type (their payloads as
the catalogue's models, parsed once on arrival), their events added to the outbox, one
commit; then every message is acknowledged.

Failures follow ``shared.consumer``'s rule, per message, never leaving one unacknowledged:
- transient (deadlock, lock timeout, database away, a concurrent claim): the whole batch is
  retried ``settings.transient_attempts`` times, then every message is handed back to the
  broker (whose delivery limit bounds the redeliveries);
- anything else: the batch is applied again message by message, so a poison message is
  isolated and dead-lettered alone while the others are stored.

Concurrent batches are safe for exactly-once: a duplicate event in two batches blocks on
the inbox row until the first commits (then is skipped); handlers write their rows in key
order, and a deadlock that still happens is transient, so retried.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from faststream.rabbit import RabbitBroker
from faststream.rabbit.message import RabbitMessage
from opentelemetry.trace import Span
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import inbox, outbox, tracing
from shared.batching import Batcher
from shared.consumer import dead_letter, describe, resolve, settle_failure
from shared.db import is_transient, retry_transient, unit_of_work
from shared.envelope import Envelope, Received
from shared.logging import get_logger
from shared.metrics import BATCH_MESSAGES, BATCH_SECONDS, BATCHES, EVENTS_CONSUMED
from shared.settings import ServiceSettings

log = get_logger(__name__)

# Called once per batch with the fresh events of one (type, version), in arrival order,
# inside the batch's transaction (typed per handler, e.g. ``list[Received[ReceiptsPayload]]``);
# returns the events to add to the outbox.
BatchHandler = Callable[[AsyncConnection, list[Received[Any]]], Awaitable[list[Envelope]]]


class UnitOfWork(Protocol):
    """Where a batch is applied: a transaction, the inbox claims and the outbox in it."""

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    async def claim(self, conn: Any, consumer: str, event_ids: Sequence[str]) -> set[str]: ...

    async def emit(self, conn: Any, events: Sequence[Envelope]) -> None: ...


# What handlers of the batch being applied asked to do once it is committed.
_AFTER_COMMIT: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "after_commit", default=None
)


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the current batch's transaction committed, and never if it
    rolled back (a batch retried after a deadlock, or split to find a poison message,
    would otherwise count its metrics twice). Outside a batch: at once."""
    pending = _AFTER_COMMIT.get()
    if pending is None:
        action()
    else:
        pending.append(action)


@dataclass(frozen=True)
class SqlUnitOfWork:
    """The service's own database: its inbox and outbox tables, one commit per batch."""

    engine: AsyncEngine
    inbox_table: Table
    outbox_table: Table

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return unit_of_work(self.engine)

    async def claim(
        self, conn: AsyncConnection, consumer: str, event_ids: Sequence[str]
    ) -> set[str]:
        return await inbox.claim_many(conn, self.inbox_table, consumer, event_ids)

    async def emit(self, conn: AsyncConnection, events: Sequence[Envelope]) -> None:
        await outbox.add_batch(conn, self.outbox_table, events)


@dataclass(frozen=True)
class _Delivery:
    message: RabbitMessage
    event: Received[Any]
    span: Span | None = None  # its ``process`` span (shared.tracing), ended once settled

    @property
    def envelope(self) -> Envelope:
        return self.event.envelope

    @property
    def event_id(self) -> str:
        return str(self.event.envelope.event_id)


class BatchConsumer:
    """Applies the events of a queue in batches through the inbox and the outbox."""

    def __init__(
        self,
        name: str,
        handlers: Mapping[tuple[str, int], BatchHandler],
        unit: UnitOfWork,
        broker: RabbitBroker,
        settings: ServiceSettings,
        *,
        max_messages: int,
        max_wait_s: float,
        in_flight: int,
        max_rows: int | None = None,
        rows: Callable[[Received[Any]], int] = lambda _: 1,
        on_emitted: Callable[[], None] = lambda: None,
    ) -> None:
        """``rows``, with ``max_rows``: how much work a message carries (orders, receipts),
        so a batch of big messages stays a reasonable transaction."""
        self.name = name  # inbox key and contract queue name, e.g. "ingest.persistence"
        self.handlers = handlers
        self.unit = unit
        self.broker = broker
        self.settings = settings
        self.on_emitted = on_emitted
        # The channel's prefetch counts messages, and one message may carry 10,000 orders:
        # parse a message only while the rows waiting for a batch weigh less than a few
        # batches, so a deep backlog of big messages does not sit parsed in memory (the
        # soak saw the ingest worker grow by ~10 MiB/min while it lagged). Messages held
        # back stay raw bytes in the channel's buffer, bounded by the prefetch.
        self.backlog_rows = None if max_rows is None else max_rows * (in_flight + 1)
        self.batcher: Batcher[_Delivery] = Batcher(
            self._flush,
            max_items=max_messages,
            max_wait_s=max_wait_s,
            in_flight=in_flight,
            max_weight=max_rows,
            weight=lambda delivery: max(1, rows(delivery.event)),
        )

    async def __call__(self, message: RabbitMessage) -> None:
        """Called for each delivered message; returns at once, the batch acks it later."""
        if self.backlog_rows is not None:
            await self.batcher.room(self.backlog_rows)
        span = tracing.start_consuming(self.name, message.headers)
        try:
            with tracing.current(span):
                found = await resolve(message, self.handlers, self.broker, self.settings, self.name)
        except ValueError as error:  # not the catalogue's shape: never in a batch
            await self._dead_letter(message, describe(error), "?")
            tracing.finish(span, error)
            return
        if found is None:
            tracing.finish(span, "dead-lettered")
            return
        event = found[0]
        try:
            self.batcher.add(_Delivery(message, event, span))
        except Exception as error:  # e.g. ``rows`` on a malformed payload
            await settle_failure(
                self.broker, self.settings, self.name, message, error, event.envelope.type
            )
            tracing.finish(span, error)

    async def close(self, timeout: float = 10.0) -> None:
        """Let running batches finish; messages not yet in one are redelivered by the
        broker when the channel closes."""
        await self.batcher.close(timeout)

    async def _flush(self, batch: list[_Delivery]) -> None:
        started = time.perf_counter()
        try:
            # The events the batch emits keep this span's context (see shared.tracing).
            with tracing.applying(
                self.name,
                [d.span for d in batch],
                [d.envelope.correlation_id for d in batch],
            ):
                fresh, emitted = await retry_transient(
                    lambda: self._apply(batch),
                    what=f"{self.name}:batch",
                    attempts=self.settings.transient_attempts,
                )
        except Exception as error:
            if len(batch) > 1 and not is_transient(error):
                # Some message in it can never be applied: find it by applying each alone.
                BATCHES.labels(self.name, "split").inc()
                log.warning(
                    "batch_split", consumer=self.name, size=len(batch), error=repr(error)[:300]
                )
                for delivery in batch:
                    await self._flush([delivery])
                return
            BATCHES.labels(self.name, "requeued" if is_transient(error) else "failed").inc()
            for delivery in batch:
                await settle_failure(
                    self.broker,
                    self.settings,
                    self.name,
                    delivery.message,
                    error,
                    delivery.envelope.type,
                )
                tracing.finish(delivery.span, error)
            return
        BATCHES.labels(self.name, "committed").inc()
        BATCH_MESSAGES.labels(self.name).observe(len(batch))
        BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        if emitted:
            self.on_emitted()
        for delivery in batch:
            # The first copy of a fresh id was applied; a later copy, or an id applied
            # before, was skipped.
            if delivery.event_id in fresh:
                fresh.discard(delivery.event_id)
                EVENTS_CONSUMED.labels(self.name, delivery.envelope.type, "applied").inc()
            else:
                EVENTS_CONSUMED.labels(self.name, delivery.envelope.type, "duplicate").inc()
            try:
                await delivery.message.ack()
            except Exception as error:
                # The channel went away: the broker redelivers, the inbox skips it.
                log.warning("ack_failed", consumer=self.name, error=repr(error)[:200])
            tracing.finish(delivery.span)

    async def _apply(self, batch: Sequence[_Delivery]) -> tuple[set[str], bool]:
        """One transaction for the batch: the ids applied now, and whether it emitted."""
        committed: list[Callable[[], None]] = []
        token = _AFTER_COMMIT.set(committed)
        try:
            fresh, events = await self._apply_in_transaction(batch)
        finally:
            _AFTER_COMMIT.reset(token)
        for action in committed:
            action()
        return fresh, events

    async def _apply_in_transaction(self, batch: Sequence[_Delivery]) -> tuple[set[str], bool]:
        async with self.unit.transaction() as conn:
            fresh = await self.unit.claim(conn, self.name, [d.event_id for d in batch])
            groups: dict[tuple[str, int], list[Received[Any]]] = {}
            taken: set[str] = set()
            for delivery in batch:
                if delivery.event_id in fresh and delivery.event_id not in taken:
                    taken.add(delivery.event_id)
                    key = (delivery.envelope.type, delivery.envelope.version)
                    groups.setdefault(key, []).append(delivery.event)
            events: list[Envelope] = []
            # Handlers in their declared order, so concurrent batches write in one order.
            for key, handler in self.handlers.items():
                if key in groups:
                    events += await handler(conn, groups[key])
            await self.unit.emit(conn, events)
        return set(fresh), bool(events)

    async def _dead_letter(self, message: RabbitMessage, reason: str, type_: str) -> None:
        await dead_letter(self.broker, self.settings, self.name, message, reason, type_)
