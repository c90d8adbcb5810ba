"""Validators for what the stores can hold, shared by every service's edge.

A value the database cannot store must be refused with a 422 at the edge: once a request
has been accepted (202), a row that cannot be written would fail in a consumer instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

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


UtcTime = Annotated[
    datetime,
    AfterValidator(to_utc),
    # What pydantic accepts: an ISO 8601 date-time or Unix seconds. The range is prose: as
    # a pattern, it leaves generators (schemathesis) unable to make valid times.
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
            "description": "ISO 8601 (no offset means UTC) or Unix seconds, "
            "from 1900-01-02 to 2199-12-30",
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
