"""What reading a file gives: its :class:`Header` (how it was understood) and one
:class:`Record` per customer or order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR_COLUMN = "Beacon Error"
Problem = tuple[str, str]  # (field, reason)


@dataclass(slots=True)
class Record:
    """One customer or order and the source rows it came from.

    ``item`` is the API's JSON shape (amounts as decimal text, times as ISO 8601 with an
    offset, only the fields the file gave), or None when ``problems`` says why it cannot be
    sent. ``warnings`` name optional fields dropped from an item that is still sent.
    ``rows`` are the source rows as written, for the bad-rows report in the file's own
    layout: a CSV row's cells (several rows for a Shopify or WooCommerce order with several
    line items), or a JSON Lines record's line as a one-cell row.
    """

    first_line: int
    last_line: int
    item: dict[str, Any] | None
    problems: list[Problem]
    warnings: list[Problem]
    rows: list[list[Any]]

    @property
    def error(self) -> str:
        """The problems as one sentence, e.g. for the report's ``Beacon Error`` column."""
        return "; ".join(f"{f}: {reason}" for f, reason in self.problems)


@dataclass
class Header:
    """How the file was understood, before any record is read.

    ``mapping`` is API field -> the column(s) it is read from (a preset's composite rules
    spelled out, e.g. ``status <- 'Financial Status' + 'Cancelled at'``); ``dates`` the
    layout dates are read in (given, the preset's, or detected from the values).
    """

    kind: str
    source: str
    format: str  # "csv" or "jsonl"
    file_name: str
    columns: list[str]
    delimiter: str
    mapping: dict[str, str]
    dates: str
    timezone: str
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The platform whose export the file is by its header ("shopify", "woocommerce"), when
    # read with another preset: a caller may ask for --from before reading on.
    looks_like: str | None = None

    @property
    def report_columns(self) -> list[str]:
        """The bad-rows report's header: the file's own, then ``Beacon Error``."""
        return [*self.columns, ERROR_COLUMN]
