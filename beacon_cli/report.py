"""The bad-rows report, in the file's own layout so a person can fix it and import it again.

CSV input gets ``FILE.bad.csv``: the file's header plus a last column ``Beacon Error``, then
every refused record's rows as they were (all rows of a multi-row Shopify or WooCommerce
order), re-written with the file's delimiter and CSV quoting; the error starts with the
source line(s), e.g. ``line 14: amount: '378,00' reads two ways ...``. JSON Lines input
gets ``FILE.bad.jsonl``: one JSON object per refused line (``line``, ``field``,
``reason``, ``row`` = the line as written).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import IO, Any

import orjson

from beacon_formats import Header

_LINE = re.compile(r"^lines? (\d+)")


def default_path(source: Path, file_format: str) -> Path:
    """``orders.csv`` -> ``orders.bad.csv``; ``orders.csv.gz`` too; ``x.jsonl`` ->
    ``x.bad.jsonl``."""
    name = source.name.removesuffix(".gz")
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix.lower() not in ("csv", "tsv", "txt", "jsonl", "ndjson", "json"):
        stem = name
    return source.with_name(f"{stem}.bad.{'csv' if file_format == 'csv' else 'jsonl'}")


def where(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


class Report:
    def __init__(self, path: Path, header: Header, *, keep_through_line: int | None = None) -> None:
        """Open for writing. When resuming, keep only the entries up to the confirmed line:
        later ones will be found again."""
        self.path = path
        self.csv = header.format == "csv"
        self.delimiter = header.delimiter
        self.width = len(header.columns)
        kept = self._kept(keep_through_line) if keep_through_line is not None else []
        self._out: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer: Any = csv.writer(self._out, delimiter=self.delimiter)
        if self.csv:
            self._writer.writerow(header.report_columns)
            self._writer.writerows(kept)
            # Each row of a multi-row record carries its error: count records, not rows.
            self.count = len({_line_of(row[-1]) for row in kept})
        else:
            self._out.writelines(kept)
            self.count = len(kept)

    def _kept(self, through: int) -> list[Any]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8", newline="") as old:
            if self.csv:
                rows = list(csv.reader(old, delimiter=self.delimiter))[1:]
                return [r for r in rows if r and 0 < _line_of(r[-1]) <= through]
            return [line for line in old if line.strip() and orjson.loads(line)["line"] <= through]

    def add(self, first: int, last: int, rows: list[list[Any]], field: str, reason: str) -> None:
        """One refused record: its rows as they were, and why."""
        self.count += 1
        if self.csv:
            error = f"{where(first, last)}: {reason}"
            for row in rows:
                cells = [("" if c is None else str(c)) for c in row]
                if len(cells) < self.width:
                    cells += [""] * (self.width - len(cells))
                self._writer.writerow([*cells, error])
            return
        entry = {
            "line": first,
            "field": field,
            "reason": reason,
            "row": str(rows[0][0]) if rows and rows[0] else "",
        }
        self._out.write(orjson.dumps(entry).decode() + "\n")

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()


def _line_of(error: str) -> int:
    found = _LINE.match(error)
    return int(found[1]) if found else 0
