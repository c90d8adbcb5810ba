"""Read a CSV or JSON Lines file (gzip too) one row at a time, with its line number.

Nothing is read whole: rows are yielded as the file is read, so a 1 GB export costs the
memory of one row. Gzip is recognised by its magic bytes, the format by the extension
(``.jsonl``/``.ndjson``, with or without ``.gz``) or, failing that, by the first byte.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from beacon_cli.errors import CliError

Row = dict[str, Any]


def open_text(path: Path) -> tuple[IO[str], IO[bytes]]:
    """The decoded text, and the file underneath (whose position tells the progress)."""
    if not path.exists():
        raise CliError(
            f"file not found: {path}", hint="check the path (relative to this directory)."
        )
    if path.is_dir():
        raise CliError(f"{path} is a directory, not a file.")
    disk = path.open("rb")
    gz = disk.read(2) == b"\x1f\x8b"
    disk.seek(0)
    raw: IO[bytes] = gzip.GzipFile(fileobj=disk, mode="rb") if gz else disk  # type: ignore[assignment]
    # utf-8-sig drops the byte-order mark spreadsheet programs put before the header.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
    return text, disk


def detect_format(path: Path, first_char: str) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffixes and suffixes[-1] in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if first_char == "{" else "csv"


class Source:
    """A file's header (CSV) or first object's keys (JSON Lines), then its rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text, self._disk = open_text(path)
        self.size = path.stat().st_size
        first = self.text.read(1)
        self.format = detect_format(path, first)
        self.text.seek(0)
        self.headers: list[str] = []
        self._rows = self._csv() if self.format == "csv" else self._jsonl()

    def _csv(self) -> Iterator[tuple[int, Row, str]]:
        sample = self.text.read(64 * 1024)
        self.text.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(self.text, dialect)
        try:
            self.headers = [h.strip() for h in next(reader)]
        except StopIteration:
            raise CliError(f"{self.path} is empty.") from None
        yield from ()  # a generator even when the file has a header only
        line = 1
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            yield line, dict(zip(self.headers, values, strict=False)), ",".join(values)

    def _jsonl(self) -> Iterator[tuple[int, Row, str]]:
        for number, text in enumerate(self.text, start=1):
            if not text.strip():
                continue
            try:
                row = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                yield number, {"__error__": f"not JSON: {error}"}, text.rstrip("\n")
                continue
            if not isinstance(row, dict):
                yield number, {"__error__": "not a JSON object"}, text.rstrip("\n")
                continue
            if not self.headers:
                self.headers = list(row)
            yield number, row, text.rstrip("\n")

    def peek_headers(self) -> list[str]:
        """Read until the header is known (the first row for JSON Lines), keeping that row."""
        self._first = next(self._rows, None)
        return self.headers

    def rows(self) -> Iterator[tuple[int, Row, str]]:
        """(line number, row by header, the raw line) for every non-blank row."""
        if getattr(self, "_first", None) is not None:
            yield self._first  # type: ignore[misc]
        yield from self._rows

    def position(self) -> int:
        """Bytes of the file read so far (compressed bytes for gzip)."""
        return self._disk.tell()

    def close(self) -> None:
        self.text.close()
        self._disk.close()
