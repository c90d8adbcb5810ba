"""The events ingest publishes (ARCHITECTURE.md: beacon.ingest) and their payloads.

``*.submitted`` carries what the API accepted, one event per request (so a request is
accepted or not as a whole); ``customer.upserted`` and ``order.recorded`` carry what was
stored, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import TypeAdapter

from services.ingest.domain.models import Customer, Order
from shared.envelope import Envelope, new_event

PRODUCER = "ingest"
CUSTOMER_SUBMITTED = "customer.submitted"
ORDER_SUBMITTED = "order.submitted"
CUSTOMER_UPSERTED = "customer.upserted"
ORDER_RECORDED = "order.recorded"

CUSTOMERS = TypeAdapter(list[Customer])
ORDERS = TypeAdapter(list[Order])


def customers_submitted(customers: Sequence[Customer]) -> Envelope:
    return new_event(
        CUSTOMER_SUBMITTED,
        {"customers": CUSTOMERS.dump_python(list(customers), mode="json")},
        PRODUCER,
    )


def orders_submitted(orders: Sequence[Order]) -> Envelope:
    return new_event(
        ORDER_SUBMITTED, {"orders": ORDERS.dump_python(list(orders), mode="json")}, PRODUCER
    )


def submitted_customers(envelope: Envelope) -> list[Customer]:
    return CUSTOMERS.validate_python(envelope.payload["customers"])


def submitted_orders(envelope: Envelope) -> list[Order]:
    return ORDERS.validate_python(envelope.payload["orders"])


def customers_upserted(rows: Iterable[dict[str, Any]]) -> Envelope:
    """Each row: the stored customer and its ``version`` (newer wins downstream)."""
    return new_event(CUSTOMER_UPSERTED, {"customers": list(rows)}, PRODUCER)


def orders_recorded(orders: Sequence[Order]) -> Envelope:
    return new_event(
        ORDER_RECORDED, {"orders": ORDERS.dump_python(list(orders), mode="json")}, PRODUCER
    )
