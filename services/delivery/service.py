"""Delivery's use cases, as plain async functions.

Most take the connection of a unit of work (the caller commits) and return what happened.
:func:`send_batch` is the exception: a vendor call must not hold a transaction open, so it
takes the engine and runs its own short ones around the call. None knows about RabbitMQ or
envelopes. ``consumers.py``, ``api.py``, the sender and the parked-receipt sweep translate
their inputs, call these, and turn the results into events (issue 11).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.delivery.channels import Channel, ChannelResult
from services.delivery.domain import events as ev
from services.delivery.domain.messages import plan_messages
from services.delivery.domain.status import Deltas, Receipt, Status, first_per_message
from services.delivery.store import campaigns as campaign_store
from services.delivery.store import deferred as deferred_store
from services.delivery.store import log as log_store
from services.delivery.store import receipts as receipt_store
from services.delivery.store.log import Outgoing
from services.delivery.store.tables import outbox as outbox_table
from services.delivery.vendor_client import VendorRejected
from shared import outbox
from shared.db import retry_transient, unit_of_work
from shared.envelope import Envelope
from shared.logging import get_logger
from shared.template import TemplateError, parse_template

log = get_logger(__name__)


class CampaignNotKnownYet(Exception):
    """An audience batch arrived before its campaign's template (separate queues)."""


class CampaignTemplateInvalid(Exception):
    """The campaign's template does not parse: its messages can never be written."""


@dataclass
class Applied:
    """The outcome of applying receipts: counter deltas per campaign, and per receipt
    whether it moved a row, changed nothing (duplicate, older news) or was parked."""

    deltas: dict[str, Deltas] = field(default_factory=dict)
    moved: int = 0
    unchanged: int = 0
    parked: int = 0


@dataclass
class AudienceWritten:
    deltas: dict[str, Deltas]
    to_send: list[str]  # message ids of the new rows for the sender


async def remember_campaign(
    conn: AsyncConnection,
    campaign_id: str,
    name: str | None,
    template: str,
    launched_at: datetime,
    test: bool = False,
    channel: str = "sms",
    subject: str | None = None,
) -> None:
    """Keep a launched campaign's template (and an email's subject); an unparsable one is
    kept with its error."""
    error = None
    try:
        parse_template(template)
        if channel == "email":
            parse_template(subject or "")
            if not subject:
                raise TemplateError(["an email campaign needs a subject"])
    except TemplateError as problem:
        # Kept with the error rather than refused: the audience batches that follow would
        # otherwise wait for this template forever. They are refused instead.
        error = str(problem)
        log.error("campaign_template_invalid", campaign_id=campaign_id, error=error)
    await campaign_store.remember(
        conn, campaign_id, name, template, error, launched_at, test, channel, subject
    )


