"""The audience publisher: sends each materialised audience as ``audience.resolved`` and
``audience.batch`` messages, resuming where it stopped after a crash.

The ``audiences`` row is both the lock (``SKIP LOCKED``, so replicas share the work) and the
progress mark: a window of batches is published with confirms, then the mark moves, in one
transaction. After a crash at most one window is published again, with the same event ids
and the same members, which consumers drop as duplicates.
"""

from __future__ import annotations

import asyncio

from faststream.rabbit import RabbitBroker, RabbitExchange
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.segments.domain import events as ev
from services.segments.store import audiences
from shared import tracing
from shared.db import unit_of_work
from shared.logging import bind_correlation_id, get_logger
from shared.loops import Wakeup, run_loop
from shared.outbox import publish_envelope

log = get_logger(__name__)
WINDOW = 16  # batches in flight per transaction


class AudiencePublisher:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: RabbitBroker,
        exchange: RabbitExchange,
        *,
        batch_size: int,
        timeout: float,
        poll_s: float = 0.5,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._exchange = exchange
        self._batch_size = batch_size
        self._timeout = timeout
        self._poll_s = poll_s
        self._wakeup = Wakeup()

    def notify(self) -> None:
        self._wakeup.notify()

    async def run(self, stop: asyncio.Event) -> None:
        await run_loop(
            self.publish_window,
            stop,
            what="audience_publish",
            idle_s=self._poll_s,
            wakeup=self._wakeup,
        )

    async def publish_window(self) -> bool:
        """Publish the next window of one unfinished audience; False when none is left."""
        async with unit_of_work(self._engine) as conn:
            audience = await audiences.lock_unfinished(conn)
            if audience is None:
                return False
            bind_correlation_id(audience.correlation_id)
            # Its messages continue the trace of the launch that resolved it.
            with tracing.resumed(audience.traceparent):
                completed = await self._publish_next(conn, audience)
        if completed:
            log.info("audience_published", campaign_id=audience.campaign_id, size=audience.size)
        return True

    async def _publish_next(self, conn: AsyncConnection, audience: audiences.Audience) -> bool:
        """Publish ``audience``'s next window (after its size, first); True once complete."""
        done = audience.published_batches
        if done == 0:
            resolved = ev.audience_resolved(
                audience.campaign_id,
                audience.size,
                audience.batches,
                audience.correlation_id,
                audience.error,
                test=audience.test,
            )
            await publish_envelope(self._broker, self._exchange, resolved, timeout=self._timeout)
        last = min(done + WINDOW, audience.batches)
        size = self._batch_size
        batches = [
            ev.audience_batch(
                audience.campaign_id,
                n,
                audience.batches,
                await audiences.members(conn, audience.campaign_id, n * size + 1, (n + 1) * size),
                audience.correlation_id,
            )
            for n in range(done, last)
        ]
        await asyncio.gather(
            *(
                publish_envelope(self._broker, self._exchange, b, timeout=self._timeout)
                for b in batches
            )
        )
        completed = last >= audience.batches
        await audiences.mark_published(conn, audience.campaign_id, last, completed)
        return completed
