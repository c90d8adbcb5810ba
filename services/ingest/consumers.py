"""Ingest's persistence consumer: store what the API accepted, emit what was stored.

Queue ``ingest.persistence`` takes ``customer.submitted`` and ``order.submitted``, and the
API's two commands, ``import.undo_requested`` and ``customer.erase_requested``. It is
consumed in batches (``shared.batch_consumer``): the customers of every event in a batch
are applied together, then the orders, with the events' inbox claims and the outgoing
events in the same transaction. A shop posting one order at a time thus costs a share of a
commit per order, not a commit each. The use cases are in ``service.py``.

Audit (issue 25): each stored ``*.submitted`` event and each erase or undo is logged once
(``ingest_write``, ``ingest_erase``, ``ingest_undo``) with who sent it, per event, not per
row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest import service
from services.ingest.domain import events
from shared.batch_consumer import BatchHandler
from shared.envelope import Envelope, Received
from shared.events import (
    CustomersSubmitted,
    EraseRequested,
    ImportUndoRequested,
    OrdersSubmitted,
    rows_in,
)
from shared.logging import get_logger
from shared.topology import Binding, QueueSpec

# Bounded: while the worker cannot keep up (or the database is away) the API accepts
# into the queue up to max_queue_length messages, then answers 503 with Retry-After.
PERSISTENCE = QueueSpec(
    "ingest.persistence",
    (
        Binding(
            "ingest",
            (
                events.CUSTOMER_SUBMITTED,
                events.ORDER_SUBMITTED,
                events.IMPORT_UNDO_REQUESTED,
                events.CUSTOMER_ERASE_REQUESTED,
            ),
        ),
    ),
    bounded=True,
)


log = get_logger(__name__)


def audit_writes(
    submitted: list[Received[CustomersSubmitted]] | list[Received[OrdersSubmitted]],
) -> None:
    """One ``ingest_write`` line per stored event: who sent how many of its rows."""
    for event in submitted:
        payload = event.payload
        log.info(
            "ingest_write",
            event_id=str(event.envelope.event_id),
            type=event.envelope.type,
            rows=items_in(event),
            import_id=payload.import_id,
            actors=[a.model_dump() for a in payload.actors] if payload.actors else None,
        )


def items_in(event: Received[Any]) -> int:
    """How many customers or orders a message carries (what a batch is limited by)."""
    return rows_in(event.payload)


def handlers(pepper: bytes) -> dict[tuple[str, int], BatchHandler]:
    """In this order within a batch: customers before the orders that may name them."""

    async def store_customers(
        conn: AsyncConnection, submitted: list[Received[CustomersSubmitted]]
    ) -> list[Envelope]:
        out = await service.store_customers(conn, [e.payload for e in submitted], pepper)
        audit_writes(submitted)
        return out

    async def store_orders(
        conn: AsyncConnection, submitted: list[Received[OrdersSubmitted]]
    ) -> list[Envelope]:
        out = await service.store_orders(conn, [e.payload for e in submitted], pepper)
        audit_writes(submitted)
        return out

    async def undo(
        conn: AsyncConnection, requests: list[Received[ImportUndoRequested]]
    ) -> list[Envelope]:
        out: list[Envelope] = []
        for import_id in sorted({int(e.payload.import_id) for e in requests}):
            out += await service.undo_step(conn, import_id)
        for e in requests:
            if e.payload.actor is not None:  # the API's request (later steps name no one)
                actor = e.payload.actor.model_dump()
                log.info("ingest_undo", import_id=e.payload.import_id, actor=actor)
        return out

    async def erase(
        conn: AsyncConnection, requests: list[Received[EraseRequested]]
    ) -> list[Envelope]:
        out: list[Envelope] = []
        for request in requests:
            out += await service.erase(conn, request.payload.customer_id, pepper)
            actor = request.payload.actor.model_dump() if request.payload.actor else None
            # The id only (no personal data): the erased person's id becomes a tombstone.
            log.info("ingest_erase", event_id=str(request.envelope.event_id), actor=actor)
        return out

    return {
        (events.CUSTOMER_SUBMITTED, 1): store_customers,
        (events.ORDER_SUBMITTED, 1): store_orders,
        (events.IMPORT_UNDO_REQUESTED, 1): undo,
        (events.CUSTOMER_ERASE_REQUESTED, 1): erase,
    }
