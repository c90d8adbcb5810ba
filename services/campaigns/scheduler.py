"""Launches scheduled campaigns when their time comes (a loop in the worker).

Due campaigns are claimed with ``SKIP LOCKED``, so several workers never launch one twice;
the status change and the ``campaign.launched`` event commit together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns.domain import events
from services.campaigns.store import campaigns as store
from services.campaigns.store.tables import outbox as outbox_table
from shared import outbox
from shared.db import unit_of_work
from shared.logging import get_logger
from shared.loops import run_loop

log = get_logger(__name__)


async def launch_due(engine: AsyncEngine) -> int:
    async with unit_of_work(engine) as conn:
        due = await store.lock_due(conn)
        for campaign in due:
            await store.set_fields(
                conn, campaign["id"], status="launching", launched_at=store.now()
            )
            await outbox.add(conn, outbox_table, [events.campaign_launched(campaign)])
    return len(due)


def scheduler(
    engine: AsyncEngine, notify: Callable[[], None], poll_s: float
) -> Callable[[asyncio.Event], Awaitable[None]]:
    async def run(stop: asyncio.Event) -> None:
        async def step() -> bool:
            if await launch_due(engine):
                notify()
            return False

        await run_loop(step, stop, what="scheduler", idle_s=poll_s)

    return run
