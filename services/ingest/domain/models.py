"""Customers and orders as a shop sends them, validated.

Times are normalised to UTC (a time without an offset is taken as UTC). Text is stripped.
Ids are opaque strings compared exactly (numbers are accepted and turned into strings).
Emails are compared without regard to case (``identity.normalise_email``).

A field left out of a customer keeps what is stored; ``null`` clears it. So the models
remember which fields were sent (pydantic's ``model_fields_set``), and the events carry
only those (``exclude_unset``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal, Self

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

from shared.validation import UtcTime

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{2,30}$")

# What the OpenAPI document says of text, so a generator following it makes only values
# taken here. Text is stripped of Unicode White_Space first (pydantic's strip), so:
_WS = r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_BLANK = _WS.replace("[", "[^", 1)  # somewhere a character strip keeps
# _EMAIL and _PHONE around what strip removes; empty means none. A phone ends in no space
# (stripped), so its last character is not one.
EMAIL_PATTERN = f"^{_WS}*([^@\\s]+@[^@\\s]+\\.[^@\\s]+)?{_WS}*$"
PHONE_PATTERN = f"^{_WS}*(\\+?[0-9][0-9 ()\\-.]{{1,29}}[0-9()\\-.])?{_WS}*$"
# Money is counted in the shop's currency only: an order in another one is refused, never
# converted (README: amounts are INR).
SHOP_CURRENCY = "INR"
MAX_LINE_ITEMS = 500

# shared.spend.STATUSES, spelled as a type (a test checks they agree).
OrderStatus = Literal[
    "paid", "pending", "partially_refunded", "refunded", "cancelled", "voided", "failed"
]


def _email(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _phone_input(value: object) -> object:
    """A phone sent as a number must be a whole one (as text, "1.5" would pass for one)."""
    if isinstance(value, float):
        raise ValueError("is not a phone number (send it as text)")
    return value


def _phone(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not _PHONE.match(value):
        raise ValueError("is not a phone number (digits, spaces, + ( ) - . allowed)")
    return value


def _blank_to_none(value: str | None) -> str | None:
    return value or None


def _problem(model: str, field: str, message: str) -> ValidationError:
    """A whole-item rule's failure, placed on the field a person should fix (a plain
    ValueError in a model validator would name no field)."""
    error = PydanticCustomError("value_error", message)  # type: ignore[arg-type]
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=error, loc=(field,), input=None)]
    )


def _currency(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    code = value.upper()
    if code != SHOP_CURRENCY:
        raise ValueError(f"is {code}; Beacon counts money in {SHOP_CURRENCY} and converts nothing")
    return code


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(json_schema_extra={"pattern": NOT_BLANK}),
]
Email = Annotated[
    str | None,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    Field(json_schema_extra={"pattern": EMAIL_PATTERN}),
]
# At most 12 digits before the point and 2 after (DECIMAL(14, 2)).
Money = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=14,
        decimal_places=2,
        json_schema_extra={"pattern": r"^[0-9]{1,12}(\.[0-9]{0,2})?$", "exclusiveMaximum": 1e12},
    ),
]
Source = Annotated[str | None, StringConstraints(max_length=64), AfterValidator(_blank_to_none)]


class _Input(BaseModel):
    model_config = ConfigDict(
        str_strip_whitespace=True, coerce_numbers_to_str=True, extra="ignore", frozen=True
    )


class Customer(_Input):
    customer_id: Id | None = Field(
        default=None, description="the shop's own id; left out, the email (lower case) is the id"
    )
    name: Annotated[str | None, StringConstraints(min_length=1, max_length=200)] = Field(
        default=None,
        description="left out: kept; for a new customer, the email's local part (or the id)",
        json_schema_extra={"pattern": NOT_BLANK},
    )
    email: Email = None
    phone: Annotated[
        str | None,
        StringConstraints(max_length=32),
        BeforeValidator(_phone_input),
        AfterValidator(_phone),
    ] = Field(
        default=None,
        description="digits, spaces, + ( ) - . (3 to 32 characters), or a whole number",
        json_schema_extra={"pattern": PHONE_PATTERN},
    )
    city: Annotated[
        str | None, StringConstraints(max_length=100), AfterValidator(_blank_to_none)
    ] = None
    created_at: UtcTime | None = None
    accepts_email_marketing: StrictBool | None = None
    accepts_sms_marketing: StrictBool | None = None
    accepts_whatsapp_marketing: StrictBool | None = None
    consent_at: UtcTime | None = Field(
        default=None, description="when the consent given here was given (default: when stored)"
    )
    consent_source: Source = Field(
        default=None, description="where it was given, e.g. shopify, checkout (default: api)"
    )

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if self.customer_id is None and self.email is None:
            raise _problem("Customer", "customer_id", "a customer needs a customer_id or an email")
        return self


class LineItem(_Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(
        json_schema_extra={"pattern": NOT_BLANK}
    )
    sku: Annotated[str | None, StringConstraints(max_length=64), AfterValidator(_blank_to_none)] = (
        None
    )
    quantity: Annotated[StrictInt, Field(ge=0, le=1_000_000)] = 1
    price: Money | None = None


class Order(_Input):
    order_id: Id
    customer_id: Id | None = None
    customer_email: Email = Field(
        default=None, description="names the customer by email when there is no customer_id"
    )
    customer_name: Annotated[
        str | None, StringConstraints(max_length=200), AfterValidator(_blank_to_none)
    ] = Field(default=None, description="the buyer's name, for a guest order's new customer")
    amount: Money = Field(description="the order's total, in INR")
    status: OrderStatus = "paid"
    refunded_amount: Money | None = Field(
        default=None, description="refunded so far (a refunded order without it: all of it)"
    )
    ordered_at: UtcTime
    updated_at: UtcTime | None = Field(
        default=None, description="when the shop last changed it; older than stored is ignored"
    )
    currency: Annotated[str | None, AfterValidator(_currency)] = Field(
        default=None, json_schema_extra={"pattern": f"^{_WS}*([Ii][Nn][Rr])?{_WS}*$"}
    )
    line_items: Annotated[list[LineItem], Field(max_length=MAX_LINE_ITEMS)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
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

    @property
    def refunded(self) -> Decimal:
        """What was given back: as sent, or all of it for a refunded order sent without."""
        if self.refunded_amount is not None:
            return self.refunded_amount
        return self.amount if self.status == "refunded" else Decimal(0)
