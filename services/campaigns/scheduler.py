"""Launches scheduled campaigns when their time comes (a loop in the worker): every
``poll_s`` it runs :func:`services.campaigns.service.launch_due` in a unit of work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns import service
from shared.db import unit_of_work
from shared.logging import get_logger
from shared.loops import run_loop

log = get_logger(__name__)


async def launch_due(engine: AsyncEngine) -> int:
    async with unit_of_work(engine) as conn:
        launched = await service.launch_due(conn)
    return len(launched)


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
