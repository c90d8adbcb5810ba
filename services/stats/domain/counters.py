"""Per-campaign counters, the snapshot every reader sees, and delivery deltas.

One snapshot shape serves the HTTP API, the ``stats.changed`` event and the WebSocket, so a
client can mix them freely; ``revision`` (bumped by every change, under the row lock) orders
them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.events import DeliveryUpdated

MAX_ID_LENGTH = 64  # the column's width


@dataclass(frozen=True)
class CampaignCounters:
    campaign_id: str
    name: str | None
    audience_size: int | None
    queued: int
    sent: int
    failed: int
    revision: int
    first_update_at: datetime
    updated_at: datetime
    cancelled: int = 0


def pending(
    audience_size: int | None, queued: int, sent: int, failed: int, cancelled: int = 0
) -> int:
    """Recipients not yet finished: of the audience once its size is known, else of the
    messages queued so far; a cancelled message is finished (never to be sent). Never
    negative (deltas may arrive before the size)."""
    base = audience_size if audience_size is not None else queued
    return max(base - sent - failed - cancelled, 0)


def failure_rate(sent: int, failed: int) -> float:
    """failed / (sent + failed), 0.0 before anything finished; always within [0, 1]."""
    done = sent + failed
    if done <= 0:
        return 0.0
    return round(min(max(failed / done, 0.0), 1.0), 6)


def iso(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z``; the store keeps naive UTC."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def snapshot(c: CampaignCounters) -> dict[str, Any]:
    return {
        "campaign_id": c.campaign_id,
        "name": c.name,
        "audience_size": c.audience_size,
        "queued": c.queued,
        "pending": pending(c.audience_size, c.queued, c.sent, c.failed, c.cancelled),
        "sent": c.sent,
        "failed": c.failed,
        "cancelled": c.cancelled,
        "failure_rate": failure_rate(c.sent, c.failed),
        "updated_at": iso(c.updated_at),
        "first_update_at": iso(c.first_update_at),
        "revision": c.revision,
    }


@dataclass(frozen=True)
class Delta:
    """What one ``delivery.updated`` event adds to one campaign."""

    campaign_id: str
    queued: int
    sent: int
    failed: int
    cancelled: int = 0  # negative when a cancelled message turned out sent

    @property
    def is_zero(self) -> bool:
        return not (self.queued or self.sent or self.failed or self.cancelled)


def parse_deltas(updated: DeliveryUpdated) -> list[Delta]:
    """The non-zero deltas of a ``delivery.updated`` payload, one per campaign, sorted by
    campaign id: every writer locks counter rows in the same order, so two workers applying
    events that touch the same campaigns never deadlock. (The catalogue's model has checked
    each id and count: a payload that does not fit never reaches here.)"""
    merged: dict[str, list[int]] = {}
    for item in updated.campaigns:
        if item.test:  # a test send's: in no statistics
            continue
        sums = merged.setdefault(item.campaign_id, [0, 0, 0, 0])
        sums[0] += item.queued
        sums[1] += item.sent
        sums[2] += item.failed
        sums[3] += item.cancelled
    deltas = [Delta(cid, *sums) for cid, sums in sorted(merged.items())]
    return [d for d in deltas if not d.is_zero]


def sum_deltas(deltas: Iterable[Delta]) -> list[Delta]:
    """Deltas of several events added up per campaign, non-zero ones sorted by campaign id."""
    sums: dict[str, list[int]] = {}
    for d in deltas:
        total = sums.setdefault(d.campaign_id, [0, 0, 0, 0])
        total[0] += d.queued
        total[1] += d.sent
        total[2] += d.failed
        total[3] += d.cancelled
    summed = [Delta(cid, *total) for cid, total in sorted(sums.items())]
    return [d for d in summed if not d.is_zero]
