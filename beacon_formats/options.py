"""How to read a file: which platform's layout, which column overrides, and the conventions
(date layout, time zone, decimal comma) a file does not say about itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beacon_formats.errors import FormatError

KINDS = ("customers", "orders")
SOURCES = ("generic", "shopify", "woocommerce")


@dataclass(frozen=True)
class Options:
    """``source`` names the preset; ``overrides`` maps an API field to a column header (the
    CLI's ``--map``); ``date_format`` is a strptime layout that replaces the preset's own or
    the detected one; times without an offset are read in ``timezone``; ``decimal_comma``
    reads ``1.234,56`` as 1234.56 (without it such a value is refused, never guessed)."""

    source: str = "generic"
    overrides: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    timezone: str = "Asia/Kolkata"
    decimal_comma: bool = False

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise FormatError(
                f"unknown time zone {self.timezone!r}",
                hint="an IANA name such as Asia/Kolkata, Europe/London or UTC",
                option="timezone",
            ) from None

    def check(self, kind: str) -> None:
        """Refuse an unknown kind, source, zone or date layout before the file is opened."""
        if kind not in KINDS:
            raise FormatError(
                f"unknown kind {kind!r}", hint=f"one of {', '.join(KINDS)}", option="kind"
            )
        if self.source not in SOURCES:
            raise FormatError(
                f"unknown source {self.source!r}",
                hint=f"one of {', '.join(SOURCES)}",
                option="source",
            )
        self.zone()
        if self.date_format is not None and "%" not in self.date_format:
            raise FormatError(
                f"--date-format {self.date_format!r} has no % directive",
                hint="a strptime layout such as '%d/%m/%Y %H:%M'",
                option="date_format",
            )
