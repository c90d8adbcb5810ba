"""Ingest's persistence consumer: store what the API accepted, emit what was stored.

Queue ``ingest.persistence`` takes ``customer.submitted`` and ``order.submitted``; each event
is applied in one transaction with its inbox claim and its outgoing events (see
``shared.consumer``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain import events
from services.ingest.store import customers, orders
from shared.consumer import Handler
from shared.envelope import Envelope
from shared.topology import Binding, QueueSpec

# Bounded: while the worker cannot keep up (or the database is away) the API accepts
# into the queue up to max_queue_length messages, then answers 503 with Retry-After.
PERSISTENCE = QueueSpec(
    "ingest.persistence",
    (Binding("ingest", (events.CUSTOMER_SUBMITTED, events.ORDER_SUBMITTED)),),
    bounded=True,
)


async def store_customers(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
    stored = await customers.upsert(conn, events.submitted_customers(envelope))
    return [events.customers_upserted(stored)]


async def store_orders(conn: AsyncConnection, envelope: Envelope) -> list[Envelope]:
    fresh = await orders.record_new(conn, events.submitted_order_rows(envelope))
    return [events.orders_recorded(fresh)] if fresh else []


HANDLERS: dict[tuple[str, int], Handler] = {
    (events.CUSTOMER_SUBMITTED, 1): store_customers,
    (events.ORDER_SUBMITTED, 1): store_orders,
}
