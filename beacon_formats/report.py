"""Refused records written back in the file's own layout, so a person can fix them and
import the file again: the CLI's ``FILE.bad.csv`` and the dashboard upload's bad-rows CSV.

CSV input: the file's header plus a last column ``Beacon Error``, then each refused
record's rows as they were (every row of a multi-row order), re-quoted with the file's
delimiter; the error starts with the source line(s), ``line 14: amount: ...``. JSON Lines
input: one object per refused record, ``{"line", "field", "reason", "row"}`` (``row`` is
the line as written).
"""

from __future__ import annotations

import csv
import json
import re
from typing import IO, Any

from beacon_formats.record import Header, Problem

_LINE = re.compile(r"^lines? (\d+)")


def where(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def first_line_of(error: str) -> int:
    """The first source line a report row's ``Beacon Error`` names (0 when none)."""
    found = _LINE.match(error)
    return int(found[1]) if found else 0


class BadRows:
    """Writes refused records to ``out`` (a text stream opened with ``newline=""``)."""

    def __init__(self, out: IO[str], header: Header, *, write_header: bool = True) -> None:
        self.out = out
        self.csv = header.format == "csv"
        self.width = len(header.columns)
        self.writer: Any = csv.writer(out, delimiter=header.delimiter)
        if self.csv and write_header:
            self.writer.writerow(header.report_columns)

    def add(self, first: int, last: int, rows: list[list[Any]], problems: list[Problem]) -> None:
        reason = "; ".join(f"{f}: {r}" for f, r in problems)
        if self.csv:
            error = f"{where(first, last)}: {reason}"
            for row in rows:
                cells = ["" if c is None else str(c) for c in row]
                if len(cells) < self.width:  # a short row: the error stays in its column
                    cells += [""] * (self.width - len(cells))
                self.writer.writerow([*cells, error])
            return
        entry = {
            "line": first,
            "field": ",".join(f for f, _ in problems),
            "reason": reason,
            "row": str(rows[0][0]) if rows and rows[0] else "",
        }
        self.out.write(json.dumps(entry, ensure_ascii=False) + "\n")
