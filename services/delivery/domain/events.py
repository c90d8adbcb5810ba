"""The events delivery consumes and publishes (docs/events.md) and its message ids."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from services.delivery.domain.receipts import receipts_to_json
from services.delivery.domain.status import Deltas, Receipt
from shared.envelope import Envelope, new_event
from shared.events import (  # noqa: F401 (re-exported for the service)
    ADDRESS_REFUSED,
    AUDIENCE_BATCH,
    CAMPAIGN_CANCELLED,
    CAMPAIGN_LAUNCHED,
    CAMPAIGN_PAUSED,
    CAMPAIGN_RESUMED,
    CUSTOMER_ERASED,
    DELIVERY_UPDATED,
    RECEIPT_RECEIVED,
    SEND_REQUESTED,
)

PRODUCER = "delivery"

# Never change: message ids derive from it, and the vendor dedupes on message ids, so a
# message re-sent after a crash must get the id it had the first time.
MESSAGE_IDS = uuid.UUID("2b7d0c8e-5f0a-4f59-b2d6-0f3c9d1e7a44")


def message_id(campaign_id: str, customer_id: str) -> str:
    """The one id of the message a campaign sends a customer."""
    return str(uuid.uuid5(MESSAGE_IDS, f"{campaign_id}:{customer_id}"))


def receipt_received(receipts: list[Receipt]) -> Envelope:
    """One callback's receipts, as one event (accepted or refused whole)."""
    return new_event(RECEIPT_RECEIVED, {"receipts": receipts_to_json(receipts)}, PRODUCER)


def delivery_updated(
    deltas: Mapping[str, Deltas], tests: frozenset[str] = frozenset()
) -> list[Envelope]:
    """Per-campaign counter deltas as one ``delivery.updated`` event; none if nothing moved.
    A test send's (``tests``) are marked, so statistics leave them out."""
    campaigns: list[dict[str, Any]] = []
    for cid, d in sorted(deltas.items()):
        if not d:
            continue
        delta: dict[str, Any] = {"campaign_id": cid, "queued": d.queued, "sent": d.sent}
        delta["failed"] = d.failed
        if d.cancelled:
            delta["cancelled"] = d.cancelled
        if cid in tests:
            delta["test"] = True
        campaigns.append(delta)
    return [new_event(DELIVERY_UPDATED, {"campaigns": campaigns}, PRODUCER)] if campaigns else []


def send_requested(campaign_id: str, message_ids: Sequence[str], chunk: int) -> list[Envelope]:
    """Work items for the sender (``delivery.send``): the new PENDING messages of one
    campaign, ``chunk`` per item. Ids only: the sender reads the rows, so the outbox does
    not carry every message body twice."""
    return [
        new_event(
            SEND_REQUESTED,
            {"campaign_id": campaign_id, "message_ids": list(message_ids[i : i + chunk])},
            PRODUCER,
        )
        for i in range(0, len(message_ids), chunk)
    ]


def address_refused(channel: str, customer_ids: Sequence[str], reason: str) -> list[Envelope]:
    """Ask segments to suppress these people on ``channel`` (none: no event)."""
    if not customer_ids:
        return []
    payload = {"channel": channel, "customer_ids": list(customer_ids), "reason": reason[:200]}
    return [new_event(ADDRESS_REFUSED, payload, PRODUCER)]
