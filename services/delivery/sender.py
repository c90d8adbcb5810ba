"""The sender: PENDING messages to the vendor, in batches, each at most once accepted.

Each of ``send_concurrency`` loops (``shared.loops.run_loop``): claim a batch (``SKIP
LOCKED`` plus a lease column, in a short transaction), wait for the rate limit, POST it to
the vendor with retries (no transaction open meanwhile), and on the vendor's 2xx mark the
rows accepted, after which they are never sent again. A sender that dies between the
vendor's 2xx and that mark leaves the rows claimed; when the lease lapses another sender
re-sends them with the same ``message_id``s, which the vendor acknowledges without
delivering twice.

Claims are keyset-paged: the sender remembers the highest id it claimed and the next claim
starts after it, so a claim reads about ``limit`` index entries instead of walking, with
row locks, every row already claimed or sent (at 1,000,000 rows those walks filled
MariaDB's buffer pool with lock heaps; docs/performance.md, Campaigns, change 1). Rows
passed over (locked by an audience insert not yet committed, or a claim released or
lapsed) are found when the cursor starts again from the beginning: whenever a claim comes
back short (the end of the backlog), and at least every ``RESCAN_S``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from contextlib import suppress

from sqlalchemy.ext.asyncio import AsyncEngine

from services.delivery import service
from services.delivery.domain import events as ev
from services.delivery.domain.pacing import TokenBucket, backoff
from services.delivery.domain.status import Receipt, Status
from services.delivery.metrics import MESSAGES_SENT, VENDOR_ERRORS
from services.delivery.settings import DeliverySettings
from services.delivery.store import log as log_store
from services.delivery.store.log import Outgoing
from services.delivery.store.tables import outbox
from services.delivery.vendor_client import VendorClient, VendorRejected, VendorUnavailable
from shared import outbox as outbox_events
from shared.db import retry_transient, unit_of_work
from shared.logging import get_logger
from shared.loops import Wakeup, run_loop

log = get_logger(__name__)

# A claim starts from the first row again at least this often (see the module docstring).
RESCAN_S = 2.0


class Sender:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: DeliverySettings,
        *,
        on_emitted: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._on_emitted = on_emitted
        self._bucket = TokenBucket(settings.send_rate_limit)
        # Under a rate limit, a batch is at most about a second's worth, so a claim is
        # not held (and its lease spent) waiting for tokens.
        rate = settings.send_rate_limit
        self._limit = (
            min(settings.send_batch_size, max(1, int(rate)))
            if rate > 0
            else (settings.send_batch_size)
        )
        self._client = VendorClient(
            settings.vendor_url,
            settings.delivery_public_url,
            timeout_s=settings.send_timeout_s,
            backoff_base_s=settings.send_backoff_base_s,
            backoff_max_s=settings.send_backoff_max_s,
            max_connections=settings.send_concurrency,
        )
        self._rng = random.Random()
        self._wakeups = [Wakeup() for _ in range(settings.send_concurrency)]
        self._cursor = 0  # claims take rows with a higher id (keyset; module docstring)
        self._rescan_at = 0.0

    def notify(self) -> None:
        for wakeup in self._wakeups:
            wakeup.notify()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("sender_started", vendor=self._settings.vendor_url, batch=self._limit)
        # When idle, loop 0 polls every send_poll_s and the others ten times slower (a
        # backstop): a loop that finds a full batch wakes the rest, so the work fans out
        # without every loop querying the database several times a second for nothing.
        poll = self._settings.send_poll_s
        try:
            await asyncio.gather(
                *(
                    run_loop(
                        self._step,
                        stop,
                        what="delivery.sender",
                        idle_s=poll * (1 if n == 0 else 10),
                        wakeup=wakeup,
                    )
                    for n, wakeup in enumerate(self._wakeups)
                )
            )
        finally:
            await self._client.close()

    async def _step(self) -> bool:
        sent = await self.send_batch()
        if sent >= self._limit:
            self.notify()  # there may be more: bring the idle loops in
            return True
        return False

    async def send_batch(self) -> int:
        """Claim, send and mark one batch; the number of messages the vendor accepted."""
        settings = self._settings
        loop = asyncio.get_running_loop()
        batch = await retry_transient(self._claim, what="delivery.sender:claim")
        if not batch:
            return 0
        # Leave a margin of the lease for marking the rows once the vendor accepted them.
        deadline = loop.time() + settings.send_lease_s * 0.8
        wait = self._bucket.reserve(len(batch), loop.time())
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            attempts = await self._client.send(batch, deadline=deadline)
        except asyncio.CancelledError:
            # Shutting down: hand the claim back now rather than make the next sender wait
            # out the lease (if the vendor did accept the batch, it dedupes the resend).
            with suppress(Exception):
                await asyncio.wait_for(self._release(batch, 0.0), timeout=2.0)
            raise
        except VendorRejected as error:
            VENDOR_ERRORS.labels("rejected").inc()
            reason = str(error)
            log.error("vendor_rejected_batch", error=reason, messages=len(batch))
            await retry_transient(lambda: self._fail(batch, reason), what="delivery.sender:fail")
            return 0
        except VendorUnavailable as error:
            VENDOR_ERRORS.labels("unavailable").inc()
            log.warning("vendor_unavailable", error=str(error), messages=len(batch))
            retry_in = backoff(1, base=settings.send_backoff_max_s, cap=60.0, rng=self._rng)
            await retry_transient(
                lambda: self._release(batch, retry_in), what="delivery.sender:release"
            )
            return 0
        ids = [m.id for m in batch]
        await retry_transient(lambda: self._mark(ids), what="delivery.sender:mark")
        MESSAGES_SENT.inc(len(batch))
        log.debug("batch_sent", messages=len(batch), attempts=attempts)
        return len(batch)

    async def _claim(self) -> list[Outgoing]:
        now = asyncio.get_running_loop().time()
        if now >= self._rescan_at:
            self._cursor, self._rescan_at = 0, now + RESCAN_S
        after = self._cursor
        async with unit_of_work(self._engine) as conn:
            batch = await log_store.claim_unsent(
                conn, self._limit, self._settings.send_lease_s, after_id=after
            )
        if len(batch) < self._limit:
            self._cursor = 0  # the end of the backlog: next time, from the start
        else:
            self._cursor = max(self._cursor, batch[-1].id)
        return batch

    async def _mark(self, ids: Sequence[int]) -> None:
        async with unit_of_work(self._engine) as conn:
            await log_store.mark_accepted(conn, ids)

    async def _release(self, batch: Sequence[Outgoing], retry_in: float) -> None:
        async with unit_of_work(self._engine) as conn:
            await log_store.release(conn, [m.id for m in batch], retry_in)

    async def _fail(self, batch: Sequence[Outgoing], reason: str) -> None:
        """The vendor refused the batch for good: its messages are FAILED (a final status,
        counted like a FAILED receipt)."""
        now = log_store.now()
        receipts = {
            m.message_id: Receipt(m.message_id, Status.FAILED, now, reason[:500]) for m in batch
        }
        async with unit_of_work(self._engine) as conn:
            applied = await service.apply_receipts(conn, receipts.values())
            events = ev.delivery_updated(applied.deltas)
            await outbox_events.add(conn, outbox, events)
        if events:
            self._on_emitted()
