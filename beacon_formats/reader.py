"""``read()``: a file in, its header and then its records out, one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

from beacon_formats import columns, dates
from beacon_formats.errors import FormatError
from beacon_formats.options import Options
from beacon_formats.presets import PRESETS, recognise
from beacon_formats.presets.common import DATE_FIELDS, Context
from beacon_formats.record import Header, Record
from beacon_formats.source import Input, Source


class Reading:
    """An open file being read: ``header`` now, the records by iterating (once).

    Close it (or use ``with``) to close the file; ``position()`` is the bytes read so far,
    for a progress bar.
    """

    def __init__(self, header: Header, source: Source, records: Iterator[Record]) -> None:
        self.header = header
        self._source = source
        self._records = records

    def __iter__(self) -> Iterator[Record]:
        return self._records

    def position(self) -> int:
        return self._source.position()

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Reading:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _with_api_fields(src: Source, kind: str) -> None:
    """JSON Lines: the API's own field names are columns even when the first line lacks
    them (a later line may carry ``status`` or ``line_items``); a CSV's header is its own."""
    if src.format == "jsonl":
        names = (*columns.API_FIELDS[kind], *(("line_items",) if kind == "orders" else ()))
        src.header.extend(f for f in names if f not in src.header)


def read(
    kind: str, source: Input, options: Options | None = None, *, name: str | None = None
) -> Reading:
    """Open ``source`` (a path, or a binary or text stream; ``name`` is its file name when
    a stream has none: it tells CSV from JSON Lines) as ``kind`` ("customers" or "orders")
    in the layout ``options.source`` names.

    Raises :class:`~beacon_formats.errors.FormatError` for what stops the whole file: an
    unknown option, no column for a required field, dates that read two ways. For a
    generic file whose dates are day and month, every date is looked at first (the file is
    read twice, the first time for its date columns only): see :func:`dates.detect`.
    """
    options = options or Options()
    options.check(kind)
    zone = options.zone()
    preset = PRESETS[options.source]
    layout = preset.layout(kind)
    src = Source(source, name)
    try:
        _with_api_fields(src, kind)
        looks_like = recognise(kind, src.header)
        if looks_like == preset.name:
            looks_like = None
        try:
            matched = columns.match(layout, src.header, options.overrides)
        except FormatError as error:
            if looks_like is None:
                raise
            raise FormatError(
                f"{error.message} The file looks like a {looks_like} {kind} export.",
                hint=f"pass --from {looks_like}.",
                option="source",
            ) from None
        if preset.name == "generic" and looks_like is None:
            columns.suggest(layout, matched)
        date_columns = [matched.index[f] for f in DATE_FIELDS if f in matched.index]
        if options.date_format:
            layout_name, described = options.date_format, options.date_format
        elif preset.detects_dates and date_columns:
            layout_name = dates.detect(
                (row[0], row[2][i])
                for row in src.rows()
                if row[2] is not None
                for i in date_columns
                if i < len(row[2])
            )
            described = dates.LAYOUT_NAMES[layout_name] + (
                "" if layout_name == dates.ISO else ", detected from the dates"
            )
            fresh = src.again()
            src.close()
            src = fresh
            _with_api_fields(src, kind)
        else:
            layout_name, described = dates.ISO, dates.LAYOUT_NAMES[dates.ISO]
        header = Header(
            kind=kind,
            source=preset.name,
            format=src.format,
            file_name=src.name,
            columns=src.header,
            delimiter=src.delimiter,
            mapping=preset.describe(kind, matched),
            dates=described,
            timezone=options.timezone,
            ignored=matched.ignored,
            notes=matched.notes,
            looks_like=looks_like,
        )
        if looks_like is not None:
            header.notes.append(
                f"the file looks like a {looks_like} {kind} export; --from {looks_like} reads "
                "it as the platform writes it"
            )
        context = Context(kind, dates.DateReader(layout_name, zone), options.decimal_comma)
        return Reading(header, src, preset.records(context, matched, src.rows()))
    except BaseException:
        src.close()
        raise
