"""``python -m services.delivery requeue``: PENDING rows written before the work-queue
migration (no ``delivery.send`` work item) get one, are sent exactly once and become final;
rows that have an item, were already accepted, or belong to a paused campaign are left
alone; a second run writes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from services.delivery.tests.integration.support import (
    message_id,
    progress,
    start_delivery,
    vendor_stats,
)
from shared.envelope import new_event
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

STRANDED = 1_050  # pre-migration rows of an active campaign: no work item
COVERED = 40  # rows whose work item is in the outbox (not published yet)
PAUSED = 7  # a paused campaign's rows: their items come when it is resumed
CHUNK = 200  # BEACON_SEND_BATCH_SIZE for the requeue


async def delivery(stack: Stack, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``python -m services.delivery ARGS``: exit status, JSON lines out, errors."""
    env = {**os.environ, **stack.env, "BEACON_SEND_BATCH_SIZE": str(CHUNK)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.delivery",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    lines = [orjson.loads(line) for line in out.splitlines() if line.startswith(b"{")]
    lines = [line for line in lines if "level" not in line]  # its log lines
    return int(process.returncode or 0), lines, err.decode(errors="replace")


def rows(campaign_id: str, n: int, *, accepted: bool = False) -> list[dict[str, Any]]:
    stamp = datetime.now(UTC).replace(tzinfo=None)
    return [
        {
            "message_id": message_id(campaign_id, f"c-{i}"),
            "campaign_id": campaign_id,
            "customer_id": f"c-{i}",
            "recipient": f"user{i}@example.in",
            "message": f"Hello {i}",
            "status": "PENDING",
            "sent": stamp if accepted else None,
            "stamp": stamp,
        }
        for i in range(n)
    ]


async def seed(stack: Stack, campaigns: dict[str, str], log_rows: list[dict[str, Any]]) -> None:
    stamp = datetime.now(UTC).replace(tzinfo=None)
    async with stack.db("delivery").begin() as conn:
        for campaign_id, state in campaigns.items():
            await conn.execute(
                text(
                    "INSERT INTO campaigns (campaign_id, name, template, launched_at,"
                    " received_at, state) VALUES (:c, 'Old', 'Hello', :t, :t, :s)"
                ),
                {"c": campaign_id, "t": stamp, "s": state},
            )
        await conn.execute(
            text(
                "INSERT INTO communications_log (message_id, campaign_id, customer_id,"
                " recipient, message, status, sent_to_vendor_at, created_at, updated_at)"
                " VALUES (:message_id, :campaign_id, :customer_id, :recipient, :message,"
                " :status, :sent, :stamp, :stamp)"
            ),
            log_rows,
        )


async def work_items(stack: Stack) -> list[list[str]]:
    bodies = await stack.rows(
        "delivery", "SELECT body FROM outbox WHERE type = 'delivery.send_requested' ORDER BY id"
    )
    return [orjson.loads(b[0])["payload"]["message_ids"] for b in bodies]


async def test_requeue_gives_stranded_rows_one_work_item_and_they_are_sent_once(
    stack: Stack,
) -> None:
    # Upgraded (migrated), with no process of the new release started yet: the requeue
    # must declare the work queue itself, or the API's relay (which starts first) would
    # publish the items to an exchange with no queue bound for them.
    code, _, err = await delivery(stack, "migrate")
    assert code == 0, err
    old, covered, paused = (f"{k}-{uuid.uuid4().hex[:8]}" for k in ("old", "cov", "paused"))
    stranded = rows(old, STRANDED)
    accepted = rows(old, 3, accepted=True)  # handed to the vendor already: a receipt is due
    for i, row in enumerate(accepted):
        row["customer_id"] = f"acc-{i}"
        row["message_id"] = message_id(old, row["customer_id"])
    with_item = rows(covered, COVERED)
    await seed(
        stack,
        {old: "active", covered: "active", paused: "paused"},
        stranded + accepted + with_item + rows(paused, PAUSED),
    )
    # covered's rows were written after the migration: their work item is in the outbox.
    item = new_event(
        "delivery.send_requested",
        {"campaign_id": covered, "message_ids": [r["message_id"] for r in with_item]},
        "delivery",
    )
    async with stack.db("delivery").begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (event_id, type, body, created_at)"
                " VALUES (:e, 'delivery.send_requested', :b, :t)"
            ),
            {"e": str(item.event_id), "b": item.to_bytes(), "t": datetime.now(UTC)},
        )

    code, out, err = await delivery(stack, "requeue")
    assert code == 0, err
    assert out == [
        {"campaign_id": old, "requeued": STRANDED},
        {"campaigns": 1, "requeued": STRANDED, "work_items": -(-STRANDED // CHUNK)},
    ]
    items = await work_items(stack)
    requeued = [m for ids in items[1:] for m in ids]
    assert sorted(requeued) == sorted(r["message_id"] for r in stranded)
    assert len(requeued) == len(set(requeued)) and max(len(ids) for ids in items) <= CHUNK

    # Run again: every stranded row is named by an item now.
    code, out, err = await delivery(stack, "requeue")
    assert code == 0, err
    assert out == [{"campaigns": 0, "requeued": 0, "work_items": 0}]
    assert len(await work_items(stack)) == len(items)

    pipeline = start_delivery(
        stack, BEACON_VENDOR_DELAY_MIN_S="0.01", BEACON_VENDOR_DELAY_MAX_S="0.1"
    )
    # The relay publishes the items; each message is sent once and becomes final.
    total = STRANDED + len(accepted)
    await eventually(
        lambda: progress(stack, old),
        lambda p: p == (total, total, STRANDED),
        timeout=120,
        interval=0.25,
        what="every requeued message sent and final",
    )
    await eventually(
        lambda: progress(stack, covered),
        lambda p: p == (COVERED, COVERED, COVERED),
        timeout=60,
        interval=0.25,
        what="the rows that had a work item sent and final",
    )
    assert pipeline.vendor is not None
    stats = await vendor_stats(pipeline.vendor)
    assert stats["unique"] == stats["received"] == STRANDED + COVERED, stats
    assert stats["duplicates"] == 0 and stats["max_delivered"] == 1
    assert await progress(stack, paused) == (PAUSED, 0, 0)

    # Afterwards: nothing left to requeue (the accepted rows wait for their receipt, the
    # paused campaign for its resume), and nothing more sent.
    code, out, err = await delivery(stack, "requeue")
    assert code == 0, err
    assert out == [{"campaigns": 0, "requeued": 0, "work_items": 0}]
    assert len(await work_items(stack)) == len(items)
    stats = await vendor_stats(pipeline.vendor)
    assert stats["received"] == STRANDED + COVERED and stats["duplicates"] == 0


async def test_requeue_fails_loudly_without_a_database(stack: Stack) -> None:
    env_url = "mysql+asyncmy://nobody:wrong@127.0.0.1:9/none"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.delivery",
        "requeue",
        env={**os.environ, **stack.env, "BEACON_MYSQL_URL": env_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 1
    assert b'"error"' in out
