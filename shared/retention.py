"""Pruning of rows that only grow: inbox claims, published outbox rows, and whatever a
service registers (old audiences' members, say).

A row is pruned once it is older than ``retention_days``. Inbox claims only need to
outlive any redelivery of their event (minutes, in practice), so the window is generous.
Deletes go in small batches (``LIMIT``), each its own transaction, so they never hold
locks for long next to the live traffic. Several replicas may sweep at once: a DELETE of
rows another already deleted simply finds fewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import unit_of_work
from shared.logging import get_logger
from shared.loops import run_loop

log = get_logger(__name__)
BATCH = 5_000

# A service's own pruning step: given a connection and the cutoff, delete one batch and
# return how many rows it removed.
Pruner = Callable[[AsyncConnection, datetime], Awaitable[int]]


def older_than(table: Table, column: str) -> Pruner:
    """Delete rows of ``table`` whose ``column`` is before the cutoff (NULL is kept)."""
    col: Column[datetime] = table.c[column]

    async def prune(conn: AsyncConnection, cutoff: datetime) -> int:
        # MariaDB's DELETE ... LIMIT, so one batch is one short transaction.
        statement = delete(table).where(col < cutoff).with_dialect_options(mysql_limit=BATCH)
        result = await conn.execute(statement)
        return int(result.rowcount)

    return prune


def outbox_published_before(outbox: Table) -> Pruner:
    """Published outbox rows (an unpublished row is never pruned, however old)."""
    return older_than(outbox, "published_at")


async def prune_once(engine: AsyncEngine, pruners: dict[str, Pruner], cutoff: datetime) -> int:
    removed = 0
    for name, pruner in pruners.items():
        while True:
            async with unit_of_work(engine) as conn:
                count = await pruner(conn, cutoff)
            removed += count
            if count:
                log.info("rows_pruned", what=name, count=count)
            if count < BATCH:
                break
    return removed


def retention_loop(
    engine: AsyncEngine, pruners: dict[str, Pruner], *, days: float, every_s: float
) -> Callable[[asyncio.Event], Awaitable[None]]:
    async def run(stop: asyncio.Event) -> None:
        async def step() -> bool:
            cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
            await prune_once(engine, pruners, cutoff)
            return False

        await run_loop(step, stop, what="retention", idle_s=every_s)

    return run
