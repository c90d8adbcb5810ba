"""Events stats consumes and publishes (see docs/events.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.envelope import Envelope, new_event
from shared.events import (  # noqa: F401 (re-exported for the service)
    AUDIENCE_RESOLVED,
    CAMPAIGN_LAUNCHED,
    DELIVERY_UPDATED,
    STATS_CHANGED,
)

PRODUCER = "stats"


def stats_changed(snapshots: Sequence[dict[str, Any]]) -> Envelope:
    """The full current snapshot of each changed campaign (carrying its ``revision``)."""
    return new_event(STATS_CHANGED, {"campaigns": list(snapshots)}, PRODUCER)
