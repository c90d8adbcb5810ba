"""The periodic sweep of parked receipts: apply those whose message is in the log by now.

The audience consumer already applies a message's parked receipt when it writes the row;
the sweep is the backstop for anything that path missed (a receipt parked while the row
was being written in a concurrent transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from services.delivery import service
from services.delivery.store import receipts as receipt_store
from services.delivery.store.tables import outbox
from shared import outbox as outbox_events
from shared.db import unit_of_work
from shared.logging import get_logger
from shared.loops import run_loop

log = get_logger(__name__)
SWEEP_BATCH = 1000


async def sweep_once(engine: AsyncEngine) -> tuple[int, bool]:
    """Apply one batch of parked receipts; (how many were taken, whether an event was added)."""
    async with unit_of_work(engine) as conn:
        taken = await receipt_store.parked_with_message(conn, SWEEP_BATCH)
        if not taken:
            return 0, False
        applied = await service.apply_receipts(conn, taken.values())
        events = await service.updated(conn, applied.deltas)
        await outbox_events.add(conn, outbox, events)
    log.info("parked_receipts_applied", count=len(taken))
    return len(taken), bool(events)


def parked_sweeper(
    engine: AsyncEngine, interval_s: float, on_emitted: Callable[[], None]
) -> Callable[[asyncio.Event], Awaitable[None]]:
    async def run(stop: asyncio.Event) -> None:
        async def step() -> bool:
            taken, emitted = await sweep_once(engine)
            if emitted:
                on_emitted()
            return taken == SWEEP_BATCH  # more may be waiting

        await run_loop(step, stop, what="parked_sweep", idle_s=interval_s)

    return run
