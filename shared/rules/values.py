"""Value normalisation shared by the parser and both evaluators.

Rule operands: `to_money`, `to_integer`, `to_days`, `to_date`, `to_text` turn a
raw JSON value (react-querybuilder sends numbers as strings too) into the
canonical Python type, raising `ValueError` with a user-facing message.

Profile values: `to_utc`, `to_epoch_us` and `to_paise` are the exact integer
encodings the columnar evaluator stores, so it compares the same numbers the
reference evaluator does (no float rounding anywhere).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from .fields import MAX_ABS_NUMBER, MAX_DAYS, MAX_TEXT_LENGTH, FieldType

Scalar = Decimal | int | datetime | str

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
DAY_US = 86_400 * 1_000_000
_TWO_PLACES = Decimal("0.01")


def to_number(raw: object) -> Decimal:
    if isinstance(raw, bool):  # bool is an int subclass; `> true` is never meant
        raise ValueError("expected a number, got a boolean")
    if isinstance(raw, Decimal):
        d = raw
    elif isinstance(raw, int):
        d = Decimal(raw)
    elif isinstance(raw, float):
        d = Decimal(repr(raw))  # shortest repr: 0.1 → Decimal("0.1"), not its binary
    elif isinstance(raw, str):
        try:
            d = Decimal(raw.strip())
        except InvalidOperation:
            raise ValueError(f"{raw!r} is not a number") from None
    else:
        raise ValueError(f"expected a number, got {type(raw).__name__}")
    if not d.is_finite():
        raise ValueError("must be a finite number")
    if abs(d) > MAX_ABS_NUMBER:
        raise ValueError(f"must be between -{MAX_ABS_NUMBER} and {MAX_ABS_NUMBER}")
    return d


def to_money(raw: object) -> Decimal:
    d = to_number(raw)
    # Amounts are DECIMAL(_, 2): refusing sub-paise thresholds keeps SQL, Python and
    # the int64-paise columns exactly equal instead of each rounding its own way.
    if d.quantize(_TWO_PLACES) != d:
        raise ValueError("money has at most 2 decimal places")
    return d


def to_integer(raw: object) -> int:
    d = to_number(raw)  # accepts 3, 3.0, "3", "3.0", "3e0"
    if d != d.to_integral_value():
        raise ValueError("expected a whole number")
    return int(d)


def to_days(raw: object) -> int:
    days = to_integer(raw)
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 0 and {MAX_DAYS}")
    return days


def to_date(raw: object) -> datetime:
    if isinstance(raw, datetime):
        dt = raw
    elif isinstance(raw, date):
        dt = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, str):
        try:
            dt = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not an ISO 8601 date or datetime") from None
    else:
        raise ValueError(f"expected an ISO 8601 date string, got {type(raw).__name__}")
    try:
        return to_utc(dt)
    except OverflowError:
        raise ValueError("date out of range") from None


def to_text(raw: object) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # a phone number typed into a number box
    if not isinstance(raw, str):
        raise ValueError(f"expected text, got {type(raw).__name__}")
    s = raw.strip()
    # An empty operand is almost always an unfinished rule in the UI (and
    # "contains ''" would match everyone); "is empty" is the way to ask for NULL.
    if not s:
        raise ValueError("must not be empty")
    if len(s) > MAX_TEXT_LENGTH:
        raise ValueError(f"must be at most {MAX_TEXT_LENGTH} characters")
    return s


SCALAR_CONVERTERS: dict[FieldType, Callable[[object], Scalar]] = {
    "number": to_money,
    "integer": to_integer,
    "date": to_date,
    "text": to_text,
}


# --- encodings of profile values ------------------------------------------------------


def to_utc(dt: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already (as in the DB)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_epoch_us(dt: datetime) -> int:
    """Exact microseconds since 1970-01-01 UTC (DATETIME(6) precision)."""
    return (to_utc(dt) - EPOCH) // _ONE_US


def to_paise(amount: Decimal | int) -> int:
    """Exact int paise of an INR amount; more than 2 decimal places is an error."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be Decimal or int, got {type(amount).__name__}")
    paise = Decimal(amount).scaleb(2)
    if paise != paise.to_integral_value():
        raise ValueError(f"{amount} has more than 2 decimal places")
    return int(paise)
