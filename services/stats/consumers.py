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
from services.stats.domain.counters import parse_deltas, sum_deltas
from services.stats.service import changed
from services.stats.store import counters, deltas
from shared.batch_consumer import BatchHandler
from shared.envelope import Envelope, Received
from shared.events import AudienceResolved, CampaignLaunched, DeliveryUpdated
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


async def on_launched(
    conn: AsyncConnection, events: list[Received[CampaignLaunched]]
) -> list[Envelope]:
    touched = []
    for event in events:
        launched = event.payload
        if launched.test:  # a test send: in no statistics
            continue
        name = launched.name[:200] if launched.name is not None else None
        await counters.touch(conn, launched.campaign_id, counters.now(), name=name)
        touched.append(launched.campaign_id)
    return await changed(conn, sorted(set(touched)))


async def on_resolved(
    conn: AsyncConnection, events: list[Received[AudienceResolved]]
) -> list[Envelope]:
    touched = []
    for event in events:
        resolved = event.payload
        if resolved.test:
            continue
        await counters.touch(
            conn, resolved.campaign_id, counters.now(), audience_size=resolved.size
        )
        touched.append(resolved.campaign_id)
    return await changed(conn, sorted(set(touched)))


async def on_delivery(
    conn: AsyncConnection, events: list[Received[DeliveryUpdated]]
) -> list[Envelope]:
    per_event = [(e.envelope, parse_deltas(e.payload)) for e in events]
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
