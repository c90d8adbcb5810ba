"""Snapshot math (pending, failure rate, never negative) and delivery delta parsing."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.stats.domain.counters import (
    CampaignCounters,
    failure_rate,
    parse_deltas,
    pending,
    snapshot,
)
from services.stats.domain.reconcile import Counts, drift_report
from shared.events import DELIVERY_UPDATED, DeliveryUpdated, check

AT = datetime(2026, 3, 1, 12, 0, 0, 250_000)


def test_pending_counts_down_from_the_audience_once_known() -> None:
    assert pending(5_000, 5_000, 0, 0) == 5_000
    assert pending(5_000, 1_000, 600, 100) == 4_300  # not yet queued still pending
    assert pending(5_000, 5_000, 4_500, 500) == 0


def test_pending_before_the_size_is_known_counts_from_queued() -> None:
    assert pending(None, 1_000, 300, 20) == 680
    assert pending(None, 0, 0, 0) == 0


def test_pending_is_never_negative() -> None:
    # Delivery counted more than the audience (a size that arrived late and small, say).
    assert pending(10, 10, 9, 5) == 0
    # Receipts before their queued delta.
    assert pending(None, 0, 3, 1) == 0


def test_failure_rate() -> None:
    assert failure_rate(0, 0) == 0.0
    assert failure_rate(90, 10) == 0.1
    assert failure_rate(0, 7) == 1.0
    assert failure_rate(2, 1) == pytest.approx(1 / 3, abs=1e-6)


@given(
    size=st.none() | st.integers(0, 10**9),
    queued=st.integers(-(10**6), 10**9),
    sent=st.integers(-(10**6), 10**9),
    failed=st.integers(-(10**6), 10**9),
)
def test_pending_and_rate_stay_in_range(
    size: int | None, queued: int, sent: int, failed: int
) -> None:
    assert pending(size, queued, sent, failed) >= 0
    assert 0.0 <= failure_rate(sent, failed) <= 1.0


def test_snapshot_shape() -> None:
    snap = snapshot(CampaignCounters("c1", "Diwali", 100, 100, 80, 10, 7, AT, AT.replace(second=5)))
    assert snap == {
        "campaign_id": "c1",
        "name": "Diwali",
        "audience_size": 100,
        "queued": 100,
        "pending": 10,
        "sent": 80,
        "failed": 10,
        "cancelled": 0,
        "failure_rate": pytest.approx(0.111111),
        "updated_at": "2026-03-01T12:00:05.250000Z",
        "first_update_at": "2026-03-01T12:00:00.250000Z",
        "revision": 7,
    }
    aware = snapshot(CampaignCounters("c1", None, None, 0, 0, 0, 1, AT.replace(tzinfo=UTC), AT))
    assert aware["first_update_at"] == "2026-03-01T12:00:00.250000Z"
    assert aware["pending"] == 0 and aware["failure_rate"] == 0.0
    stopped = snapshot(CampaignCounters("c2", None, 100, 100, 30, 5, 2, AT, AT, cancelled=65))
    assert (stopped["pending"], stopped["cancelled"]) == (0, 65)  # cancelled is finished


def test_deltas_merge_per_campaign_sorted_and_skip_zero() -> None:
    deltas = parse_deltas(
        DeliveryUpdated.model_validate(
            {
                "campaigns": [
                    {"campaign_id": "b", "queued": 10, "sent": 0, "failed": 0},
                    {"campaign_id": "a", "queued": 0, "sent": 3, "failed": 1},
                    {"campaign_id": "b", "queued": 0, "sent": 2, "failed": 0},
                    {"campaign_id": "z", "queued": 0, "sent": 0, "failed": 0},
                    {"campaign_id": "42", "sent": 1},  # missing fields count as 0
                    {"campaign_id": "t", "sent": 5, "test": True},  # a test send: no stats
                ]
            }
        )
    )
    assert [(d.campaign_id, d.queued, d.sent, d.failed) for d in deltas] == [
        ("42", 0, 1, 0),
        ("a", 0, 3, 1),
        ("b", 10, 2, 0),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"campaigns": [{"campaign_id": "a", "sent": "three"}]},
        {"campaigns": [{"campaign_id": "a", "sent": 1.5}]},
        {"campaigns": [{"campaign_id": "a", "sent": True}]},
        {"campaigns": [{"campaign_id": "", "sent": 1}]},
        {"campaigns": [{"campaign_id": "x" * 65, "sent": 1}]},
        {"campaigns": [{"campaign_id": None, "sent": 1}]},
        {"campaigns": [{"campaign_id": 42, "sent": 1}]},
        {"campaigns": [{"sent": 1}]},
        {"campaigns": "a"},
        {},
    ],
)
def test_bad_delivery_payloads_are_poison(payload: dict[str, Any]) -> None:
    # Refused by the catalogue on arrival (a ValueError: shared.consumer dead-letters it),
    # before the handler gets a model.
    with pytest.raises(ValueError):
        check(DELIVERY_UPDATED, 1, payload)


def test_drift_report() -> None:
    report = drift_report("c1", Counts(100, 90, 10), Counts(100, 97, 10))
    assert report["drift"] is True and report["fixed"] is False
    assert report["counters"]["sent"] == {"expected": 90, "actual": 97, "drift": 7}
    assert report["counters"]["queued"]["drift"] == 0
    assert drift_report("c1", Counts(1, 2, 3), Counts(1, 2, 3))["drift"] is False
