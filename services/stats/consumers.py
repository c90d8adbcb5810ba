"""Stats' consumer ``stats.counters`` and the hub's listener ``stats.hub.<instance>``.

``stats.counters`` is consumed in batches (``shared.batch_consumer``): the inbox claims, the
counter changes, the delivery deltas log and the ``stats.changed`` events of a batch commit
together, so a redelivered event changes nothing and every change is announced exactly
once, with the snapshot as of that change. A batch's ``delivery.updated`` events are summed
per campaign first: one upsert per campaign row, not one per event. Every event of a
sending campaign touches the same row, so per-event transactions queued on its lock (each
held through a commit) and made the way to the screen slower (issue 14).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.stats.domain import events as ev
from services.stats.domain.counters import campaign_id_of, count_of, parse_deltas, sum_deltas
from services.stats.service import changed
from services.stats.store import counters, deltas
from shared.batch_consumer import BatchHandler
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


async def on_launched(conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
    touched = []
    for envelope in envelopes:
        if envelope.payload.get("test") is True:  # a test send: in no statistics
            continue
        cid = campaign_id_of(envelope.payload["campaign_id"])
        name = envelope.payload.get("name")
        await counters.touch(
            conn, cid, counters.now(), name=str(name)[:200] if name is not None else None
        )
        touched.append(cid)
    return await changed(conn, sorted(set(touched)))


async def on_resolved(conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
    touched = []
    for envelope in envelopes:
        if envelope.payload.get("test") is True:
            continue
        cid = campaign_id_of(envelope.payload["campaign_id"])
        size = count_of(envelope.payload["size"], "size")
        if size < 0:
            raise ValueError("size must not be negative")
        await counters.touch(conn, cid, counters.now(), audience_size=size)
        touched.append(cid)
    return await changed(conn, sorted(set(touched)))


async def on_delivery(conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
    per_event = [(e, parse_deltas(e.payload)) for e in envelopes]
    summed = sum_deltas(d for _, found in per_event for d in found)
    if not summed:
        return []
    at = counters.now()
    for delta in summed:  # sorted by id: rows are locked in one order
        await counters.touch(conn, delta.campaign_id, at, delta=delta)
    for envelope, found in per_event:
        occurred = _utc(envelope.occurred_at)
        await deltas.record(conn, str(envelope.event_id), occurred, found)
        await deltas.add_to_series(conn, occurred.replace(microsecond=0), found)
    return await changed(conn, [d.campaign_id for d in summed])


HANDLERS: dict[tuple[str, int], BatchHandler] = {
    (ev.CAMPAIGN_LAUNCHED, 1): on_launched,
    (ev.AUDIENCE_RESOLVED, 1): on_resolved,
    (ev.DELIVERY_UPDATED, 1): on_delivery,
}
