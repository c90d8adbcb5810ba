"""A delivery worker killed with SIGKILL in the middle of a 20,000-recipient campaign and
started again: every recipient ends with exactly one row and one final status, and the
vendor delivered every message exactly once (re-sent messages carry their message id)."""

from __future__ import annotations

import time
import uuid

import pytest

from services.delivery.tests.integration.support import (
    audience_batches,
    launch,
    people,
    progress,
    start,
    start_delivery,
    tap,
    vendor_stats,
)
from tests.support.bus import publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

N = 20_000


async def test_worker_killed_mid_run_delivers_each_message_once(stack: Stack) -> None:
    started = time.perf_counter()
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    # Phones and emails for everyone: every message goes to the vendor.
    recipients = [{**p, "email": p["email"] or f"{p['customer_id']}@example.in"} for p in people(N)]
    async with tap(stack, "delivery.updated") as events:
        delivery = start_delivery(
            stack,
            BEACON_VENDOR_DELAY_MIN_S="0.05",
            BEACON_VENDOR_DELAY_MAX_S="0.5",
            worker_env={
                # Paced, so the kill lands while work items are in flight (the dead
                # worker's unacknowledged items go back to the queue at once).
                "BEACON_SEND_RATE_LIMIT": "2500",
            },
        )
        assert delivery.vendor is not None
        await publish(stack, "campaigns", [launch(campaign_id)])
        await publish(stack, "segments", audience_batches(campaign_id, recipients, 500))

        before_kill = await eventually(
            lambda: progress(stack, campaign_id),
            lambda p: p[1] >= 4_000,
            timeout=120,
            interval=0.05,
            what="sending under way",
        )
        delivery.worker.kill()
        at_kill = await progress(stack, campaign_id)
        restarted = start(stack, "worker", delivery.worker_env)

        final = await eventually(
            lambda: progress(stack, campaign_id),
            lambda p: p == (N, N, N),
            timeout=240,
            interval=0.5,
            what="every message accepted and final after the restart",
        )
        assert restarted.proc is not None and restarted.proc.poll() is None

        per_customer = await stack.rows(
            "delivery",
            "SELECT customer_id, COUNT(*) AS n, MIN(status) AS status FROM communications_log "
            "WHERE campaign_id = :c GROUP BY customer_id HAVING n <> 1 OR status = 'PENDING'",
            c=campaign_id,
        )
        assert per_customer == []
        counts = dict(
            await stack.rows(
                "delivery",
                "SELECT status, COUNT(*) FROM communications_log WHERE campaign_id = :c "
                "GROUP BY status",
                c=campaign_id,
            )
        )
        assert set(counts) == {"SENT", "FAILED"} and sum(counts.values()) == N

        # The vendor saw exactly N distinct message ids and delivered each once; a message
        # in flight at the kill may have been received twice, never delivered twice.
        stats = await eventually(
            lambda: vendor_stats(delivery.vendor),  # type: ignore[arg-type]
            lambda s: s["pending_receipts"] == 0,
            what="vendor callbacks done",
        )
        assert stats["unique"] == N, stats
        assert stats["delivered"] == N and stats["max_delivered"] == 1, stats
        assert stats["received"] == N + stats["duplicates"]
        assert stats["by_status"] == {"SENT": counts["SENT"], "FAILED": counts["FAILED"]}

        want = {"queued": N, "sent": counts["SENT"], "failed": counts["FAILED"]}
        await eventually(events.totals, lambda t: t == want, what="delivery.updated totals")

    print(
        f"\ncrash run: {N} recipients in {time.perf_counter() - started:.1f}s; "
        f"at kill (rows, accepted, final) = {before_kill} → {at_kill}; final {final}; "
        f"vendor duplicates {stats['duplicates']}, max received {stats['max_received']}"
    )
