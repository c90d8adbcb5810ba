"""What every preset shares: reading one column into one API field, and turning an item as
read into a :class:`~beacon_formats.record.Record` (the API's rules applied)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from beacon_formats import items, values
from beacon_formats.columns import Matched
from beacon_formats.dates import DateReader
from beacon_formats.errors import Unreadable
from beacon_formats.record import Problem, Record

Reader = Callable[[Any], Any]
Step = tuple[str, int, Reader, bool]  # field, column index, reader, optional

TEXT_FIELDS = frozenset(
    {
        "customer_id",
        "order_id",
        "name",
        "email",
        "customer_email",
        "phone",
        "city",
        "customer_name",
        "consent_source",
    }
)
DATE_FIELDS = ("created_at", "consent_at", "ordered_at", "updated_at")
MONEY_FIELDS = frozenset({"amount", "refunded_amount"})
FLAG_FIELDS = frozenset(
    {"accepts_email_marketing", "accepts_sms_marketing", "accepts_whatsapp_marketing"}
)
# Bad values of these are dropped with a warning, the record kept (see items.OPTIONAL).
OPTIONAL_FIELDS = frozenset({"phone", "city", "customer_name", "consent_source"} | FLAG_FIELDS)


@dataclass(frozen=True)
class Context:
    """The conventions values are read with."""

    kind: str
    dates: DateReader
    decimal_comma: bool

    def money(self, cell: Any) -> tuple[str, str | None] | None:
        return values.money(cell, self.decimal_comma)

    def reader(self, name: str) -> Reader:
        """The reader of one API field's cell."""
        if name in TEXT_FIELDS:
            return values.text
        if name in DATE_FIELDS:
            return self.dates.iso
        if name in MONEY_FIELDS:
            return partial(values.money, decimal_comma=self.decimal_comma)
        if name in FLAG_FIELDS:
            return values.flag
        if name == "currency":
            return _currency
        if name == "line_items":
            return _line_items
        raise KeyError(name)


def _currency(cell: Any) -> str | None:
    found = values.text(cell)
    return found.upper() if found else None


def _line_items(cell: Any) -> list[Any] | None:
    """JSON Lines only: the API's own list of line items, checked by the API's rules."""
    if cell is None or cell == "":
        return None
    if not isinstance(cell, list):
        raise Unreadable("is not a list of line items")
    return cell


def plan(ctx: Context, matched: Matched, names: Iterable[str]) -> list[Step]:
    """The steps that read ``names`` (those with a column) from a row's cells."""
    return [
        (name, matched.index[name], ctx.reader(name), name in OPTIONAL_FIELDS)
        for name in names
        if name in matched.index
    ]


def fill(
    steps: list[Step],
    cells: list[Any],
    item: dict[str, Any],
    problems: list[Problem],
    warnings: list[Problem],
) -> str | None:
    """Read each step's cell into ``item``; an unreadable cell becomes a problem (or, for an
    optional field, a warning). Returns the currency an amount's symbol named, if any."""
    count = len(cells)
    currency = None
    text = values.text
    for name, index, read, optional in steps:
        cell = cells[index] if index < count else None
        if cell is None or cell == "":
            continue
        if read is text and type(cell) is str:  # most cells: plain text, read inline
            value = cell.strip()
            if value and value[0] not in "'=":
                item[name] = value
                continue
        try:
            value = read(cell)
        except Unreadable as error:
            if optional:
                warnings.append((name, f"dropped: {error.reason}"))
            else:
                problems.append((name, error.reason))
            continue
        if value is None:
            continue
        if type(value) is tuple:  # an amount and the currency its symbol names
            value, symbol = value
            if symbol is not None:
                currency = symbol
        item[name] = value
    return currency


def cell(cells: list[Any], matched: Matched, name: str) -> Any:
    """The cell of a field's column, None when the layout has no such column."""
    index = matched.index.get(name)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def finish(
    kind: str,
    first: int,
    last: int,
    item: dict[str, Any],
    problems: list[Problem],
    warnings: list[Problem],
    rows: list[list[Any]],
    currency: str | None = None,
) -> Record:
    """The record: the currency a symbol named checked against the shop's and the row's,
    then the API's rules (which drop bad optional fields with a warning); no item when
    anything is wrong, and then every problem found, each field once."""
    if currency is not None:
        given = item.get("currency")
        if currency != items.SHOP_CURRENCY:
            problems.append(
                (
                    "amount",
                    f"is in {currency}, not the shop's currency ({items.SHOP_CURRENCY}); "
                    "Beacon never converts",
                )
            )
        elif given is not None and given != currency:
            problems.append(("currency", f"the amount says {currency}, the row says {given}"))
    if not problems:
        if items.check(kind, item, problems, warnings):
            return Record(first, last, item, problems, warnings, rows)
    else:  # the API's rules may name more; a field already refused is not named twice
        named = {name for name, _ in problems}
        if "customer_email" in named:  # the two name the customer together
            named.add("customer_id")
        more: list[Problem] = []
        items.check(kind, item, more, warnings)
        problems.extend(p for p in more if p[0] not in named)
    return Record(first, last, None, problems, warnings, rows)
