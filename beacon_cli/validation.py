"""The ingest API's rules for a customer and an order, applied before sending.

These mirror ``services/ingest/domain/models.py`` and ``shared/validation.py`` (the CLI
imports no Beacon code: it is installed where no service runs); ``tests/cli/test_units.py``
runs a table of inputs through both and fails when they disagree. Anything that still slips
through is caught by the API's 422, whose rows go to the report like these.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{2,30}$")
DATE_FIELDS = ("created_at", "ordered_at")


def _utc(value: datetime) -> datetime:
    """As ``shared/validation.py``'s ``to_utc``: the wall time is checked before converting,
    with a day's margin for any offset (so converting never overflows)."""
    if not datetime(1900, 1, 2) <= value.replace(tzinfo=None) < datetime(2199, 12, 31):
        raise ValueError("must be between 1900-01-01 and 2200-01-01")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _email(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _phone(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _PHONE.match(value):
        raise ValueError("is not a phone number (digits, spaces, + ( ) - . allowed)")
    return value


def _blank_to_none(value: str | None) -> str | None:
    return value or None


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
UtcTime = Annotated[datetime, AfterValidator(_utc)]


class _Input(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, coerce_numbers_to_str=True, extra="ignore", frozen=True
    )


class Customer(_Input):
    customer_id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Annotated[str | None, StringConstraints(max_length=254), AfterValidator(_email)] = None
    phone: Annotated[str | None, StringConstraints(max_length=32), AfterValidator(_phone)] = None
    city: Annotated[
        str | None, StringConstraints(max_length=100), AfterValidator(_blank_to_none)
    ] = None
    created_at: UtcTime | None = None


class Order(_Input):
    order_id: Id
    customer_id: Id
    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    ordered_at: UtcTime


MODELS: dict[str, type[_Input]] = {"customers": Customer, "orders": Order}
BATCH_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "customers": TypeAdapter(list[Customer]),
    "orders": TypeAdapter(list[Order]),
}
_MONEY_NOISE = re.compile(r"^\s*(?:₹|rs\.?|inr|\$)\s*|,", re.IGNORECASE)


class Problem(Exception):
    """A row Beacon would refuse: its field(s) and the reason."""

    def __init__(self, field: str, reason: str, *, unreadable_date: bool = False) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.unreadable_date = unreadable_date


def prepare(kind: str, row: dict[str, Any], date_format: str | None) -> dict[str, Any]:
    """Spreadsheet spellings into the API's: blank cells are absent, "₹1,499.00" is 1499.00,
    dates in ``date_format`` become ISO 8601."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if (
            key == "amount"
            and isinstance(value, str)
            and (not value[:1].isdigit() or "," in value)  # the common case skips the regex
        ):
            value = _MONEY_NOISE.sub("", value)
        if key in DATE_FIELDS and date_format and isinstance(value, str):
            try:
                value = datetime.strptime(value.strip(), date_format).isoformat()
            except ValueError:
                raise Problem(
                    key, f"cannot read date {value!r} as {date_format!r}", unreadable_date=True
                ) from None
        out[key] = value
    return out


def validate(kind: str, row: dict[str, Any], date_format: str | None = None) -> _Input:
    """The row as a model, or a :class:`Problem` naming every bad field."""
    data = prepare(kind, row, date_format)
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as error:
        fields, reasons, dates = [], [], False
        for e in error.errors(include_url=False):
            name = ".".join(str(p) for p in e["loc"]) or "(row)"
            message = e["msg"].removeprefix("Value error, ")
            if name in DATE_FIELDS and e["type"].startswith(("datetime", "date")):
                dates = True
                message = f"cannot read date {data.get(name)!r} ({message})"
            fields.append(name)
            reasons.append(f"{name}: {message}")
        raise Problem(",".join(fields), "; ".join(reasons), unreadable_date=dates) from None
