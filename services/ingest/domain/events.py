"""The events ingest publishes (ARCHITECTURE.md: beacon.ingest) and their payloads.

``*.submitted`` carries what the API accepted, one event per request (so a request is
accepted or not as a whole); ``customer.upserted`` and ``order.recorded`` carry what was
stored, in batches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
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
# What the API writes (models.Order dumped as JSON): ids of 1-64 characters and UTC times
# within shared.validation's years (amounts: _amount_fits).
_ID = re.compile(r"\S(?:.{0,62}\S)?", re.DOTALL)
_ORDER_FORMS = {
    "order_id": _ID,
    "customer_id": _ID,
    "ordered_at": re.compile(r"(?:19\d\d|2[01]\d\d)-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z"),
}
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

    Only this service's API produces ``order.submitted``, so the rows are not validated by
    pydantic a second time (that was an eighth of the worker). But the store inserts with
    ``INSERT IGNORE``, which turns MariaDB's data errors into silent truncation, so every
    value is checked against the form the API writes (a few regular expressions, cheap): a
    foreign message is refused whole, never stored corrupted.
    """
    rows = envelope.payload["orders"]
    if not isinstance(rows, list):
        raise ValueError("order.submitted payload is not a list of orders")
    for index, row in enumerate(rows):
        if not (isinstance(row, dict) and _ORDER_KEYS <= row.keys()):
            raise ValueError(f"orders[{index}] is not an order")
        for key, pattern in _ORDER_FORMS.items():
            value = row[key]
            if not (isinstance(value, str) and pattern.fullmatch(value)):
                raise ValueError(
                    f"orders[{index}].{key} is not as the API writes it: {value!r:.80}"
                )
        if not _amount_fits(row["amount"]):
            raise ValueError(f"orders[{index}].amount is not an amount: {row['amount']!r:.80}")
    return rows


def _amount_fits(value: object) -> bool:
    """DECIMAL(14, 2) and not negative, in any form Decimal reads ('1E+3' included)."""
    if not isinstance(value, str):
        return False
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return False
    return amount.is_finite() and 0 <= amount < 10**12 and amount == round(amount, 2)


def customers_upserted(rows: Iterable[dict[str, Any]]) -> Envelope:
    """Each row: the stored customer and its ``version`` (newer wins downstream)."""
    return new_event(CUSTOMER_UPSERTED, {"customers": list(rows)}, PRODUCER)


def orders_recorded(rows: list[dict[str, Any]]) -> Envelope:
    """The orders stored now, in the form they were submitted."""
    return new_event(ORDER_RECORDED, {"orders": rows}, PRODUCER)
