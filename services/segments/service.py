"""Segments' use cases shared by its entry points.

:func:`reset_read_model` forgets the profiles read model (profiles, counted orders and the
profile consumer's inbox) so that a replay of ingest's events rebuilds it from scratch; it
takes the connection of the caller's unit of work (``shared.db.unit_of_work``, which alone
commits). ``rebuild.py`` (the CLI) only opens the transaction and calls it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.store import profiles

# The queue (and inbox consumer) that keeps the profiles read model; consumers.py binds it.
PROFILES_QUEUE = "segments.profiles"


async def reset_read_model(conn: AsyncConnection) -> None:
    await profiles.reset(conn, PROFILES_QUEUE)
