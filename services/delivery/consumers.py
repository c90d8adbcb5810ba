"""Delivery's consumers: events in (their payloads as the catalogue's models), the use
cases of ``service.py`` called, events out.

``delivery.campaigns`` keeps each launched campaign's template. ``delivery.audience`` turns
each ``audience.batch`` into ``communications_log`` rows (one per recipient, idempotent),
announces them as ``delivery.updated`` ``queued`` deltas and hands them to the sender as
``delivery.send_requested`` work items; both go through the inbox and outbox
(``shared.consumer``). ``delivery.send`` is the sender's work queue (``sender.py``).
``delivery.receipts`` is consumed in batches (``shared.batch_consumer``): the receipts of
every event in a batch are applied in one transaction, the rows locked and moved in a few
multi-row UPDATEs, unknown ones parked, and one ``delivery.updated`` with per-campaign
deltas emitted per batch.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery import queues, service
from services.delivery.domain import events as ev
from services.delivery.domain.receipts import receipts_from_json
from services.delivery.metrics import RECEIPTS_APPLIED
from shared.batch_consumer import BatchHandler, after_commit
from shared.consumer import Handler, PermanentError, RetryLater, WorkHandler, describe
from shared.envelope import Envelope, Received
from shared.events import (
    AudienceBatch,
    CampaignControl,
    CampaignLaunched,
    CustomerErased,
    ReceiptsPayload,
)
from shared.topology import Binding, QueueSpec

CAMPAIGNS = QueueSpec(
    "delivery.campaigns",
    (
        Binding(
            "campaigns",
            (
                ev.CAMPAIGN_LAUNCHED,
                ev.CAMPAIGN_PAUSED,
                ev.CAMPAIGN_RESUMED,
                ev.CAMPAIGN_CANCELLED,
            ),
        ),
    ),
)
AUDIENCE = QueueSpec("delivery.audience", (Binding("segments", (ev.AUDIENCE_BATCH,)),))
SEND = queues.SEND  # one work item per slice of a campaign's messages (see sender.py)
# Bounded: the receipt API answers 503 (the vendor retries) rather than overfill it.
RECEIPTS = QueueSpec(
    "delivery.receipts", (Binding("delivery", (ev.RECEIPT_RECEIVED,)),), bounded=True
)
ERASURES = QueueSpec("delivery.erasures", (Binding("ingest", (ev.CUSTOMER_ERASED,)),))


async def forget_customer(conn: AsyncConnection, event: Received[CustomerErased]) -> list[Envelope]:
    """Right to erasure: the person's log rows lose their address and message."""
    erased = event.payload
    await service.forget_customer(conn, erased.customer_ids, erased.tombstone_id)
    return []


async def remember_campaign(
    conn: AsyncConnection, event: Received[CampaignLaunched]
) -> list[Envelope]:
    launched = event.payload
    if launched.message is None:
        raise PermanentError("campaign.launched: message must be a string template")
    await service.remember_campaign(
        conn,
        launched.campaign_id,
        launched.name,
        launched.message,
        event.envelope.occurred_at,
        launched.test,
        launched.channel,
        launched.subject,
    )
    return []


def controller(action: str, send_chunk: int) -> Handler:
    async def control(conn: AsyncConnection, event: Received[CampaignControl]) -> list[Envelope]:
        campaign_id = event.payload.campaign_id
        try:
            done = await service.control(conn, campaign_id, action)
        except service.CampaignNotKnown as error:
            raise RetryLater(str(error)) from error  # its launch is on its way
        return [
            *await service.updated(conn, done.deltas),
            *ev.send_requested(campaign_id, done.to_send, send_chunk),
        ]

    return control


def audience_writer(send_chunk: int) -> Handler:
    async def write_audience(
        conn: AsyncConnection, event: Received[AudienceBatch]
    ) -> list[Envelope]:
        batch = event.payload
        try:
            written = await service.write_audience(conn, batch.campaign_id, batch.recipients)
        except service.CampaignNotKnownYet as error:
            # delivery.campaigns and delivery.audience are separate queues: the batch may
            # overtake its campaign's launch. Wait for it (unacknowledged, with backoff).
            raise RetryLater(str(error)) from error
        except service.CampaignTemplateInvalid as error:
            raise PermanentError(str(error)) from error
        return [
            *await service.updated(conn, written.deltas),
            *ev.send_requested(batch.campaign_id, written.to_send, send_chunk),
        ]

    return write_audience


async def apply_receipts(
    conn: AsyncConnection, events: list[Received[ReceiptsPayload]]
) -> list[Envelope]:
    try:
        received = [r for e in events for r in receipts_from_json(e.payload.receipts)]
    except Exception as error:  # not worth a retry: the batch consumer isolates the event
        raise PermanentError(f"bad receipts: {describe(error)}") from error
    applied = await service.apply_receipts(conn, received)

    def count() -> None:  # only once committed: a retried batch must not count twice
        RECEIPTS_APPLIED.labels("moved").inc(applied.moved)
        RECEIPTS_APPLIED.labels("unchanged").inc(applied.unchanged)
        RECEIPTS_APPLIED.labels("parked").inc(applied.parked)

    after_commit(count)
    return await service.updated(conn, applied.deltas)


def receipts_in(event: Received[ReceiptsPayload]) -> int:
    """How many receipts an event carries (what a batch is limited by)."""
    return len(event.payload.receipts)


def receipt_handlers() -> dict[tuple[str, int], BatchHandler]:
    return {(ev.RECEIPT_RECEIVED, 1): apply_receipts}


def erasure_handlers() -> dict[tuple[str, int], Handler]:
    return {(ev.CUSTOMER_ERASED, 1): forget_customer}


def campaign_handlers(send_chunk: int) -> dict[tuple[str, int], Handler]:
    return {
        (ev.CAMPAIGN_LAUNCHED, 1): remember_campaign,
        (ev.CAMPAIGN_PAUSED, 1): controller("pause", send_chunk),
        (ev.CAMPAIGN_RESUMED, 1): controller("resume", send_chunk),
        (ev.CAMPAIGN_CANCELLED, 1): controller("cancel", send_chunk),
    }


def audience_handlers(send_chunk: int) -> dict[tuple[str, int], Handler]:
    return {(ev.AUDIENCE_BATCH, 1): audience_writer(send_chunk)}


def send_handlers(send: WorkHandler) -> dict[tuple[str, int], WorkHandler]:
    return {(ev.SEND_REQUESTED, 1): send}
