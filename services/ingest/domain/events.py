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
from shared.events import (  # noqa: F401 (re-exported for the service)
    CUSTOMER_SUBMITTED,
    CUSTOMER_UPSERTED,
    ORDER_RECORDED,
    ORDER_SUBMITTED,
)

PRODUCER = "ingest"

_ORDER_KEYS = frozenset({"order_id", "customer_id", "amount", "ordered_at"})
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


def submitted_order_rows(envelope: Envelope) -> list[dict[str, Any]]:
    """The orders as the API wrote them: validated, UTC ``Z`` times, amounts as strings.

    Only this service's API produces ``order.submitted``, so the rows are not validated a
    second time (that was an eighth of the worker); a shape check keeps a foreign message
    from being half applied.
    """
    rows = envelope.payload["orders"]
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and _ORDER_KEYS <= r.keys() for r in rows
    ):
        raise ValueError("order.submitted payload is not a list of orders")
    return rows


def customers_upserted(rows: Iterable[dict[str, Any]]) -> Envelope:
    """Each row: the stored customer and its ``version`` (newer wins downstream)."""
    return new_event(CUSTOMER_UPSERTED, {"customers": list(rows)}, PRODUCER)


def orders_recorded(rows: list[dict[str, Any]]) -> Envelope:
    """The orders stored now, in the form they were submitted."""
    return new_event(ORDER_RECORDED, {"orders": rows}, PRODUCER)
