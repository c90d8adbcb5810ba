"""Customers and orders as a shop sends them, validated.

Times are normalised to UTC (a time without an offset is taken as UTC). Text is stripped.
Ids are opaque strings compared exactly (numbers are accepted and turned into strings).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.validation import UtcTime

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{2,30}$")


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
