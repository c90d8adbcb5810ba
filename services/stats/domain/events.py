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
    STATS_RECONCILED,
)

PRODUCER = "stats"


def stats_changed(snapshots: Sequence[dict[str, Any]]) -> Envelope:
    """The full current snapshot of each changed campaign (carrying its ``revision``)."""
    return new_event(STATS_CHANGED, {"campaigns": list(snapshots)}, PRODUCER)


def stats_reconciled(
    campaign_id: str, changes: dict[str, dict[str, int]], actor: dict[str, Any]
) -> Envelope:
    """Audit: a reconcile set these counters (``{name: {before, after}}``); ``actor`` did it."""
    payload = {"campaign_id": campaign_id, "changes": changes, "actor": actor}
    return new_event(STATS_RECONCILED, payload, PRODUCER)
