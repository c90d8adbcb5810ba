"""The generic preset: any CSV or JSON Lines file whose headers use the usual spellings
(``Order Total``, ``Customer Email``, ``First Name`` + ``Last Name``, ...) or are named with
``--map``. One row is one record; statuses are read from the API's words and common
synonyms (``Completed``, ``COD``, ``Canceled``); dates are detected from the values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from beacon_formats import values
from beacon_formats.columns import Layout, Matched
from beacon_formats.errors import Unreadable
from beacon_formats.presets.common import Context, Step, fill, finish, plan
from beacon_formats.record import Record
from beacon_formats.source import Row

_CONSENT = {
    "accepts_email_marketing": (
        "accepts email marketing",
        "accepts marketing",
        "email marketing",
        "email consent",
        "email opt in",
        "marketing opt in",
        "newsletter",
    ),
    "accepts_sms_marketing": (
        "accepts sms marketing",
        "sms marketing",
        "sms consent",
        "sms opt in",
    ),
    "accepts_whatsapp_marketing": (
        "accepts whatsapp marketing",
        "whatsapp marketing",
        "whatsapp consent",
        "whatsapp opt in",
    ),
    "consent_at": ("consent at", "consent date", "consented at", "opted in at"),
    "consent_source": ("consent source",),
}

CUSTOMERS = Layout(
    name="generic",
    kind="customers",
    spellings={
        "customer_id": (
            "customer id",
            "customer",
            "customer no",
            "customer number",
            "client id",
            "id",
            "user id",
            "buyer id",
        ),
        "name": ("name", "full name", "customer name", "client name"),
        "first_name": ("first name", "firstname", "given name"),
        "last_name": ("last name", "lastname", "surname"),
        "email": ("email", "e mail", "email address", "mail", "customer email"),
        "phone": (
            "phone",
            "phone number",
            "mobile",
            "mobile number",
            "telephone",
            "tel",
            "contact number",
            "default address phone",
        ),
        "city": ("city", "town", "default address city", "billing city", "shipping city"),
        "created_at": (
            "created at",
            "created",
            "created on",
            "signup date",
            "signed up",
            "date joined",
            "registered at",
            "registration date",
            "customer since",
        ),
        **_CONSENT,
    },
    required=(("customer_id", "email"),),
)

ORDERS = Layout(
    name="generic",
    kind="orders",
    spellings={
        "order_id": (
            "order id",
            "order",
            "order no",
            "order number",
            "order ref",
            "id",
            "transaction id",
            "invoice number",
        ),
        "customer_id": (
            "customer id",
            "customer",
            "customer no",
            "customer number",
            "client id",
            "user id",
            "buyer id",
        ),
        "customer_email": ("customer email", "email", "e mail", "email address", "billing email"),
        "customer_name": ("customer name", "billing name", "buyer name", "client name"),
        "amount": (
            "amount",
            "total",
            "order total",
            "grand total",
            "total amount",
            "order amount",
            "total price",
            "value",
            "net sales",
            "price",
        ),
        "status": ("status", "order status", "payment status", "financial status"),
        "refunded_amount": (
            "refunded amount",
            "refunded",
            "refund amount",
            "refunded total",
            "amount refunded",
            "refunds",
        ),
        "ordered_at": (
            "ordered at",
            "order date",
            "date",
            "created at",
            "created",
            "placed at",
            "paid at",
            "purchase date",
            "order time",
        ),
        "updated_at": ("updated at", "modified at", "last modified", "date modified", "updated"),
        "currency": ("currency", "order currency"),
        "line_items": ("line items",),
    },
    required=(("order_id",), ("customer_id", "customer_email"), ("amount",), ("ordered_at",)),
)

# The API's words and what shops and spreadsheets write for them (compared lower-case, with
# spaces and dashes as underscores).
STATUSES: dict[str, str] = {
    **{s: s for s in ("paid", "pending", "partially_refunded", "refunded", "voided", "failed")},
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "completed": "paid",
    "complete": "paid",
    "processing": "paid",
    "success": "paid",
    "successful": "paid",
    "captured": "paid",
    "settled": "paid",
    "on_hold": "pending",
    "unpaid": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "awaiting_payment": "pending",
    "cod": "pending",  # cash on delivery: placed, paid when delivered
    "cash_on_delivery": "pending",
    "partial_refund": "partially_refunded",
    "partially_refunded": "partially_refunded",
    "void": "voided",
    "declined": "failed",
    "expired": "failed",
}


def status(cell: Any) -> str | None:
    word = values.text(cell)
    if word is None:
        return None
    found = STATUSES.get(word.lower().replace(" ", "_").replace("-", "_"))
    if found is None:
        raise Unreadable(
            f"{word!r} is not an order status Beacon knows "
            "(paid, pending, partially_refunded, refunded, cancelled, voided, failed)"
        )
    return found


def layout(kind: str) -> Layout:
    return CUSTOMERS if kind == "customers" else ORDERS


def describe(kind: str, matched: Matched) -> dict[str, str]:
    found = {f: repr(matched.column(f)) for f in matched.index}
    if kind == "customers" and "name" not in found and "first_name" in found:
        found["name"] = found.pop("first_name") + " + " + found.pop("last_name", "''")
    found.pop("first_name", None)
    found.pop("last_name", None)
    return found


def records(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    """One record per row."""
    kind = ctx.kind
    names = [f for f in layout(kind).spellings if f not in ("first_name", "last_name")]
    steps: list[Step] = plan(ctx, matched, [f for f in names if f != "status"])
    status_index = matched.index.get("status")
    if status_index is not None:
        steps.append(("status", status_index, status, False))
    first_i, last_i = matched.index.get("first_name"), matched.index.get("last_name")
    join = kind == "customers" and "name" not in matched.index and first_i is not None
    for first, last, cells, raw, error in rows:
        if cells is None:
            yield Record(first, last, None, [("(row)", error or "unreadable")], [], [raw])
            continue
        item: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        warnings: list[tuple[str, str]] = []
        currency = fill(steps, cells, item, problems, warnings)
        if join:
            name = values.joined(
                cells[first_i] if first_i is not None and first_i < len(cells) else None,
                cells[last_i] if last_i is not None and last_i < len(cells) else None,
            )
            if name:
                item["name"] = name
        yield finish(kind, first, last, item, problems, warnings, [raw], currency)
