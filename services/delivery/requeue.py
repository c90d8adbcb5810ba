"""``python -m services.delivery requeue``: work items for PENDING rows that have none.

Since migration 0004 the sender works from ``delivery.send`` work items, written through
the outbox in the transaction that writes the rows they name. Rows written by an older
version (or by any path that lost its item) have none and would wait forever. A row lacks
a work item when it is PENDING, not yet accepted by the vendor, of an active campaign (a
paused one's rows get their items when it is resumed), and named by no
``delivery.send_requested`` event in the outbox. The rows are read before the outbox (each
statement sees what was committed when it began: READ COMMITTED), so a row committed with
its item is never taken for one without.

The new items go through the outbox, like every other: the relay publishes them. The
``delivery.send`` queue is declared first, so they are routed even if no worker of this
release has started yet (the API's relay may publish them before one does).
Idempotent: an item written here is itself a ``delivery.send_requested`` row of the outbox,
so a second run finds those messages covered and writes nothing (and its event ids are
derived from the messages it names, so two runs at once collide on the outbox's unique
event id rather than both writing). And never a second send: the sender reads only rows
still PENDING and unaccepted just before calling the vendor, and the vendor dedupes by
message id, exactly as for a redelivered item.

Published outbox rows are pruned after ``BEACON_RETENTION_DAYS``: a message whose item is
older than that and still unsent (its item parked in ``delivery.send.dlq``, say) is given
a new one, which is what it needs.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.delivery import queues
from services.delivery.domain import events as ev
from services.delivery.settings import SERVICE, DeliverySettings
from services.delivery.store import log as log_store
from services.delivery.store.tables import outbox as outbox_table
from shared import outbox
from shared.db import make_engine, unit_of_work
from shared.envelope import Envelope, new_event
from shared.logging import configure_logging, get_logger
from shared.runtime import Runtime
from shared.topology import declare_exchange, declare_queue, queues_to_keep

log = get_logger(__name__)

# Never change: a requeued item's event id derives from it and the message ids it names.
REQUEUE_IDS = uuid.UUID("6f4b2a0e-93c1-4d7e-8a55-1e2f3c4d5b60")
_SCAN = 500  # outbox rows read per query


@dataclass
class Requeued:
    messages: dict[str, int] = field(default_factory=dict)  # per campaign
    items: int = 0

    @property
    def total(self) -> int:
        return sum(self.messages.values())


async def _covered(conn: AsyncConnection, candidates: set[str]) -> set[str]:
    """Those of ``candidates`` some ``delivery.send_requested`` event of the outbox names."""
    covered: set[str] = set()
    after = 0
    while True:
        rows = (
            await conn.execute(
                select(outbox_table.c.id, outbox_table.c.body)
                .where(outbox_table.c.type == ev.SEND_REQUESTED, outbox_table.c.id > after)
                .order_by(outbox_table.c.id)
                .limit(_SCAN)
            )
        ).all()
        for row in rows:
            payload = orjson.loads(row.body).get("payload") or {}
            covered.update(m for m in payload.get("message_ids") or () if m in candidates)
        if len(rows) < _SCAN:
            return covered
        after = rows[-1].id


def _items(campaign_id: str, message_ids: Sequence[str], chunk: int) -> list[Envelope]:
    items = []
    for start in range(0, len(message_ids), chunk):
        ids = list(message_ids[start : start + chunk])
        event_id = uuid.uuid5(REQUEUE_IDS, f"{campaign_id}:" + ",".join(ids))
        payload = {"campaign_id": campaign_id, "message_ids": ids}
        items.append(new_event(ev.SEND_REQUESTED, payload, ev.PRODUCER, event_id=event_id))
    return items


async def requeue(engine: AsyncEngine, chunk: int) -> Requeued:
    """Write a work item for every PENDING row that has none; what was requeued."""
    async with unit_of_work(engine) as conn:
        # Rows first, then the outbox: a row seen here was committed with its item, which
        # the later read sees too.
        unsent = await log_store.unsent_of_active_campaigns(conn)
        covered = await _covered(conn, {m for _, m in unsent}) if unsent else set()
    stranded: dict[str, list[str]] = {}
    for campaign_id, message_id in unsent:
        if message_id not in covered:
            stranded.setdefault(campaign_id, []).append(message_id)
    done = Requeued()
    items = [e for cid, ids in sorted(stranded.items()) for e in _items(cid, ids, chunk)]
    if items:
        async with unit_of_work(engine) as conn:
            await outbox.add(conn, outbox_table, items)
    done.items = len(items)
    done.messages = {cid: len(ids) for cid, ids in sorted(stranded.items())}
    log.info("requeued", messages=done.total, items=done.items, campaigns=len(done.messages))
    return done


async def declare_work_queue(settings: DeliverySettings) -> None:
    """Declare ``delivery.send`` and its binding (idempotent), as the worker does at start.

    A release before the work queue had no such queue, and the API's relay may publish the
    new items before a new worker has ever started: unrouted, they would be dropped."""
    runtime = Runtime(SERVICE, settings)
    try:
        keep = await queues_to_keep(settings, [queues.SEND])
        await runtime.broker.connect()
        await declare_exchange(runtime.broker, settings, SERVICE)
        await declare_queue(runtime.broker, settings, queues.SEND, keep=keep)
    finally:
        await runtime.broker.stop()
        await runtime.engine.dispose()


def _print(value: dict[str, Any]) -> None:
    print(orjson.dumps(value).decode(), flush=True)


async def _run(settings: DeliverySettings) -> int:
    engine = make_engine(settings.mysql_url, settings.schema_name(SERVICE), pool_size=2)
    try:
        await declare_work_queue(settings)
        done = await requeue(engine, settings.send_chunk)
    except Exception as error:
        log.error("requeue_failed", error=str(error))
        _print({"error": str(error)})
        return 1
    finally:
        await engine.dispose()
    for campaign_id, count in done.messages.items():
        _print({"campaign_id": campaign_id, "requeued": count})
    _print({"campaigns": len(done.messages), "requeued": done.total, "work_items": done.items})
    return 0


def main(argv: Sequence[str], settings: DeliverySettings) -> int:
    """Exit status 0 when every stranded row has a work item now (none found included)."""
    parser = argparse.ArgumentParser(
        prog="python -m services.delivery requeue",
        description="Give a work item to every PENDING message that has none.",
    )
    parser.parse_args(argv)
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    return asyncio.run(_run(settings))
