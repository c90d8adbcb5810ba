"""Stats' consumer ``stats.counters`` and the hub's listener ``stats.hub.<instance>``.

Every handler runs inside the consumer's transaction (``shared.consumer``): the inbox claim,
the counter change, the delivery deltas log and the ``stats.changed`` event in the outbox
commit together, so a redelivered event changes nothing and every change is announced
exactly once, with the snapshot as of that change.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.stats.domain import events as ev
from services.stats.domain.counters import campaign_id_of, count_of, parse_deltas
from services.stats.service import changed
from services.stats.store import counters, deltas
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.topology import Binding, ListenerSpec, QueueSpec

COUNTERS = QueueSpec(
    "stats.counters",
    (
        Binding("campaigns", (ev.CAMPAIGN_LAUNCHED,)),
        Binding("segments", (ev.AUDIENCE_RESOLVED,)),
        Binding("delivery", (ev.DELIVERY_UPDATED,)),
    ),
)
HUB = ListenerSpec("stats.hub", Binding("stats", (ev.STATS_CHANGED,)))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


async def on_launched(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
    cid = campaign_id_of(envelope.payload["campaign_id"])
    name = envelope.payload.get("name")
    await counters.touch(
        conn, cid, counters.now(), name=str(name)[:200] if name is not None else None
    )
    return await changed(conn, [cid])


async def on_resolved(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
    cid = campaign_id_of(envelope.payload["campaign_id"])
    size = count_of(envelope.payload["size"], "size")
    if size < 0:
        raise ValueError("size must not be negative")
    await counters.touch(conn, cid, counters.now(), audience_size=size)
    return await changed(conn, [cid])


async def on_delivery(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
    found = parse_deltas(envelope.payload)  # sorted by id: rows are locked in one order
    if not found:
        return []
    at = counters.now()
    for delta in found:
        await counters.touch(conn, delta.campaign_id, at, delta=delta)
    occurred = _utc(envelope.occurred_at)
    await deltas.record(conn, str(envelope.event_id), occurred, found)
    await deltas.add_to_series(conn, occurred.replace(microsecond=0), found)
    return await changed(conn, [d.campaign_id for d in found])


HANDLERS: dict[tuple[str, int], Handler] = {
    (ev.CAMPAIGN_LAUNCHED, 1): on_launched,
    (ev.AUDIENCE_RESOLVED, 1): on_resolved,
    (ev.DELIVERY_UPDATED, 1): on_delivery,
}
