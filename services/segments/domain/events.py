"""The events segments consumes and publishes (ARCHITECTURE.md: Events)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from shared.envelope import Envelope, new_event
from shared.events import (  # noqa: F401 (re-exported for the service)
    ADDRESS_REFUSED,
    AUDIENCE_BATCH,
    AUDIENCE_RESOLVED,
    CAMPAIGN_LAUNCHED,
    CUSTOMER_ERASED,
    CUSTOMER_MERGED,
    CUSTOMER_UPSERTED,
    ORDER_RECORDED,
    PROFILE_CHANGED,
    SEGMENT_DELETED,
    SEGMENT_SAVED,
    SUPPRESSION_CHANGED,
)

PRODUCER = "segments"

# Stable ids: a re-published batch has the id it had the first time, so consumers dedupe it.
_IDS = uuid.UUID("6f1c3b1e-2d4a-4c55-9a49-6a1e8b9b0c21")


def profiles_changed(rows: Sequence[dict[str, Any]]) -> Envelope:
    """Full state of each changed profile with its ``revision`` (newer wins)."""
    # Rows go in as read (Decimal, naive UTC datetimes): the envelope serialises them.
    return new_event(PROFILE_CHANGED, {"profiles": list(rows)}, PRODUCER)


def audience_batch_id(campaign_id: str, batch_no: int) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"{AUDIENCE_BATCH}:{campaign_id}:{batch_no}")


def audience_batch(
    campaign_id: str,
    batch_no: int,
    batches: int,
    recipients: list[dict[str, Any]],
    correlation_id: str | None,
) -> Envelope:
    event_id = audience_batch_id(campaign_id, batch_no)
    return new_event(
        AUDIENCE_BATCH,
        {
            "campaign_id": campaign_id,
            "batch_id": str(event_id),
            "batch_no": batch_no,
            "batches": batches,
            "recipients": recipients,
        },
        PRODUCER,
        event_id=event_id,
        correlation_id=correlation_id,
    )


def audience_resolved(
    campaign_id: str,
    size: int,
    batches: int,
    correlation_id: str | None,
    error: str | None = None,
    *,
    test: bool = False,
) -> Envelope:
    """``error`` set (and size 0) when the audience could not be resolved."""
    payload: dict[str, Any] = {
        "campaign_id": campaign_id,
        "size": size,
        "batches": batches,
        "error": error,
    }
    if test:
        payload["test"] = True
    return new_event(
        AUDIENCE_RESOLVED,
        payload,
        PRODUCER,
        event_id=uuid.uuid5(_IDS, f"{AUDIENCE_RESOLVED}:{campaign_id}"),
        correlation_id=correlation_id,
    )


def segment_saved(segment: dict[str, Any], actor: dict[str, Any]) -> Envelope:
    """A saved segment's current definition, so campaigns can target it by id; ``actor``
    (``sub``, ``email``) is who saved or changed it (audit)."""
    return new_event(
        SEGMENT_SAVED,
        {
            "segment_id": str(segment["id"]),
            "name": segment["name"],
            "rules": segment["rules"],
            "actor": actor,
        },
        PRODUCER,
    )


def segment_deleted(segment_id: int, actor: dict[str, Any]) -> Envelope:
    return new_event(SEGMENT_DELETED, {"segment_id": str(segment_id), "actor": actor}, PRODUCER)


def suppression_changed(
    customer_id: str,
    channel: str,
    *,
    suppressed: bool,
    reason: str,
    actor: dict[str, Any] | None = None,
) -> Envelope:
    payload = {
        "customer_id": customer_id,
        "channel": channel,
        "suppressed": suppressed,
        "reason": reason,
        "actor": actor,
    }
    return new_event(SUPPRESSION_CHANGED, payload, PRODUCER)
