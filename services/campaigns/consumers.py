"""Campaigns' consumer ``campaigns.progress``: segments announced, audiences resolved,
delivery progress. Each moves a campaign's counters and status forward."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.campaigns.domain import events as ev
from services.campaigns.domain.campaign import Progress, after_resolved, settle
from services.campaigns.store import campaigns as store
from services.campaigns.store import keys as key_store
from shared.auth import apikeys
from shared.consumer import Handler
from shared.envelope import Envelope, Received
from shared.events import (
    ApiKeyUsed,
    AudienceResolved,
    DeliveryUpdated,
    SegmentDeleted,
    SegmentSaved,
)
from shared.topology import Binding, QueueSpec

PROGRESS = QueueSpec(
    "campaigns.progress",
    (
        Binding("segments", (ev.AUDIENCE_RESOLVED, ev.SEGMENT_SAVED, ev.SEGMENT_DELETED)),
        Binding("delivery", (ev.DELIVERY_UPDATED,)),
    ),
)


def _progress(campaign: dict[str, object]) -> Progress:
    return Progress(
        str(campaign["status"]),
        campaign["audience_size"],  # type: ignore[arg-type]
        int(campaign["sent"]),  # type: ignore[call-overload]
        int(campaign["failed"]),  # type: ignore[call-overload]
        int(campaign["cancelled"]),  # type: ignore[call-overload]
    )


async def _settle(conn: AsyncConnection, campaign_id: str, floor: str) -> None:
    campaign = await store.get(conn, campaign_id, lock=True)
    if campaign is None:
        return
    status = settle(_progress(campaign), floor)
    if status != campaign["status"]:
        extra = {"completed_at": store.now()} if status == "completed" else {}
        await store.set_fields(conn, campaign_id, status=status, **extra)


async def on_resolved(conn: AsyncConnection, event: Received[AudienceResolved]) -> list[Envelope]:
    resolved = event.payload
    campaign = await store.get(conn, resolved.campaign_id, lock=True)
    if campaign is None:
        return []  # not one of ours (another deployment sharing the broker)
    error = resolved.error
    status = after_resolved(_progress(campaign), resolved.size, error)
    finished = status in ("completed", "failed") and campaign["status"] != status
    extra = {"completed_at": store.now()} if finished else {}
    await store.set_fields(
        conn,
        campaign["id"],
        audience_size=resolved.size,
        status=status,
        reason=error,
        **extra,
    )
    return []


async def on_delivery(conn: AsyncConnection, event: Received[DeliveryUpdated]) -> list[Envelope]:
    for delta in event.payload.campaigns:
        found = await store.add_counts(
            conn, delta.campaign_id, delta.queued, delta.sent, delta.failed, delta.cancelled
        )
        if found:
            await _settle(conn, delta.campaign_id, "launching")
    return []


async def on_segment_saved(conn: AsyncConnection, event: Received[SegmentSaved]) -> list[Envelope]:
    saved = event.payload
    await store.save_segment(conn, saved.segment_id, saved.name, saved.rules)
    return []


async def on_segment_deleted(
    conn: AsyncConnection, event: Received[SegmentDeleted]
) -> list[Envelope]:
    await store.delete_segment(conn, event.payload.segment_id)
    return []


# When each API key was last used, as the services that saw it use report.
KEY_USAGE = QueueSpec(
    "campaigns.key_usage",
    tuple(Binding(service, (apikeys.USED,)) for service in apikeys.COPY_SERVICES),
)


async def on_key_used(conn: AsyncConnection, event: Received[ApiKeyUsed]) -> list[Envelope]:
    used = event.payload
    at = datetime.fromisoformat(str(used.at)).astimezone(UTC).replace(tzinfo=None)
    await key_store.mark_used(conn, used.key_id, at)
    return []


KEY_USAGE_HANDLERS: dict[tuple[str, int], Handler] = {(apikeys.USED, 1): on_key_used}

HANDLERS: dict[tuple[str, int], Handler] = {
    (ev.AUDIENCE_RESOLVED, 1): on_resolved,
    (ev.DELIVERY_UPDATED, 1): on_delivery,
    (ev.SEGMENT_SAVED, 1): on_segment_saved,
    (ev.SEGMENT_DELETED, 1): on_segment_deleted,
}
