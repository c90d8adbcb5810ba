"""The ``delivery.receipts`` consumer: receipts applied in batches, acknowledged after.

A callback of a few hundred receipts arrives as one ``receipt.received`` event; applying
each on its own would cost a transaction per event and an UPDATE per row. Instead every
message is buffered, unacknowledged, and a flush applies the whole buffer in one
transaction when it holds ``flush_size`` receipts or its oldest message has waited
``flush_s``: an inbox claim per event, the rows locked and moved in a few multi-row
UPDATEs, unknown messages parked, one ``delivery.updated`` with per-campaign deltas in the
outbox, commit, and only then the acknowledgements. A crash before the acks redelivers
the messages, whose event ids the inbox then skips. The broker's prefetch bounds the
buffer; transient database errors are retried while the messages stay unacknowledged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from faststream.rabbit import RabbitBroker
from faststream.rabbit.message import RabbitMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from services.delivery.consumers import RECEIPTS
from services.delivery.domain import events as ev
from services.delivery.domain.receipts import receipts_from_json
from services.delivery.domain.status import Receipt, first_per_message
from services.delivery.metrics import RECEIPT_FLUSH_SECONDS, RECEIPTS_APPLIED
from services.delivery.store import receipts as receipt_store
from services.delivery.store.tables import inbox, outbox
from shared import inbox as inbox_claims
from shared import outbox as outbox_events
from shared.consumer import UNKNOWN_TYPE, dead_letter, describe, requeue, settle_failure
from shared.db import is_transient, retry_transient, unit_of_work
from shared.envelope import Envelope
from shared.logging import get_logger
from shared.metrics import EVENTS_CONSUMED
from shared.settings import ServiceSettings

log = get_logger(__name__)
NAME = RECEIPTS.name


@dataclass(frozen=True)
class _Item:
    message: RabbitMessage
    envelope: Envelope
    receipts: list[Receipt]


class ReceiptBuffer:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: RabbitBroker,
        settings: ServiceSettings,
        *,
        flush_size: int,
        flush_s: float,
        on_emitted: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._settings = settings
        self._flush_size = flush_size
        self._flush_s = flush_s
        self._on_emitted = on_emitted
        self._items: list[_Item] = []
        self._receipts = 0
        self._arrived = asyncio.Event()
        self._lock = asyncio.Lock()  # one flush at a time: acks follow commits in order

    async def on_message(self, message: RabbitMessage) -> None:
        """Called for every delivered message (concurrently): buffer it, flush when full.
        A message that cannot even be read is parked here, whatever the error."""
        try:
            envelope = Envelope.from_bytes(message.body)
        except ValueError as error:  # JSON and validation errors are ValueErrors
            await self._dead_letter(message, f"bad envelope: {error}"[:1000], "?")
            return
        if (envelope.type, envelope.version) != (ev.RECEIPT_RECEIVED, 1):
            reason = f"no handler for {envelope.type[:100]} version {envelope.version}"
            await self._dead_letter(message, reason, UNKNOWN_TYPE)
            return
        try:
            receipts = receipts_from_json(envelope.payload["receipts"])
        except Exception as error:
            await self._dead_letter(message, f"bad receipts: {describe(error)}", envelope.type)
            return
        self._items.append(_Item(message, envelope, receipts))
        self._receipts += len(receipts)
        if self._receipts >= self._flush_size:
            await self.flush()
        else:
            self._arrived.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Background loop: flush what has waited ``flush_s`` since the first arrival."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=1.0)
            except TimeoutError:
                continue
            await asyncio.sleep(self._flush_s)
            self._arrived.clear()
            try:
                await self.flush()
            except Exception as error:  # never let the loop die
                log.error("receipt_flush_failed", error=repr(error)[:300])

    async def flush(self) -> None:
        async with self._lock:
            batch, self._items, self._receipts = self._items, [], 0
            if not batch:
                return
            started = time.perf_counter()
            try:
                emitted = await retry_transient(
                    lambda: self._apply(batch),
                    what=f"{NAME}:flush",
                    attempts=self._settings.transient_attempts,
                )
            except Exception as error:
                log.error("receipt_batch_failed", error=repr(error)[:300], events=len(batch))
                if is_transient(error):
                    # The database is away: every message goes back to the broker.
                    for item in batch:
                        await requeue(item.message)
                    return
                await self._one_by_one(batch)
                return
            await self._ack(batch)
            if emitted:
                self._on_emitted()
            elapsed = time.perf_counter() - started
            RECEIPT_FLUSH_SECONDS.observe(elapsed)
            log.debug("receipts_flushed", events=len(batch), ms=round(elapsed * 1e3, 1))

    async def _apply(self, batch: Sequence[_Item]) -> bool:
        """One transaction for the whole batch; True when it emitted an event."""
        async with unit_of_work(self._engine) as conn:
            fresh: list[_Item] = []
            for item in batch:
                # The same event twice in one batch: the second claim sees the first.
                if await inbox_claims.claim(conn, inbox, NAME, str(item.envelope.event_id)):
                    fresh.append(item)
            receipts = first_per_message(r for item in fresh for r in item.receipts)
            deltas, unknown = await receipt_store.apply(conn, receipts)
            if unknown:
                await receipt_store.park(conn, unknown)
                log.warning("receipts_parked", count=len(unknown))
            events = ev.delivery_updated(deltas)
            await outbox_events.add(conn, outbox, events)
        moved = sum(d.sent + d.failed for d in deltas.values())
        RECEIPTS_APPLIED.labels("moved").inc(moved)
        RECEIPTS_APPLIED.labels("unchanged").inc(len(receipts) - moved - len(unknown))
        RECEIPTS_APPLIED.labels("parked").inc(len(unknown))
        applied = {id(item) for item in fresh}
        for item in batch:
            outcome = "applied" if id(item) in applied else "duplicate"
            EVENTS_CONSUMED.labels(NAME, ev.RECEIPT_RECEIVED, outcome).inc()
        return bool(events)

    async def _one_by_one(self, batch: Sequence[_Item]) -> None:
        """After a batch failed for good: apply each event alone, park the poison one."""
        for item in batch:
            try:
                emitted = await retry_transient(
                    partial(self._apply, [item]),
                    what=f"{NAME}:one",
                    attempts=self._settings.transient_attempts,
                )
            except Exception as error:
                await settle_failure(
                    self._broker, self._settings, NAME, item.message, error, item.envelope.type
                )
                continue
            await self._ack([item])
            if emitted:
                self._on_emitted()

    async def _ack(self, batch: Sequence[_Item]) -> None:
        for item in batch:
            try:
                await item.message.ack()
            except Exception as error:
                # The channel went away: the broker redelivers, the inbox skips it.
                log.warning("receipt_ack_failed", error=repr(error)[:200])

    async def _dead_letter(self, message: RabbitMessage, reason: str, type_: str) -> None:
        await dead_letter(self._broker, self._settings, NAME, message, reason, type_)
