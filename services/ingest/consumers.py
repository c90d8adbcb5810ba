"""Ingest's persistence consumer: store what the API accepted, emit what was stored.

Queue ``ingest.persistence`` takes ``customer.submitted`` and ``order.submitted``. It is
consumed in batches (``shared.batch_consumer``): the customers of every event in a batch
go into one multi-row upsert, the orders into one multi-row insert, with the events'
inbox claims and the outgoing events in the same transaction. A shop posting one order
at a time thus costs a share of a commit per order, not a commit each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain import events
from services.ingest.store import customers, orders
from shared.batch_consumer import BatchHandler
from shared.envelope import Envelope
from shared.topology import Binding, QueueSpec

# Bounded: while the worker cannot keep up (or the database is away) the API accepts
# into the queue up to max_queue_length messages, then answers 503 with Retry-After.
PERSISTENCE = QueueSpec(
    "ingest.persistence",
    (Binding("ingest", (events.CUSTOMER_SUBMITTED, events.ORDER_SUBMITTED)),),
    bounded=True,
)
ANNOUNCE_CHUNK = 1000  # items per outgoing event, as the contract's batches


def _chunks(rows: Sequence[Any]) -> list[Sequence[Any]]:
    return [rows[i : i + ANNOUNCE_CHUNK] for i in range(0, len(rows), ANNOUNCE_CHUNK)]


async def store_customers(conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
    submitted = [c for envelope in envelopes for c in events.submitted_customers(envelope)]
    stored = await customers.upsert(conn, submitted)
    return [events.customers_upserted(chunk) for chunk in _chunks(stored)]


async def store_orders(conn: AsyncConnection, envelopes: list[Envelope]) -> list[Envelope]:
    rows = [row for envelope in envelopes for row in events.submitted_order_rows(envelope)]
    fresh = await orders.record_new(conn, rows)
    return [events.orders_recorded(list(chunk)) for chunk in _chunks(fresh)]


def items_in(envelope: Envelope) -> int:
    """How many customers or orders a message carries (what a batch is limited by)."""
    items = envelope.payload.get("orders", envelope.payload.get("customers"))
    return len(items) if isinstance(items, list) else 1


HANDLERS: dict[tuple[str, int], BatchHandler] = {
    (events.CUSTOMER_SUBMITTED, 1): store_customers,
    (events.ORDER_SUBMITTED, 1): store_orders,
}
