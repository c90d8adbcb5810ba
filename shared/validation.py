"""Validators for what the stores can hold, shared by every service's edge.

A value the database cannot store must be refused with a 422 at the edge: once a request
has been accepted (202), a row that cannot be written would fail in a consumer instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

# DATETIME columns hold years 1000-9999; Beacon accepts a range that means something
# for a shop and leaves room for any offset, so converting to UTC can never overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_RANGE_MESSAGE = "must be between 1900-01-01 and 2200-01-01"

# Correlation ids are echoed in logs and stored with events (64 characters).
MAX_CORRELATION_ID = 64
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


# Made once: this runs for every time of every receipt and order (a profile showed the two
# constructions at 6 % of the delivery worker).
_EARLIEST, _LATEST = datetime(1900, 1, 2), datetime(2199, 12, 31)


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC (naive means UTC), or ValueError when it is out of range.

    Checked before converting: ``astimezone`` on year 1 with a positive offset, or year
    9999 with a negative one, raises OverflowError, which pydantic would not turn into a 422.
    """
    if not _EARLIEST <= value.replace(tzinfo=None) < _LATEST:
        raise ValueError(_RANGE_MESSAGE)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time_pattern() -> str:
    """The times :data:`UtcTime` takes as text, as a regular expression: ISO 8601 dates
    (a time of day and an offset optional) whose wall time is from 1900-01-02 to
    2199-12-30, every day of every month spelled out (29 February in leap years only), so a
    generator that follows it makes only times the API takes."""
    any_day = "(0[1-9]|[12][0-9]|3[01])"
    jan, dec = f"01-{any_day}", f"12-{any_day}"
    mid = "(02-(0[1-9]|1[0-9]|2[0-8])|(0[3-9]|1[01])-(0[1-9]|[12][0-9]|30)|(0[3578]|10)-31)"
    years = "(190[1-9]|19[1-9][0-9]|20[0-9]{2}|21[0-8][0-9]|219[0-8])"
    leap = "(19(0[48]|[2468][048]|[13579][26])|20([02468][048]|[13579][26])|21(0[48]|[2468][048]|[13579][26]))"  # noqa: E501
    date = (
        f"({years}-({jan}|{mid}|{dec})|{leap}-02-29"
        f"|1900-(01-(0[2-9]|[12][0-9]|3[01])|{mid}|{dec})"
        f"|2199-({jan}|{mid}|12-(0[1-9]|[12][0-9]|30)))"
    )
    time = "[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
    offset = "([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])"
    return f"^{date}({time}{offset}?)?$"


TIME_PATTERN = _time_pattern()
# Unix seconds of the same range (beyond 2e10 pydantic would read milliseconds).
FIRST_SECOND, END_SECOND = -2_208_816_000, 7_258_032_000


def _time_input(value: object) -> object:
    """Before pydantic parses a time: a number must be seconds of the range, and text must
    start with a year (pydantic would read "20200101" as Unix seconds). A cheap check, on
    the path of every order; the range itself is checked once parsed (:func:`to_utc`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not FIRST_SECOND <= value < END_SECOND:
            raise ValueError(_RANGE_MESSAGE)
    elif isinstance(value, str) and not (value[:4].isdigit() and value[4:5] == "-"):
        raise ValueError("is not an ISO 8601 date or date-time")
    return value


UtcTime = Annotated[
    datetime,
    BeforeValidator(_time_input),
    AfterValidator(to_utc),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": TIME_PATTERN},
                {"type": "number", "minimum": FIRST_SECOND, "exclusiveMaximum": END_SECOND},
            ],
            "description": "ISO 8601 (no offset means UTC) or Unix seconds, "
            "from 1900-01-02 to 2199-12-30 (wall time)",
        }
    ),
]


def valid_correlation_id(value: str) -> bool:
    """Letters, digits and ``._:-``, at most 64 characters (a UUID, hex or ULID fits)."""
    return bool(_CORRELATION_ID.match(value))


def parse_int_id(raw: str, *, maximum: int = 2**63 - 1) -> int | None:
    """A positive decimal id as the store holds it, or None (strictly ASCII digits:
    ``str.isdigit`` also accepts '²' and other digits ``int`` refuses or misreads)."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= maximum else None
