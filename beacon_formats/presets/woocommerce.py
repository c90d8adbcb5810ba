"""WooCommerce's customer report and order export, as WooCommerce writes them.

Customers (Analytics > Customers > Download): no id, so the email is the key (the API
makes the trimmed, lower-cased email the id); ``Name``, ``Email``, ``City``, ``Date
registered`` (``Sign Up`` when the report is emailed), times without an offset.

Orders (the Customer / Order / Coupon Export extension's CSV, one row per line item, the
order's columns repeated on each): ``order_id``; ``customer_id`` 0 is a guest, so no
customer id; ``billing_email`` names the customer, ``billing_first_name`` +
``billing_last_name`` their name; ``order_total``, ``refunded_total``; ``status``
completed / processing are paid (partially refunded or refunded when ``refunded_total``
says so), on-hold / pending pending, refunded, cancelled, failed; ``date`` is the shop's
wall time (read in ``timezone``); ``item_*`` columns are the line items (the one-row-per-
order layout's ``line_items`` column is read too).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from beacon_formats import values
from beacon_formats.columns import Layout, Matched
from beacon_formats.errors import Unreadable
from beacon_formats.presets.common import Context, cell, fill, finish, plan
from beacon_formats.presets.grouping import consecutive
from beacon_formats.record import Problem, Record
from beacon_formats.source import Row

CUSTOMERS = Layout(
    name="woocommerce",
    kind="customers",
    spellings={
        "name": ("name",),
        "email": ("email",),
        "city": ("city",),
        "created_at": ("date registered", "sign up", "registered"),
    },
    required=(("email",),),
)

ORDERS = Layout(
    name="woocommerce",
    kind="orders",
    spellings={
        "order_id": ("order id",),
        "ordered_at": ("date", "order date"),
        "order_status": ("status",),
        "amount": ("order total",),
        "refunded_amount": ("refunded total",),
        "currency": ("order currency",),
        "customer_id": ("customer id",),
        "customer_email": ("billing email",),
        "first_name": ("billing first name",),
        "last_name": ("billing last name",),
        "item_name": ("item name",),
        "item_sku": ("item sku",),
        "item_quantity": ("item quantity",),
        "item_subtotal": ("item subtotal",),
        "item_subtotal_tax": ("item subtotal tax",),
        "line_items": ("line items",),
    },
    required=(
        ("order_id",),
        ("order_status",),
        ("amount",),
        ("ordered_at",),
        ("customer_email", "customer_id"),
    ),
)

STATUSES: dict[str, str] = {
    "completed": "paid",
    "processing": "paid",
    "on-hold": "pending",
    "pending": "pending",
    "refunded": "refunded",
    "cancelled": "cancelled",
    "failed": "failed",
}
_CENT = Decimal("0.01")


def layout(kind: str) -> Layout:
    return CUSTOMERS if kind == "customers" else ORDERS


def describe(kind: str, matched: Matched) -> dict[str, str]:
    col = matched.column
    found: dict[str, str]
    if kind == "customers":
        found = {
            f: repr(col(f)) for f in ("email", "name", "city", "created_at") if f in matched.index
        }
        found["customer_id"] = "none (the email is the id)"
        return found
    found = {
        f: repr(col(f))
        for f in ("order_id", "customer_email", "amount", "refunded_amount", "ordered_at")
        if f in matched.index
    }
    if "customer_id" in matched.index:
        found["customer_id"] = f"{col('customer_id')!r} (0: a guest, none)"
    found["status"] = f"{col('order_status')!r} (+ refunded_total: partially refunded)"
    if "first_name" in matched.index:
        found["customer_name"] = " + ".join(
            repr(col(f)) for f in ("first_name", "last_name") if f in matched.index
        )
    if "currency" in matched.index:
        found["currency"] = repr(col("currency"))
    if "item_name" in matched.index:
        found["line_items"] = "'item_name/item_sku/item_quantity' of every row of the order"
    elif "line_items" in matched.index:
        found["line_items"] = repr(col("line_items"))
    return found


def records(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    if ctx.kind == "customers":
        return _customers(ctx, matched, rows)
    return _orders(ctx, matched, rows)


def _customers(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    steps = plan(ctx, matched, ("email", "name", "city", "created_at"))
    for first, last, cells, raw, error in rows:
        if cells is None:
            yield Record(first, last, None, [("(row)", error or "unreadable")], [], [raw])
            continue
        item: dict[str, Any] = {}
        problems: list[Problem] = []
        warnings: list[Problem] = []
        fill(steps, cells, item, problems, warnings)
        yield finish("customers", first, last, item, problems, warnings, [raw])


def _orders(ctx: Context, matched: Matched, rows: Iterator[Row]) -> Iterator[Record]:
    steps = plan(
        ctx,
        matched,
        ("order_id", "customer_email", "amount", "refunded_amount", "ordered_at", "currency"),
    )
    for group in consecutive(rows, matched.index["order_id"]):
        first, _, cells, raw, error = group[0]
        last = group[-1][1]
        raws = [row[3] for row in group]
        if cells is None:
            yield Record(first, last, None, [("(row)", error or "unreadable")], [], raws)
            continue
        item: dict[str, Any] = {}
        problems: list[Problem] = []
        warnings: list[Problem] = []
        currency = fill(steps, cells, item, problems, warnings)
        customer = values.text(cell(cells, matched, "customer_id"))
        if customer and customer != "0":  # 0: a guest checkout, no account
            item["customer_id"] = customer
        name = values.joined(cell(cells, matched, "first_name"), cell(cells, matched, "last_name"))
        if name:
            item["customer_name"] = name
        try:
            item["status"] = _status(cell(cells, matched, "order_status"), item)
        except Unreadable as problem:
            problems.append(("status", problem.reason))
        lines = _line_items(ctx, matched, group, warnings)
        if lines:
            item["line_items"] = lines
        yield finish("orders", first, last, item, problems, warnings, raws, currency)


def _status(cell_: Any, item: dict[str, Any]) -> str:
    word = values.text(cell_)
    if word is None:
        raise Unreadable("no status")
    found = STATUSES.get(word.lower().removeprefix("wc-"))
    if found is None:
        raise Unreadable(f"{word!r} is not a WooCommerce order status Beacon knows")
    if found == "paid":  # a completed order refunded in part or whole says so in refunded_total
        try:
            refunded = Decimal(item.get("refunded_amount") or 0)
            amount = Decimal(item.get("amount") or 0)
        except InvalidOperation:
            return found
        if refunded > 0:
            return "refunded" if refunded >= amount else "partially_refunded"
    return found


def _line_items(
    ctx: Context, matched: Matched, group: list[Row], warnings: list[Problem]
) -> list[dict[str, Any]]:
    if "item_name" in matched.index:
        return [
            line
            for number, row in enumerate(group)
            if row[2] is not None
            and (line := _item_row(ctx, matched, row[2], number, warnings)) is not None
        ]
    if "line_items" in matched.index and group[0][2] is not None:
        return _item_column(cell(group[0][2], matched, "line_items"), warnings)
    return []


def _item_row(
    ctx: Context, matched: Matched, cells: list[Any], number: int, warnings: list[Problem]
) -> dict[str, Any] | None:
    name = values.text(cell(cells, matched, "item_name"))
    if name is None:
        return None
    line: dict[str, Any] = {"name": name}
    try:
        sku = values.text(cell(cells, matched, "item_sku"))
        if sku:
            line["sku"] = sku
        quantity = values.whole_number(cell(cells, matched, "item_quantity"))
        if quantity is not None:
            line["quantity"] = quantity
        subtotal = ctx.money(cell(cells, matched, "item_subtotal"))
        tax = ctx.money(cell(cells, matched, "item_subtotal_tax"))
        if subtotal is not None and quantity:
            # The unit price the buyer saw: the line before discounts, tax included.
            gross = Decimal(subtotal[0]) + (Decimal(tax[0]) if tax else 0)
            line["price"] = str((gross / quantity).quantize(_CENT, ROUND_HALF_UP))
    except (Unreadable, InvalidOperation) as error:
        reason = error.reason if isinstance(error, Unreadable) else "not a number"
        warnings.append((f"line_items[{number}]", f"dropped: {reason}"))
        return None
    return line


def _item_column(text_: Any, warnings: list[Problem]) -> list[dict[str, Any]]:
    """``name:Kurta|sku:KUR-M|quantity:2|total:1798.00;name:...`` (one row per order)."""
    raw = values.text(text_)
    if raw is None:
        return []
    lines = []
    for number, part in enumerate(raw.split(";")):
        fields = dict(p.partition(":")[::2] for p in part.split("|") if ":" in p)
        name = fields.get("name", "").strip()
        if not name:
            continue
        line: dict[str, Any] = {"name": name}
        if fields.get("sku"):
            line["sku"] = fields["sku"].strip()
        try:
            quantity = values.whole_number(fields.get("quantity"))
        except Unreadable as error:
            warnings.append((f"line_items[{number}]", f"dropped: {error.reason}"))
            continue
        if quantity is not None:
            line["quantity"] = quantity
        lines.append(line)
    return lines
