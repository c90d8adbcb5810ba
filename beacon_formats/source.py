"""Open a file (a path, or a binary or text stream) and read it one row at a time.

Nothing is read whole: rows are yielded as the file is read, so a 1 GB export costs the
memory of one row. Gzip is recognised by its magic bytes, the format by the name's
extension (``.jsonl``/``.ndjson``/``.json``, with or without ``.gz``) or, failing that, by
the first character. A CSV's delimiter is the one its header line uses most (``,`` ``;``
tab ``|``), read outside quotes; quoting is the spreadsheet kind (``""`` inside ``"..."``),
so notes with line breaks, commas and quotes stay one cell.

A row is ``(first_line, last_line, cells, raw, error)``: the physical lines it spans (a
quoted line break makes a row span several), its cells in header order, the raw row as
written (the cells for CSV, the line's text for JSON Lines) and, for a JSON Lines line that
is not an object, the reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any

from pydantic_core import from_json

from beacon_formats.errors import FormatError

Input = str | os.PathLike[str] | IO[bytes] | IO[str]
Row = tuple[int, int, list[Any] | None, list[Any], str | None]
DELIMITERS = (",", ";", "\t", "|")


class _Kept(io.RawIOBase):
    """A caller's binary stream that our wrappers may close without closing it; counts the
    bytes read (the progress of a stream that cannot tell)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)

    def tell(self) -> int:
        return self.read_bytes


def delimiter_of(line: str) -> str:
    """The delimiter a header line uses most, counted outside quotes (``,`` when none)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def format_of(name: str, first_char: str) -> str:
    suffixes = [s.lower() for s in Path(name).suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffixes and suffixes[-1] in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if first_char == "{" else "csv"


class Source:
    """A file's header (CSV) or first object's keys (JSON Lines), then its rows.

    ``again()`` opens the same input afresh (a path is opened again, a stream is sought
    back to its start): the date detection reads a generic file's dates before its rows.
    """

    def __init__(self, source: Input, name: str | None = None) -> None:
        self._input = source
        self._opened = 0
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            if not path.exists():
                raise FormatError(
                    f"file not found: {path}", hint="check the path (relative to this directory)."
                )
            if path.is_dir():
                raise FormatError(f"{path} is a directory, not a file.")
            self.name = name or path.name
            self.size: int | None = path.stat().st_size
        else:
            self.name = name or str(getattr(source, "name", "") or "upload")
            self.size = None
        self._disk: Any = None  # what tells the bytes read
        self._files: list[Any] = []  # what close() closes (ours only)
        self._text = self._open()
        self.delimiter = ","
        self.header: list[str] = []
        first = self._text.readline()
        if not first.strip():
            self.close()
            raise FormatError(f"{self.name} is empty (no header line).")
        self.format = format_of(self.name, first[:1])
        self._rows = self._csv(first) if self.format == "csv" else self._jsonl(first)

    def _open(self) -> IO[str]:
        self._opened += 1
        source = self._input
        if self._opened > 1 and not isinstance(source, str | os.PathLike):
            if not source.seekable():
                raise FormatError(
                    "this input can be read once only, and its dates need a first look",
                    hint="pass --date-format, e.g. '%d/%m/%Y'",
                    option="date_format",
                )
            source.seek(0)
        if isinstance(source, io.TextIOBase):
            self._disk = source
            return source  # type: ignore[return-value]
        if isinstance(source, str | os.PathLike):
            disk: Any = open(source, "rb")  # noqa: SIM115 (closed by close())
            self._files = [disk]
            self._disk = disk
        else:
            self._disk = _Kept(source)  # type: ignore[arg-type]
            disk = io.BufferedReader(self._disk)
        gz = disk.peek(2)[:2] == b"\x1f\x8b"
        raw: Any = gzip.GzipFile(fileobj=disk, mode="rb") if gz else disk
        # utf-8-sig drops the byte-order mark spreadsheet programs put before the header.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        self._files.insert(0, text)
        return text

    def again(self) -> Source:
        """The same input from its start, as a new Source (this one is left as it is)."""
        fresh = object.__new__(Source)
        fresh.__dict__.update(self.__dict__)
        fresh._files = []
        fresh._text = fresh._open()
        first = fresh._text.readline()
        fresh._rows = fresh._csv(first) if fresh.format == "csv" else fresh._jsonl(first)
        return fresh

    def _csv(self, first: str) -> Iterator[Row]:
        self.delimiter = delimiter_of(first)
        reader = csv.reader(chain([first], self._text), delimiter=self.delimiter)
        try:
            self.header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise FormatError(f"{self.name} is empty.") from None
        return self._csv_rows(reader)

    @staticmethod
    def _csv_rows(reader: Any) -> Iterator[Row]:
        done = reader.line_num
        for cells in reader:
            first, done = done + 1, reader.line_num
            # A blank line (or one of only delimiters and spaces) is no row.
            if not cells or (not cells[0] and not "".join(cells).strip()):
                continue
            yield first, done, cells, cells, None

    def _jsonl(self, first_line: str) -> Iterator[Row]:
        lines = enumerate(chain([first_line], self._text), start=1)
        for number, text in lines:
            if not text.strip():
                continue
            try:
                first = from_json(text)
            except ValueError:
                first = None
            if isinstance(first, dict):
                self.header = [str(key) for key in first]
            # The first line is read again by the rows below (a bad one becomes a bad row).
            return self._jsonl_rows(chain([(number, text)], lines))
        raise FormatError(f"{self.name} is empty.")

    def _jsonl_rows(self, lines: Iterator[tuple[int, str]]) -> Iterator[Row]:
        header = self.header
        for number, text in lines:
            if not text.strip():
                continue
            line = text.rstrip("\r\n")
            try:
                value = from_json(text)
            except ValueError as error:
                yield number, number, None, [line], f"not JSON: {error}"
                continue
            if not isinstance(value, dict):
                yield number, number, None, [line], "not a JSON object"
                continue
            yield number, number, [value.get(key) for key in header], [line], None

    def rows(self) -> Iterator[Row]:
        return self._rows  # type: ignore[return-value]

    def position(self) -> int:
        """Bytes of the input read so far (compressed bytes for gzip), for progress."""
        try:
            return int(self._disk.tell())
        except (OSError, ValueError, AttributeError):
            return 0

    def close(self) -> None:
        """Close what this Source opened; a caller's stream stays open."""
        for handle in self._files:
            handle.close()
        self._files = []
