"""The bad-rows report file: ``FILE.bad.csv`` (``FILE.bad.jsonl`` for JSON Lines), written
by ``beacon_formats.report`` in the file's own layout (the dashboard's upload writes the
same), kept across ``--resume`` up to the confirmed line; and the packed form a record's
source rows take while its batch is in flight (the API may still refuse it)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, Any

from beacon_formats import Header
from beacon_formats.record import Problem
from beacon_formats.report import BadRows, first_line_of


def default_path(source: Path, file_format: str) -> Path:
    """``orders.csv`` -> ``orders.bad.csv``; ``orders.csv.gz`` too; ``x.jsonl`` ->
    ``x.bad.jsonl``."""
    name = source.name.removesuffix(".gz")
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix.lower() not in ("csv", "tsv", "txt", "jsonl", "ndjson", "json"):
        stem = name
    return source.with_name(f"{stem}.bad.{'csv' if file_format == 'csv' else 'jsonl'}")


def pack(rows: list[list[Any]], delimiter: str) -> str:
    """A record's source rows as one string, CSV-quoted only where a cell needs it: kept
    while its batch is in flight (a Shopify row's 79-cell list costs several times its
    text, and a batch in flight holds thousands)."""
    lines = []
    for cells in rows:
        line = delimiter.join(cells)
        if '"' in line or "\n" in line or "\r" in line or line.count(delimiter) != len(cells) - 1:
            buffer = io.StringIO()
            # The default line end: with none, cells holding line breaks go unquoted.
            csv.writer(buffer, delimiter=delimiter).writerow(cells)
            line = buffer.getvalue().removesuffix("\r\n")
        lines.append(line)
    return "\n".join(lines)


def unpack(packed: str, delimiter: str) -> list[list[Any]]:
    return list(csv.reader(io.StringIO(packed, newline=""), delimiter=delimiter))


class Report:
    def __init__(self, path: Path, header: Header, *, keep_through_line: int | None = None) -> None:
        """Open for writing. When resuming, keep only the entries up to the confirmed line:
        later ones will be found again."""
        self.path = path
        self.csv = header.format == "csv"
        self.delimiter = header.delimiter
        kept = self._kept(keep_through_line) if keep_through_line is not None else []
        self._out: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._rows = BadRows(self._out, header)
        if self.csv:
            self._rows.writer.writerows(kept)
            # Each row of a multi-row record carries its error: count records, not rows.
            self.count = len({first_line_of(row[-1]) for row in kept})
        else:
            self._out.writelines(kept)
            self.count = len(kept)

    def _kept(self, through: int) -> list[Any]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8", newline="") as old:
            if self.csv:
                rows = list(csv.reader(old, delimiter=self.delimiter))[1:]
                return [r for r in rows if r and 0 < first_line_of(r[-1]) <= through]
            return [line for line in old if line.strip() and json.loads(line)["line"] <= through]

    def add(self, first: int, last: int, rows: list[list[Any]], problems: list[Problem]) -> None:
        """One refused record: its rows as they were, and why."""
        self.count += 1
        self._rows.add(first, last, rows, problems)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()
