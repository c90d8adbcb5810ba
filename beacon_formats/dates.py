"""Dates and times into ISO 8601 with an offset, in one of three layouts, never guessed.

* ``iso``: ISO 8601 as ``datetime.fromisoformat`` reads it (``2024-02-21``,
  ``2024-02-21 07:55:00 +0530``, ``2024-02-21T07:55:00Z``): Shopify's and WooCommerce's
  exports, and any generic file whose first date starts with the year.
* ``dmy`` / ``mdy``: day and month before a four-digit year (``25/03/2024 14:05``,
  ``03.25.2024 2:05 PM``), separated by ``/``, ``.`` or ``-``. Which of the two a generic
  file uses is read from its values by :func:`detect` (see there).
* a strptime layout given by the person (``--date-format '%d/%m/%y %H:%M'``).

A time without an offset is a wall time in the shop's zone (``timezone``), so
``2025-04-01 10:28:17`` from a WooCommerce shop in India is ``2025-04-01T10:28:17+05:30``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from beacon_formats.errors import FormatError, Unreadable
from beacon_formats.values import text

ISO, DMY, MDY = "iso", "dmy", "mdy"
LAYOUT_NAMES = {ISO: "ISO 8601", DMY: "%d/%m/%Y (day first)", MDY: "%m/%d/%Y (month first)"}
_ISO_START = re.compile(r"\d{4}-\d{2}")
_DAY_MONTH = re.compile(
    r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
    r"\s*(Z|[+\-]\d{2}:?\d{2})?"
)


class DateReader:
    """Reads one layout; ``iso(cell)`` is the value as the API's ISO text, or Unreadable."""

    def __init__(self, layout: str, zone: ZoneInfo) -> None:
        self.layout = layout
        self.zone = zone
        if layout == ISO:
            self._parse = self._iso
        elif layout in (DMY, MDY):
            self._parse = self._day_month
        else:
            self._parse = self._strptime

    def iso(self, value: Any) -> str | None:
        raw = value.strip() if type(value) is str else None
        if not raw or raw[0] in "'=":  # not plain text: the general reader
            raw = text(value)
            if raw is None:
                return None
        if self.layout == ISO:  # the common case, without a call more
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                moment = self._iso(raw)
        else:
            moment = self._parse(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.isoformat()

    def _iso(self, raw: str) -> datetime:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            pass
        if _DAY_MONTH.fullmatch(raw):
            raise Unreadable(
                f"{raw!r} is not ISO 8601 like the file's other dates (2024-03-25 ...); "
                "pass --date-format if the file mixes layouts"
            )
        raise Unreadable(f"cannot read date {raw!r} (ISO 8601 expected, e.g. 2024-03-25 14:05)")

    def _day_month(self, raw: str) -> datetime:
        found = _DAY_MONTH.fullmatch(raw)
        if found is None:
            raise Unreadable(
                f"cannot read date {raw!r} as {LAYOUT_NAMES[self.layout]}; "
                "pass --date-format if the file mixes layouts"
            )
        first, _, second, year, hour, minute, second_s, half, offset = found.groups()
        day, month = (first, second) if self.layout == DMY else (second, first)
        h = int(hour or 0)
        if half:
            if not 1 <= h <= 12:
                raise Unreadable(f"cannot read date {raw!r}: hour {h} with {half}")
            h = h % 12 + (12 if half.lower() == "pm" else 0)
        try:
            moment = datetime(
                int(year), int(month), int(day), h, int(minute or 0), int(second_s or 0)
            )
        except ValueError as error:
            raise Unreadable(
                f"cannot read date {raw!r} as {LAYOUT_NAMES[self.layout]} ({error})"
            ) from None
        if offset:
            tail = "+00:00" if offset == "Z" else offset
            moment = datetime.fromisoformat(moment.isoformat() + tail)
        return moment

    def _strptime(self, raw: str) -> datetime:
        try:
            return datetime.strptime(raw, self.layout)
        except ValueError:
            raise Unreadable(f"cannot read date {raw!r} as {self.layout!r}") from None


def detect(dates: Iterable[tuple[int, Any]]) -> str:
    """The layout of a generic file's dates, from ``(line, cell)`` pairs in file order.

    The first date decides the family: starting with a four-digit year it is ISO 8601 (and
    the rest of the file is not looked at: a later date in another layout is a bad row).
    Otherwise every date is looked at: a first part above 12 (``25/03/2024``) can only be
    day-first, a second part above 12 (``03/25/2024``) only month-first. One kind of evidence
    settles the file; none (every date reads both ways) or both (the file mixes the two)
    stop the import with a FormatError asking for ``--date-format``: a misread date is never
    sent. Dates that fit neither form are skipped here and refused on their row.
    """
    day_first: tuple[int, str] | None = None
    month_first: tuple[int, str] | None = None
    example: tuple[int, str] | None = None
    for line, cell in dates:
        raw = text(cell)
        if raw is None:
            continue
        if example is None and _ISO_START.match(raw):
            return ISO
        found = _DAY_MONTH.fullmatch(raw)
        if found is None:
            continue  # neither form: its row says what is wrong with it
        example = example or (line, raw)
        first, second = int(found[1]), int(found[3])
        if first > 12 and day_first is None:
            day_first = (line, raw)
        elif second > 12 and month_first is None:
            month_first = (line, raw)
        if day_first and month_first:
            raise FormatError(
                f"the file's dates read two ways: line {day_first[0]} has {day_first[1]!r} "
                f"(day first) and line {month_first[0]} has {month_first[1]!r} (month first)",
                hint="fix the file, or pass --date-format for the layout most rows use; "
                "rows in the other layout are then reported as bad",
                option="date_format",
            )
    if day_first:
        return DMY
    if month_first:
        return MDY
    if example is None:
        return ISO  # no dates at all
    raise FormatError(
        f"every date in the file reads two ways (e.g. line {example[0]}: {example[1]!r} "
        "is day/month or month/day)",
        hint="pass --date-format '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first), "
        "adding ' %H:%M' when the dates have times",
        option="date_format",
    )