async def write_audience(
    conn: AsyncConnection, campaign_id: str, recipients: Sequence[dict[str, Any]]
) -> AudienceWritten:
    """Write one audience batch's messages (idempotent by campaign and customer), and apply
    the receipts that arrived before their message."""
    campaign = await campaign_store.get(conn, campaign_id)
    if campaign is None:
        raise CampaignNotKnownYet(f"template of campaign {campaign_id} not received yet")
    if campaign.template_error:
        raise CampaignTemplateInvalid(f"campaign {campaign_id} has an invalid template")
    subject = parse_template(campaign.subject or "") if campaign.channel == "email" else None
    messages = plan_messages(
        campaign_id, parse_template(campaign.template), recipients, subject=subject
    )
    inserted = await log_store.insert_messages(
        conn, messages, cancelled=campaign.state == "cancelled"
    )
    created = inserted.created
    # A row created FAILED (no address) or CANCELLED counts as queued and final at once,
    # so queued - sent - failed - cancelled stays the number still pending downstream.
    deltas = {
        campaign_id: Deltas(
            queued=sum(created.values()),
            failed=created[Status.FAILED],
            cancelled=created[Status.CANCELLED],
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
    # Rows an early receipt just moved stay listed: the sender reads PENDING rows only.
    # A paused campaign's rows wait: resuming it hands them all to the sender.
    to_send = inserted.to_send if campaign.state == "active" else []
    return AudienceWritten(deltas, to_send)


class CampaignNotKnown(Exception):
    """A pause, resume or cancel arrived before the campaign's launch (separate events)."""


async def control(conn: AsyncConnection, campaign_id: str, action: str) -> Controlled:
    """Pause, resume or cancel a campaign's sending. Pausing stops the sender at its next
    batch (it reads the state just before each vendor call); resuming hands every message
    not sent yet back to it; cancelling marks them all CANCELLED."""
    state = {"pause": "paused", "resume": "active", "cancel": "cancelled"}[action]
    before = await campaign_store.set_state(conn, campaign_id, state)
    if before is None:
        raise CampaignNotKnown(f"campaign {campaign_id} not launched here yet")
    if before == "cancelled":
        return Controlled({}, [])
    if action == "cancel":
        cancelled = await log_store.cancel_unsent(conn, campaign_id)
        return Controlled({campaign_id: Deltas(cancelled=cancelled)} if cancelled else {}, [])
    if action == "resume" and before == "paused":
        return Controlled({}, await log_store.unsent_ids(conn, campaign_id))
    return Controlled({}, [])


@dataclass
class Controlled:
    deltas: dict[str, Deltas]
    to_send: list[str]  # message ids for the sender (a resumed campaign's)


async def updated(conn: AsyncConnection, deltas: dict[str, Deltas]) -> list[Envelope]:
    """``delivery.updated`` for these deltas, a test send's marked (in no statistics)."""
    if not deltas:
        return []
    return ev.delivery_updated(deltas, await campaign_store.tests_among(conn, sorted(deltas)))


async def apply_receipts(conn: AsyncConnection, received: Iterable[Receipt]) -> Applied:
    """Apply receipts (the first per message wins); park those of unknown messages."""
    receipts = first_per_message(list(received))
    deltas, unknown = await receipt_store.apply(conn, receipts)
    if unknown:
        await receipt_store.park(conn, unknown)
        log.warning("receipts_parked", count=len(unknown))
    moved = sum(d.sent + d.failed for d in deltas.values())
    return Applied(deltas, moved, len(receipts) - moved - len(unknown), len(unknown))


@dataclass
class SendOutcome:
    accepted: int = 0  # messages the provider took (the vendor's 202, an SMTP 2xx)
    rejected: int = 0  # messages refused for good (a 4xx batch, an SMTP 5xx): now FAILED
    deltas: dict[str, Deltas] = field(default_factory=dict)  # of those now final
    deferred: int = 0  # held for quiet hours


class ChannelUnavailable(Exception):
    """Some messages could not be handed to their channel before the deadline (those
    that could were recorded): the caller hands the work item back."""


PACE_RECHECK_S = 0.05


async def send_batch(
    engine: AsyncEngine,
    channels: Mapping[str, Channel],
    message_ids: Sequence[str],
    *,
    pace: Callable[[int], Awaitable[None]],
    deadline: float,
    read_attempts: int = 6,
    campaign_id: str = "",
    quiet: Callable[[str], datetime | None] = lambda channel: None,
) -> SendOutcome:
    """Send those of ``message_ids`` still PENDING and unsent through their campaign's
    channel, and mark them handed over.

    At most once accepted per message: a batch re-sent after a crash between the
    provider's acceptance and the mark (its work item is redelivered) carries the same
    message ids, which the vendor dedupes (and an email the same Message-ID); once marked,
    a message is never read for sending again. The vendor unavailable past ``deadline``:
    :class:`VendorUnavailable`; some emails not taken by then: :class:`ChannelUnavailable`
    once those that were are recorded (the caller hands the work back either way). A
    refusal for good (the vendor's 4xx for the batch, an SMTP 5xx for a message): those
    messages become FAILED, in the outbox's transaction as ``delivery.updated`` deltas.
    An SMTP acceptance makes its message SENT at once, the same way.

    ``quiet(channel)``: when the channel is in its quiet hours, the instant they end; the
    batch is then held in ``deferred_sends`` until it (nothing sent, nothing dropped) and
    the work item is done.
    """

    async def read(ids: Sequence[str]) -> list[Outgoing]:
        async with unit_of_work(engine) as conn:
            return await log_store.unsent(conn, ids)

    async def unsent(ids: Sequence[str]) -> list[Outgoing]:
        # Retried here with back-off: handed straight back, a work item would be redelivered
        # at once, again and again while the database is away, and parked at its delivery
        # limit within seconds (the chaos run's MariaDB restart did exactly that).
        return await retry_transient(
            lambda: read(ids), what="delivery.send:unsent", attempts=read_attempts
        )

    batch = await unsent(message_ids)
    if not batch:
        return SendOutcome()
    opens = quiet(batch[0].channel)
    if opens is not None:
        held = [m.message_id for m in batch]

        async def hold() -> None:
            async with unit_of_work(engine) as conn:
                await deferred_store.hold(conn, campaign_id, held, opens)

        await retry_transient(hold, what="delivery.send:defer", attempts=read_attempts)
        log.info("send_deferred", campaign_id=campaign_id, messages=len(held), until=str(opens))
        return SendOutcome(deferred=len(held))
    waited = time.monotonic()
    await pace(len(batch))
    if time.monotonic() - waited > PACE_RECHECK_S:
        # Waited for the rate limit: read again, so a campaign paused or cancelled in the
        # meantime sends nothing more (within a second of the ack).
        batch = await unsent([m.message_id for m in batch])
        if not batch:
            return SendOutcome()
    kind = batch[0].channel  # a work item names one campaign's messages
    channel = channels.get(kind)
    if channel is None:
        raise ChannelUnavailable(f"channel {kind!r} is not configured here")
    try:
        result = await channel.send(batch, deadline=deadline)
    except VendorRejected as error:
        reason = str(error)[:500]
        log.error("vendor_rejected_batch", error=reason, messages=len(batch))
        result = ChannelResult(failed=[(m, reason) for m in batch])
    outcome = await _record(engine, result)
    if result.retry is not None:
        raise ChannelUnavailable(result.retry)
    return outcome


async def _record(engine: AsyncEngine, result: ChannelResult) -> SendOutcome:
    """Mark what the channel took (never sent again) and apply what is final already."""
    at = log_store.now()
    final = [Receipt(m.message_id, Status.SENT, at) for m in result.sent]
    final += [Receipt(m.message_id, Status.FAILED, at, reason) for m, reason in result.failed]
    handed = [m.id for m in (*result.accepted, *result.sent)]

    async def record() -> dict[str, Deltas]:
        async with unit_of_work(engine) as conn:
            if handed:
                await log_store.mark_accepted(conn, handed)
            if not final:
                return {}
            applied = await apply_receipts(conn, final)
            events = await updated(conn, applied.deltas)
            # The provider says these people cannot or will not get this channel: one
            # request to suppress them per reason.
            refused = {id(m) for m in result.refused}
            by_reason: dict[tuple[str, str], list[str]] = {}
            for message, reason in result.failed:
                if id(message) in refused and message.customer_id:
                    key = (message.channel, reason)
                    by_reason.setdefault(key, []).append(message.customer_id)
            for (channel, reason), customers in by_reason.items():
                events += ev.address_refused(channel, customers, reason)
            await outbox.add(conn, outbox_table, events)
            return applied.deltas

    if not handed and not final:
        return SendOutcome()
    # Retried here rather than by redelivery, which would send the batch again.
    deltas = await retry_transient(record, what="delivery.send:mark")
    return SendOutcome(accepted=len(handed), rejected=len(result.failed), deltas=deltas)


async def forget_customer(
    conn: AsyncConnection, customer_ids: Sequence[str], tombstone: str
) -> None:
    """Right to erasure: the log keeps what happened, not to whom."""
    forgotten = await log_store.forget_customer(conn, customer_ids, tombstone)
    log.info("customer_forgotten", rows=forgotten)


async def release_due(engine: AsyncEngine, now: datetime, limit: int = 100) -> int:
    """Work held for quiet hours whose window has opened goes back on the send queue (as
    ``delivery.send_requested``, through the outbox, in the transaction that takes it)."""
    async with unit_of_work(engine) as conn:
        due = await deferred_store.take_due(conn, now, limit)
        items = [
            item
            for held in due
            for item in ev.send_requested(held.campaign_id, held.message_ids, len(held.message_ids))
        ]
        if items:
            await outbox.add(conn, outbox_table, items)
    if due:
        log.info("deferred_sends_released", items=len(due))
    return len(due)
