"""Delivery's consumers.

``delivery.campaigns`` keeps each launched campaign's template. ``delivery.audience`` turns
each ``audience.batch`` into ``communications_log`` rows (one per recipient, idempotent)
and announces them as ``delivery.updated`` ``queued`` deltas; both go through the inbox and
outbox (``shared.consumer``). ``delivery.receipts`` is consumed in batches
(``shared.batch_consumer``): the receipts of every event in a batch are applied in one
transaction, the rows locked and moved in a few multi-row UPDATEs, unknown ones parked,
and one ``delivery.updated`` with per-campaign deltas emitted per batch.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from services.delivery.domain import events as ev
from services.delivery.domain.messages import plan_messages
from services.delivery.domain.receipts import receipts_from_json
from services.delivery.domain.status import Deltas, Status, first_per_message
from services.delivery.metrics import RECEIPTS_APPLIED
from services.delivery.store import campaigns as campaign_store
from services.delivery.store import log as log_store
from services.delivery.store import receipts as receipt_store
from shared.batch_consumer import BatchHandler
from shared.consumer import Handler, PermanentError, RetryLater, describe
from shared.envelope import Envelope
from shared.logging import get_logger
from shared.template import TemplateError, parse_template
from shared.topology import Binding, QueueSpec

log = get_logger(__name__)

CAMPAIGNS = QueueSpec("delivery.campaigns", (Binding("campaigns", (ev.CAMPAIGN_LAUNCHED,)),))
AUDIENCE = QueueSpec("delivery.audience", (Binding("segments", (ev.AUDIENCE_BATCH,)),))
# Bounded: the receipt API answers 503 (the vendor retries) rather than overfill it.
RECEIPTS = QueueSpec(
    "delivery.receipts", (Binding("delivery", (ev.RECEIPT_RECEIVED,)),), bounded=True
)


async def remember_campaign(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
    payload = envelope.payload
    campaign_id = str(payload["campaign_id"])
    template = payload["message"]
    if not isinstance(template, str):
        raise PermanentError("campaign.launched: message must be a string template")
    error = None
    try:
        parse_template(template)
    except TemplateError as problem:
        # Kept with the error rather than dead-lettered: the audience batches that follow
        # would otherwise wait for this template forever. They are dead-lettered instead.
        error = str(problem)
        log.error("campaign_template_invalid", campaign_id=campaign_id, error=error)
    await campaign_store.remember(
        conn, campaign_id, payload.get("name"), template, error, envelope.occurred_at
    )
    return []


def audience_writer(notify_sender: Callable[[], None]) -> Handler:
    async def write_audience(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
        payload = envelope.payload
        campaign_id = str(payload["campaign_id"])
        campaign = await campaign_store.get(conn, campaign_id)
        if campaign is None:
            # delivery.campaigns and delivery.audience are separate queues: the batch may
            # overtake its campaign's launch. Wait for it (unacknowledged, with backoff).
            raise RetryLater(f"template of campaign {campaign_id} not received yet")
        if campaign.template_error:
            raise PermanentError(f"campaign {campaign_id} has an invalid template")
        template = parse_template(campaign.template)
        messages = plan_messages(campaign_id, template, payload["recipients"])
        created = await log_store.insert_messages(conn, messages)
        # A row created FAILED (no address) counts as queued and failed at once, so
        # queued - sent - failed stays the number still pending downstream.
        deltas = {
            campaign_id: Deltas(
                queued=created[Status.PENDING] + created[Status.FAILED],
                failed=created[Status.FAILED],
            )
        }
        # Receipts that arrived before their message (rare): apply them now.
        early = await receipt_store.unpark(conn, [m.message_id for m in messages])
        if early:
            moved, _ = await receipt_store.apply(conn, early)
            for cid, delta in moved.items():
                total = deltas.setdefault(cid, Deltas())
                total.sent += delta.sent
                total.failed += delta.failed
        if created[Status.PENDING]:
            notify_sender()  # before the commit: the sender also polls, so no wake is lost
        return ev.delivery_updated(deltas)

    return write_audience


async def apply_receipts(conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
    try:
        received = [r for e in envelopes for r in receipts_from_json(e.payload["receipts"])]
    except Exception as error:  # not worth a retry: the batch consumer isolates the event
        raise PermanentError(f"bad receipts: {describe(error)}") from error
    receipts = first_per_message(received)
    deltas, unknown = await receipt_store.apply(conn, receipts)
    if unknown:
        await receipt_store.park(conn, unknown)
        log.warning("receipts_parked", count=len(unknown))
    # Counted in the transaction: a batch rolled back and retried (rare) counts twice.
    moved = sum(d.sent + d.failed for d in deltas.values())
    RECEIPTS_APPLIED.labels("moved").inc(moved)
    RECEIPTS_APPLIED.labels("unchanged").inc(len(receipts) - moved - len(unknown))
    RECEIPTS_APPLIED.labels("parked").inc(len(unknown))
    return ev.delivery_updated(deltas)


def receipts_in(envelope: Envelope) -> int:
    """How many receipts an event carries (what a batch is limited by)."""
    receipts = envelope.payload.get("receipts")
    return len(receipts) if isinstance(receipts, list) else 1


def receipt_handlers() -> dict[tuple[str, int], BatchHandler]:
    return {(ev.RECEIPT_RECEIVED, 1): apply_receipts}


def campaign_handlers() -> dict[tuple[str, int], Handler]:
    return {(ev.CAMPAIGN_LAUNCHED, 1): remember_campaign}


def audience_handlers(notify_sender: Callable[[], None]) -> dict[tuple[str, int], Handler]:
    return {(ev.AUDIENCE_BATCH, 1): audience_writer(notify_sender)}
