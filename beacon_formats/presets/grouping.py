"""Rows of one order, together: Shopify writes one row per line item (the first carries the
order), WooCommerce's one-row-per-item export repeats the order on each. An order's rows
are consecutive in both; a new order starts where the key changes or a row carries the
order's own columns again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from beacon_formats.source import Row

Group = list[Row]


def consecutive(
    rows: Iterator[Row], key: int, starts: Callable[[list[Any]], bool] | None = None
) -> Iterator[Group]:
    """Runs of rows with the same cell at ``key``; ``starts(cells)`` also cuts before a row
    that opens an order by itself. A row that cannot be read is a group of its own."""
    group: Group = []
    current: Any = None
    for row in rows:
        cells = row[2]
        if cells is None:
            if group:
                yield group
                group, current = [], None
            yield [row]
            continue
        value = cells[key] if key < len(cells) else None
        if group and (value != current or (starts is not None and starts(cells))):
            yield group
            group = []
        current = value
        group.append(row)
    if group:
        yield group
