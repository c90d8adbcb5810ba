"""The events ingest publishes (ARCHITECTURE.md: beacon.ingest) and their payloads.

``*.submitted`` carries what the API accepted, one event per request (so a request is
accepted or not as a whole), with only the fields each item sent (a customer's field left
out keeps what is stored); ``customer.upserted``, ``customer.merged`` and
``order.recorded`` carry what was stored, in batches; ``customer.erase_requested`` and
``import.undo_requested`` are the API's commands to the worker.
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
    CUSTOMER_ERASE_REQUESTED,
    CUSTOMER_ERASED,
    CUSTOMER_MERGED,
    CUSTOMER_SUBMITTED,
    CUSTOMER_UPSERTED,
    IMPORT_UNDO_REQUESTED,
    ORDER_RECORDED,
    ORDER_SUBMITTED,
    CustomersPayload,
    OrdersPayload,
)
from shared.spend import STATUSES

PRODUCER = "ingest"

_ORDER_KEYS = frozenset({"order_id", "amount", "ordered_at"})
# What the API writes (models.Order dumped as JSON): ids of 1-64 characters and UTC times
# within shared.validation's years (amounts: _amount_fits).
_ID = re.compile(r"\S(?:.{0,62}\S)?", re.DOTALL)
_TIME = re.compile(r"(?:19\d\d|2[01]\d\d)-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")
_ORDER_FORMS = {"order_id": _ID, "ordered_at": _TIME}
_OPTIONAL_FORMS = {
    "customer_id": _ID,
    "updated_at": _TIME,
    "customer_email": re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.DOTALL),
    "currency": re.compile(r"[A-Z]{3}"),
}
_STATUSES = frozenset(STATUSES)
CUSTOMERS = TypeAdapter(list[Customer])
ORDERS = TypeAdapter(list[Order])


def submitted_by(actor: dict[str, Any] | None, items: int) -> list[dict[str, Any]] | None:
    """The ``actors`` of an event whose ``items`` rows one caller sent (None: unknown)."""
    if actor is None or not items:
        return None
    return [{"sub": actor["sub"], "email": actor.get("email"), "items": items}]


def customers_submitted(
    customers: Sequence[Customer],
    import_id: str | None = None,
    actors: list[dict[str, Any]] | None = None,
) -> Envelope:
    """``actors``: who sent the rows, in order (``shared.events.SubmittedBy``; audit)."""
    payload: dict[str, Any] = {
        "customers": CUSTOMERS.dump_python(list(customers), mode="json", exclude_unset=True)
    }
    if import_id is not None:
        payload["import_id"] = import_id
    if actors:
        payload["actors"] = actors
    return new_event(CUSTOMER_SUBMITTED, payload, PRODUCER)


def orders_submitted(
    orders: Sequence[Order],
    import_id: str | None = None,
    actors: list[dict[str, Any]] | None = None,
) -> Envelope:
    payload: dict[str, Any] = {
        "orders": ORDERS.dump_python(list(orders), mode="json", exclude_none=True)
    }
    if import_id is not None:
        payload["import_id"] = import_id
    if actors:
        payload["actors"] = actors
    return new_event(ORDER_SUBMITTED, payload, PRODUCER)


def import_id_of(payload: CustomersPayload | OrdersPayload) -> int | None:
    return int(payload.import_id) if payload.import_id is not None else None


def submitted_customers(payload: CustomersPayload) -> list[Customer]:
    """The customers as sent: each model's ``model_fields_set`` is what its item sent."""
    return CUSTOMERS.validate_python(payload.customers)


