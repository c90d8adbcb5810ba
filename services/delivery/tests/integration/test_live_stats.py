"""Receipts reach the stats service within a second while a campaign is still sending
(issue 14): the receipts consumer flushes on size or a short timer, several at once, so a
receipt's effect is not held back behind a deep batch."""

from __future__ import annotations

import time
import uuid

import pytest

from services.delivery.tests.integration.support import (
    audience_batches,
    launch,
    people,
    start_delivery,
)
from tests.support.bus import publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

RECIPIENTS = 6_000
RATE = 1_200  # messages/s: sending lasts about five seconds, receipts arrive throughout
MAX_TRAIL_S = 1.0

FINAL_IN_LOG = (
    "SELECT COUNT(*) FROM communications_log WHERE campaign_id = :c "
    "AND status IN ('SENT', 'FAILED')"
)
FINAL_IN_STATS = "SELECT sent + failed FROM campaign_stats WHERE campaign_id = :c"


# (when the log was read, its count, when the stats were read, their count); each time is
# when that read started, so the time a query takes under load is not counted as trail.
Sample = tuple[float, int, float, int]


def trails(samples: list[Sample]) -> list[float]:
    """For each sample's log count, how long until the stats counters showed it. A count
    the counters never reached counts as MAX_TRAIL_S past the last sample (never passes)."""
    out = []
    for i, (log_at, in_log, _, _) in enumerate(samples):
        caught_up = next((t for _, _, t, s in samples[i:] if s >= in_log), None)
        out.append((caught_up if caught_up is not None else samples[-1][2] + MAX_TRAIL_S) - log_at)
    return out


async def test_stats_trail_the_log_by_under_a_second_while_sending(stack: Stack) -> None:
    start_delivery(
        stack,
        worker_env={"BEACON_SEND_RATE_LIMIT": str(RATE)},
        BEACON_VENDOR_DELAY_MIN_S="0.05",
        BEACON_VENDOR_DELAY_MAX_S="0.2",
    )
    stack.start("stats", "worker")
    campaign_id = str(uuid.uuid4())
    await publish(stack, "campaigns", [launch(campaign_id)])
    await publish(stack, "segments", audience_batches(campaign_id, people(RECIPIENTS), 500))

    async def final_in_stats() -> int:
        return int(await stack.scalar("stats", FINAL_IN_STATS, c=campaign_id) or 0)

    # Sample both sides until every row is final, then until the counters equal the log.
    samples: list[Sample] = []
    deadline = time.monotonic() + 180

    async def sample() -> tuple[int, int]:
        log_at = time.monotonic()
        in_log = int(await stack.scalar("delivery", FINAL_IN_LOG, c=campaign_id))
        stats_at = time.monotonic()  # read after the log: errs towards a longer trail
        in_stats = await final_in_stats()
        samples.append((log_at, in_log, stats_at, in_stats))
        assert time.monotonic() < deadline, f"campaign not final in time; last {samples[-1]}"
        return in_log, in_stats

    await eventually(sample, lambda s: s == (RECIPIENTS, RECIPIENTS), timeout=180)
    pending = await stack.scalar(
        "delivery",
        "SELECT COUNT(*) FROM communications_log WHERE campaign_id = :c AND status = 'PENDING'",
        c=campaign_id,
    )
    assert pending == 0
    rows = await stack.scalar(
        "delivery", "SELECT COUNT(*) FROM communications_log WHERE campaign_id = :c", c=campaign_id
    )
    assert rows == RECIPIENTS  # every row final (no address: FAILED at once), counted once

    sending = [s for s in samples if 0 < s[1] < RECIPIENTS * 0.9]
    assert len(sending) >= 10, f"too few samples while sending to judge: {len(sending)}"
    trail = sorted(trails(samples))
    assert trail[-1] < MAX_TRAIL_S, (
        f"stats trailed the log by up to {trail[-1]:.2f} s; median {trail[len(trail) // 2]:.2f}"
        f" s, {sum(t >= MAX_TRAIL_S for t in trail)} of {len(trail)} samples over the limit"
    )
