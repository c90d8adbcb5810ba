"""Shopify's customer export and order export, as Shopify writes them.

Customers (Admin > Customers > Export): ``Customer ID`` (written ``'7210448300003``, the
quote stripped), ``First Name`` + ``Last Name``, ``Email``, ``Phone`` (else ``Default
Address Phone``), ``Default Address City``, ``Accepts Email Marketing`` / ``Accepts SMS
Marketing`` (and a store's ``Accepts WhatsApp Marketing``) yes/no, consent source "shopify".

Orders (Admin > Orders > Export): one row per line item; the rows of one order share
``Name`` (``#1001``) and only the first carries the order (``Financial Status``, ``Total``,
...): later rows are line items, never errors. The amount is ``Total`` (never a line's
price); the status is ``Financial Status``, or ``cancelled`` when ``Cancelled at`` is set;
``Refunded Amount``; the customer is named by ``Email`` (no customer id in this export) and
``Billing Name``; the id is the ``Id`` column when present, else ``Name``. Times are
``2024-02-21 07:55:00 +0530``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from beacon_formats import values
from beacon_formats.columns import Layout, Matched
from beacon_formats.errors import Unreadable
from beacon_formats.presets.common import Context, cell, fill, finish, plan
from beacon_formats.presets.grouping import consecutive
from beacon_formats.record import Problem, Record
from beacon_formats.source import Row

SOURCE = "shopify"

CUSTOMERS = Layout(
    name="shopify",
    kind="customers",
    spellings={
        "customer_id": ("customer id",),
        "first_name": ("first name",),
        "last_name": ("last name",),
        "email": ("email",),
        "phone": ("phone",),
        "address_phone": ("default address phone",),
        "city": ("default address city", "city"),
        "created_at": ("created at",),
        "accepts_email_marketing": ("accepts email marketing", "accepts marketing"),
        "accepts_sms_marketing": ("accepts sms marketing",),
        "accepts_whatsapp_marketing": ("accepts whatsapp marketing",),
    },
    required=(("customer_id", "email"),),
)

ORDERS = Layout(
    name="shopify",
    kind="orders",
    spellings={
        "order_name": ("name",),
        "order_id": ("id",),
        "customer_email": ("email",),
        "financial_status": ("financial status",),
        "amount": ("total",),
        "refunded_amount": ("refunded amount",),
        "ordered_at": ("created at",),
        "cancelled_at": ("cancelled at",),
        "currency": ("currency",),
        "customer_name": ("billing name",),
        "shipping_name": ("shipping name",),
        "line_quantity": ("lineitem quantity",),
        "line_name": ("lineitem name",),
        "line_price": ("lineitem price",),
        "line_sku": ("lineitem sku",),
    },
    required=(("order_name",), ("financial_status",), ("amount",), ("ordered_at",)),
)

# Shopify's financial statuses (Transporter's documented set) in the API's words.
FINANCIAL: dict[str, str] = {
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "unpaid": "pending",
    "expired": "failed",
}
_CONSENT = ("accepts_email_marketing", "accepts_sms_marketing", "accepts_whatsapp_marketing")


def layout(kind: str) -> Layout:
    return CUSTOMERS if kind == "customers" else ORDERS


def describe(kind: str, matched: Matched) -> dict[str, str]:
    col = matched.column
    found: dict[str, str] = {}
    if kind == "customers":
        for f in ("customer_id", "email", "city", "created_at", *_CONSENT):
            if f in matched.index:
                found[f] = repr(col(f))
        if "first_name" in matched.index or "last_name" in matched.index:
            found["name"] = " + ".join(
                repr(col(f)) for f in ("first_name", "last_name") if f in matched.index
            )
        phones = [repr(col(f)) for f in ("phone", "address_phone") if f in matched.index]
        if phones:
            found["phone"] = " else ".join(phones)
        if any(f in matched.index for f in _CONSENT):
            found["consent_source"] = "'shopify'"
        return found
    found["order_id"] = " else ".join(
        repr(col(f)) for f in ("order_id", "order_name") if f in matched.index
    )
    for f in ("customer_email", "customer_name", "amount", "refunded_amount", "ordered_at"):
        if f in matched.index:
            found[f] = repr(col(f))
    found["status"] = " + ".join(
        repr(col(f)) for f in ("financial_status", "cancelled_at") if f in matched.index
    )
    if "currency" in matched.index:
        found["currency"] = repr(col("currency"))
    if "line_name" in matched.index:
        found["line_items"] = "'Lineitem name/sku/quantity/price' of every row of the order"
    return found


def records(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    if ctx.kind == "customers":
        return _customers(ctx, matched, rows)
    return _orders(ctx, matched, rows)


def _customers(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    steps = plan(ctx, matched, ("customer_id", "email", "city", "created_at", *_CONSENT))
    for first, last, cells, raw, error in rows:
        if cells is None:
            yield Record(first, last, None, [("(row)", error or "unreadable")], [], [raw])
            continue
        item: dict[str, Any] = {}
        problems: list[Problem] = []
        warnings: list[Problem] = []
        fill(steps, cells, item, problems, warnings)
        name = values.joined(cell(cells, matched, "first_name"), cell(cells, matched, "last_name"))
        if name:
            item["name"] = name
        phone = values.text(cell(cells, matched, "phone")) or values.text(
            cell(cells, matched, "address_phone")
        )
        if phone:
            item["phone"] = phone
        if any(f in item for f in _CONSENT):
            item["consent_source"] = SOURCE
        yield finish("customers", first, last, item, problems, warnings, [raw])


def _orders(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    index = matched.index
    order_steps = plan(
        ctx,
        matched,
        ("customer_email", "customer_name", "amount", "refunded_amount", "ordered_at", "currency"),
    )
    status_i, amount_i = index["financial_status"], index["amount"]

    def opens_order(cells: list[Any]) -> bool:
        # The first row of an order carries its financial status and total; line-item rows
        # leave them blank.
        return bool(
            (status_i < len(cells) and cells[status_i])
            or (amount_i < len(cells) and cells[amount_i])
        )

    for group in consecutive(rows, index["order_name"], opens_order):
        first, _, cells, raw, error = group[0]
        last = group[-1][1]
        raws = [row[3] for row in group]
        if cells is None:
            yield Record(first, last, None, [("(row)", error or "unreadable")], [], raws)
            continue
        item: dict[str, Any] = {}
        problems: list[Problem] = []
        warnings: list[Problem] = []
        name = values.text(cell(cells, matched, "order_name"))
        if not opens_order(cells):
            problems.append(
                (
                    "order",
                    f"line-item row(s) of {name or 'an order'} without the order's first row "
                    "(was the file sorted or cut?)",
                )
            )
            yield Record(first, last, None, problems, warnings, raws)
            continue
        order_id = values.text(cell(cells, matched, "order_id")) or name
        if order_id:
            item["order_id"] = order_id
        currency = fill(order_steps, cells, item, problems, warnings)
        if "customer_name" not in item:
            shipping = values.text(cell(cells, matched, "shipping_name"))
            if shipping:
                item["customer_name"] = shipping
        if "customer_email" not in item:
            problems.append(
                (
                    "customer_email",
                    "the order has no Email, so it names no customer (Beacon keeps people "
                    "by email)",
                )
            )
        try:
            item["status"] = _status(
                cell(cells, matched, "financial_status"), cell(cells, matched, "cancelled_at")
            )
        except Unreadable as problem:
            problems.append(("status", problem.reason))
        lines = _line_items(ctx, matched, group, warnings)
        if lines:
            item["line_items"] = lines
        yield finish("orders", first, last, item, problems, warnings, raws, currency)


def _status(financial: Any, cancelled_at: Any) -> str:
    if values.text(cancelled_at):
        return "cancelled"
    word = values.text(financial)
    if word is None:
        raise Unreadable("no Financial Status")
    found = FINANCIAL.get(word.lower().replace(" ", "_"))
    if found is None:
        raise Unreadable(f"{word!r} is not a Shopify financial status Beacon knows")
    return found


def _line_items(
    ctx: Context, matched: Matched, group: list[Row], warnings: list[Problem]
) -> list[dict[str, Any]]:
    if "line_name" not in matched.index:
        return []
    lines = []
    for number, (_, _, cells, _, _) in enumerate(group):
        if cells is None:
            continue
        name = values.text(cell(cells, matched, "line_name"))
        if name is None:
            continue
        line: dict[str, Any] = {"name": name}
        try:
            sku = values.text(cell(cells, matched, "line_sku"))
            if sku:
                line["sku"] = sku
            quantity = values.whole_number(cell(cells, matched, "line_quantity"))
            if quantity is not None:
                line["quantity"] = quantity
            price = ctx.money(cell(cells, matched, "line_price"))
            if price is not None:
                line["price"] = price[0]
        except Unreadable as error:
            warnings.append((f"line_items[{number}]", f"dropped: {error.reason}"))
            continue
        lines.append(line)
    return lines
