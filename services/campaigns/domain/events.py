"""Events campaigns publishes and consumes (see docs/events.md)."""

from __future__ import annotations

from typing import Any

from shared.envelope import Envelope, new_event

PRODUCER = "campaigns"
CAMPAIGN_LAUNCHED = "campaign.launched"
AUDIENCE_RESOLVED = "audience.resolved"
DELIVERY_UPDATED = "delivery.updated"
SEGMENT_SAVED = "segment.saved"
SEGMENT_DELETED = "segment.deleted"


def campaign_launched(campaign: dict[str, Any]) -> Envelope:
    """The launch, with the snapshot of rules and template the campaign was created with."""
    return new_event(
        CAMPAIGN_LAUNCHED,
        {
            "campaign_id": campaign["id"],
            "name": campaign["name"],
            "rules": campaign["rules"],
            "segment_id": campaign["segment_id"],
            "message": campaign["message"],
            # Segments refuses to resolve a larger audience (the campaign fails, unsent).
            "max_audience": campaign.get("max_audience"),
        },
        PRODUCER,
    )
