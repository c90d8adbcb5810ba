"""Segments' use cases shared by its entry points.

:func:`reset_read_model` forgets the profiles read model (profiles, counted orders and the
profile consumer's inbox) so that a replay of ingest's events rebuilds it from scratch; it
takes the connection of the caller's unit of work (``shared.db.unit_of_work``, which alone
commits). ``rebuild.py`` (the CLI) only opens the transaction and calls it.

:func:`suppress` and :func:`lift` change a channel's suppression list and write the
``suppression.changed`` event in the same transaction (the unsubscribe link, the
suppressions API).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments.domain import events
from services.segments.store import profiles, suppressions
from services.segments.store.tables import outbox as outbox_table
from shared import outbox

# The queue (and inbox consumer) that keeps the profiles read model; consumers.py binds it.
PROFILES_QUEUE = "segments.profiles"


async def reset_read_model(conn: AsyncConnection) -> None:
    await profiles.reset(conn, PROFILES_QUEUE)


class CannotLift(Exception):
    """The person unsubscribed themselves: only they can opt back in (a 409)."""


async def suppress(
    conn: AsyncConnection,
    customer_id: str,
    channel: str,
    reason: str,
    actor: dict[str, Any] | None = None,
) -> bool:
    """Put the customer on the channel's list (idempotent). True when newly added."""
    added = await suppressions.suppress(conn, customer_id, channel, reason)
    if added:
        change = events.suppression_changed(
            customer_id, channel, suppressed=True, reason=reason, actor=actor
        )
        await outbox.add(conn, outbox_table, [change])
    return added


async def lift(
    conn: AsyncConnection, customer_id: str, channel: str, actor: dict[str, Any]
) -> bool:
    """Take the customer off the channel's list; False when they were not on it. One who
    unsubscribed by their own link stays on it (:class:`CannotLift`): consent given back
    comes from the person, by an import or the API's ``accepts_*_marketing``."""
    reason = await suppressions.reason_of(conn, customer_id, channel)
    if reason is None:
        return False
    if reason == "unsubscribed":
        raise CannotLift(
            f"{customer_id} unsubscribed from {channel} themselves; only they can opt back in"
        )
    await suppressions.lift(conn, customer_id, channel)
    change = events.suppression_changed(
        customer_id, channel, suppressed=False, reason=reason, actor=actor
    )
    await outbox.add(conn, outbox_table, [change])
    return True
