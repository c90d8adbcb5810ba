"""The ingest API's customer and order items and their rules, applied before sending.

These mirror ``services/ingest/domain/models.py`` and ``shared/validation.py`` (this package
imports no Beacon service code: it ships with the CLI, which runs where no service does);
``tests/formats/test_items_mirror.py`` runs a table of items through both and fails when
they disagree. Anything that still slips through is caught by the API's 422.

:func:`check` applies them to an item as read: a bad optional field (a phone, a city too
long, a line item) is dropped with a warning and the rest is kept; anything else makes the
record a bad row.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

SHOP_CURRENCY = "INR"
STATUSES = ("paid", "pending", "partially_refunded", "refunded", "cancelled", "voided", "failed")
MAX_LINE_ITEMS = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{2,30}$")
_EARLIEST, _LATEST = datetime(1900, 1, 2), datetime(2199, 12, 31)


def _utc(value: datetime) -> datetime:
    """As ``shared/validation.py``'s ``to_utc``: the wall time is checked before converting,
    with a day's margin for any offset (so converting never overflows). Only acceptance
    matters here (the item is sent as read), so a year well inside skips the rest."""
    if 1900 < value.year < 2199:  # the common case: no datetime built to compare
        return value
    if not _EARLIEST <= value.replace(tzinfo=None) < _LATEST:
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


def _currency(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    code = value.upper()
    if code != SHOP_CURRENCY:
        raise ValueError(f"is {code}; Beacon counts money in {SHOP_CURRENCY} and converts nothing")
    return code


def _problem(model: str, field: str, message: str) -> ValidationError:
    """A whole-item rule's failure, placed on the field a person should fix (a plain
    ValueError in a model validator would name no field)."""
    error = PydanticCustomError("value_error", message)  # type: ignore[arg-type]
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=error, loc=(field,), input=None)]
    )


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Unix seconds of the range (as ``shared/validation.py``: beyond 2e10 pydantic would read
# milliseconds); text must start with a year (pydantic would read "20200101" as seconds).
_FIRST_SECOND, _END_SECOND = -2_208_816_000, 7_258_032_000


def _time_input(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not _FIRST_SECOND <= value < _END_SECOND:
            raise ValueError("must be between 1900-01-01 and 2200-01-01")
    elif isinstance(value, str) and not (value[:4].isdigit() and value[4:5] == "-"):
        raise ValueError("is not an ISO 8601 date or date-time")
    return value


UtcTime = Annotated[datetime, BeforeValidator(_time_input), AfterValidator(_utc)]
Email = Annotated[str | None, StringConstraints(max_length=254), AfterValidator(_email)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Text = Annotated[str | None, StringConstraints(max_length=64), AfterValidator(_blank_to_none)]


class _Input(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, coerce_numbers_to_str=True, extra="ignore", frozen=True
    )


class Customer(_Input):
    customer_id: Id | None = None
    name: Annotated[str | None, StringConstraints(min_length=1, max_length=200)] = None
    email: Email = None
    phone: Annotated[str | None, StringConstraints(max_length=32), AfterValidator(_phone)] = None
    city: Annotated[
        str | None, StringConstraints(max_length=100), AfterValidator(_blank_to_none)
    ] = None
    created_at: UtcTime | None = None
    accepts_email_marketing: StrictBool | None = None
    accepts_sms_marketing: StrictBool | None = None
    accepts_whatsapp_marketing: StrictBool | None = None
    consent_at: UtcTime | None = None
    consent_source: Text = None

    @model_validator(mode="after")
    def _identified(self) -> Customer:
        if self.customer_id is None and self.email is None:
            raise _problem("Customer", "customer_id", "a customer needs a customer_id or an email")
        return self


class LineItem(_Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    sku: Text = None
    quantity: Annotated[StrictInt, Field(ge=0, le=1_000_000)] = 1
    price: Money | None = None


class Order(_Input):
    order_id: Id
    customer_id: Id | None = None
    customer_email: Email = None
    customer_name: Annotated[
        str | None, StringConstraints(max_length=200), AfterValidator(_blank_to_none)
    ] = None
    amount: Money
    status: Literal[
        "paid", "pending", "partially_refunded", "refunded", "cancelled", "voided", "failed"
    ] = "paid"
    refunded_amount: Money | None = None
    ordered_at: UtcTime
    updated_at: UtcTime | None = None
    currency: Annotated[str | None, AfterValidator(_currency)] = None
    line_items: Annotated[list[LineItem], Field(max_length=MAX_LINE_ITEMS)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Order:
        if self.customer_id is None and self.customer_email is None:
            raise _problem(
                "Order", "customer_id", "an order needs a customer_id or a customer_email"
            )
        refunded = self.refunded_amount
        if refunded is not None and refunded > self.amount:
            raise _problem("Order", "refunded_amount", "is larger than the order's amount")
        if self.status == "partially_refunded" and refunded is None:
            raise _problem(
                "Order", "refunded_amount", "a partially_refunded order needs its refunded_amount"
            )
        return self


MODELS: dict[str, type[_Input]] = {"customers": Customer, "orders": Order}
# Fields whose bad value is dropped with a warning (the row is kept without it): what a
# shop's export gets wrong most (a landline in the phone column) and what no rule needs.
OPTIONAL: dict[str, frozenset[str]] = {
    "customers": frozenset({"phone", "city", "consent_source"}),
    "orders": frozenset({"customer_name", "line_items"}),
}

Problem = tuple[str, str]


def check(
    kind: str, item: dict[str, Any], problems: list[Problem], warnings: list[Problem]
) -> bool:
    """Apply the API's rules to ``item`` (changed in place: refused optional fields and line
    items are dropped, with a warning each). True when the API would accept what is left;
    otherwise the reasons are appended to ``problems``."""
    validator = MODELS[kind].__pydantic_validator__
    optional = OPTIONAL[kind]
    for _ in range(2):  # once more after dropping optional fields: the rest may still fail
        try:
            validator.validate_python(item)
            return not problems
        except ValidationError as error:
            dropped = False
            bad_lines: set[int] = set()
            for e in error.errors(include_url=False):
                loc = e["loc"]
                message = e["msg"].removeprefix("Value error, ")
                if e["type"] == "missing":  # blank cells are left out of the item
                    message = "is missing (nothing in its column)"
                name = str(loc[0]) if loc else ""
                if name == "line_items" and len(loc) > 1 and isinstance(loc[1], int):
                    bad_lines.add(loc[1])
                    where = ".".join(str(part) for part in loc[2:])
                    warnings.append((f"line_items[{loc[1]}]", f"dropped: {where} {message}"))
                elif name in optional and name in item:
                    del item[name]
                    warnings.append((name, f"dropped: {message}"))
                    dropped = True
                else:
                    problems.append((name or "(row)", message))
            if bad_lines:
                lines = item["line_items"]
                item["line_items"] = [x for i, x in enumerate(lines) if i not in bad_lines]
                dropped = True
            if problems or not dropped:
                return False
    problems.append(("(row)", "refused by the API's rules"))
    return False