def submitted_order_rows(payload: OrdersPayload) -> list[dict[str, Any]]:
    """The orders as the API wrote them: validated, UTC ``Z`` times, amounts as strings.

    Only this service's API produces ``order.submitted``, so the rows are not validated by
    pydantic a second time (that was an eighth of the worker). But the store inserts with
    ``INSERT IGNORE``, which turns MariaDB's data errors into silent truncation, so every
    value is checked against the form the API writes (a few regular expressions, cheap): a
    foreign message is refused whole, never stored corrupted.
    """
    rows = payload.orders
    order_id, ordered_at = _ORDER_FORMS["order_id"].fullmatch, _ORDER_FORMS["ordered_at"].fullmatch
    customer_id = _OPTIONAL_FORMS["customer_id"].fullmatch
    for index, row in enumerate(rows):
        if not (isinstance(row, dict) and _ORDER_KEYS <= row.keys()):
            raise ValueError(f"orders[{index}] is not an order")
        # The usual order, checked inline: two ids, a time, an amount, a status.
        oid, at, cid = row["order_id"], row["ordered_at"], row.get("customer_id")
        if not (isinstance(oid, str) and order_id(oid)):
            _check_form(index, "order_id", oid, _ORDER_FORMS["order_id"])
        if not (isinstance(at, str) and ordered_at(at)):
            _check_form(index, "ordered_at", at, _ORDER_FORMS["ordered_at"])
        if cid is not None and not (isinstance(cid, str) and customer_id(cid)):
            _check_form(index, "customer_id", cid, _OPTIONAL_FORMS["customer_id"])
        if not _amount_fits(row["amount"]):
            raise ValueError(f"orders[{index}].amount is not an amount: {row['amount']!r:.80}")
        if row.get("status", "paid") not in _STATUSES:
            raise ValueError(f"orders[{index}].status is not a status: {row['status']!r:.40}")
        if len(row) > _USUAL_KEYS or cid is None:
            _check_extras(index, row)
    return rows


# order_id, customer_id, amount, status, ordered_at: what a plain order carries.
_USUAL_KEYS = 5


def _check_extras(index: int, row: dict[str, Any]) -> None:
    """The optional fields of an order that has them (an email, a refund, lines...)."""
    for key in ("updated_at", "customer_email", "currency"):
        if key in row:
            _check_form(index, key, row[key], _OPTIONAL_FORMS[key])
    if "customer_id" not in row and "customer_email" not in row:
        raise ValueError(f"orders[{index}] names no customer")
    if len(row.get("customer_email", "")) > 254 or len(row.get("customer_name") or "") > 200:
        raise ValueError(f"orders[{index}] has a customer_email or customer_name too long")
    if "refunded_amount" in row and not _amount_fits(row["refunded_amount"]):
        raise ValueError(f"orders[{index}].refunded_amount is not an amount")
    if not isinstance(row.get("line_items", []), list):
        raise ValueError(f"orders[{index}].line_items is not a list")


def _check_form(index: int, key: str, value: Any, pattern: re.Pattern[str]) -> None:
    if not (isinstance(value, str) and pattern.fullmatch(value)):
        raise ValueError(f"orders[{index}].{key} is not as the API writes it: {value!r:.80}")


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
    """The orders stored or changed now, as stored, each with its ``version``."""
    return new_event(ORDER_RECORDED, {"orders": rows}, PRODUCER)


def customers_merged(merges: Sequence[tuple[str, str]]) -> Envelope:
    return new_event(
        CUSTOMER_MERGED, {"merges": [{"alias": a, "into": b} for a, b in merges]}, PRODUCER
    )


def erase_requested(customer_id: str, actor: dict[str, Any] | None) -> Envelope:
    payload: dict[str, Any] = {"customer_id": customer_id}
    if actor is not None:
        payload["actor"] = actor
    return new_event(CUSTOMER_ERASE_REQUESTED, payload, PRODUCER)


def customer_erased(customer_ids: Sequence[str], tombstone_id: str) -> Envelope:
    return new_event(
        CUSTOMER_ERASED,
        {"customer_ids": list(customer_ids), "tombstone_id": tombstone_id},
        PRODUCER,
    )


def undo_requested(import_id: int, actor: dict[str, Any] | None = None) -> Envelope:
    payload: dict[str, Any] = {"import_id": str(import_id)}
    if actor is not None:
        payload["actor"] = actor
    return new_event(IMPORT_UNDO_REQUESTED, payload, PRODUCER)
