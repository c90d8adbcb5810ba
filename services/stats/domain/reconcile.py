"""Drift between a campaign's counters and the recount from its stored delivery deltas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTERS = ("queued", "sent", "failed", "cancelled")


@dataclass(frozen=True)
class Counts:
    queued: int
    sent: int
    failed: int
    cancelled: int = 0


def drift_report(campaign_id: str, expected: Counts, actual: Counts) -> dict[str, Any]:
    """Per counter: expected (recounted), actual (stored), drift = actual - expected."""
    counters = {
        name: {
            "expected": getattr(expected, name),
            "actual": getattr(actual, name),
            "drift": getattr(actual, name) - getattr(expected, name),
        }
        for name in COUNTERS
    }
    return {
        "campaign_id": campaign_id,
        "counters": counters,
        "drift": any(c["drift"] != 0 for c in counters.values()),
        "fixed": False,
    }


def changes(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """What a fix of ``report`` changes: ``{counter: {before, after}}``, drifted ones only."""
    return {
        name: {"before": c["actual"], "after": c["expected"]}
        for name, c in report["counters"].items()
        if c["drift"]
    }
