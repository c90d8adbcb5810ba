"""Events stats consumes and publishes (see docs/events.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.envelope import Envelope, new_event

PRODUCER = "stats"
CAMPAIGN_LAUNCHED = "campaign.launched"
AUDIENCE_RESOLVED = "audience.resolved"
DELIVERY_UPDATED = "delivery.updated"
STATS_CHANGED = "stats.changed"


def stats_changed(snapshots: Sequence[dict[str, Any]]) -> Envelope:
    """The full current snapshot of each changed campaign (carrying its ``revision``)."""
    return new_event(STATS_CHANGED, {"campaigns": list(snapshots)}, PRODUCER)
