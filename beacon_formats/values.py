"""One cell into one API value: text, money, yes/no. A cell that cannot be read raises
:class:`~beacon_formats.errors.Unreadable` with a reason; nothing is guessed.

Every reader takes what a CSV cell or a JSON value holds (a str, a number, a bool, None) and
returns None for "nothing there" (a blank cell), so a blank never overwrites a stored value.
"""

from __future__ import annotations

import re
from typing import Any

from beacon_formats.errors import Unreadable

# Spreadsheet programs keep text that looks like a number or a formula as text with a
# leading apostrophe ('+91..., '7210448300003) or as a formula ="00123"; both are stripped.
_FORMULA_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def text(value: Any) -> str | None:
    """The cell as stripped text without a spreadsheet's leading quote; None when blank."""
    if type(value) is not str:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | dict):
            raise Unreadable("is a list or an object, not a single value")
        value = str(value)
    value = value.strip()
    if not value:
        return None
    first = value[0]
    if first == "'":
        value = value[1:].strip()
    elif first == "=" and value[1:2] == '"':
        found = _FORMULA_TEXT.match(value)
        if found:
            value = found[1].strip()
    return value or None


def joined(*parts: Any) -> str | None:
    """Cells joined by a space (First Name + Last Name), None when all are blank."""
    found = [t for t in (text(p) for p in parts) if t]
    return " ".join(found) or None


# --- money -----------------------------------------------------------------------------

# Currency words and symbols, longest first, compared in lower case, with their ISO code.
_CURRENCIES = (
    ("rs.", "INR"),
    ("inr", "INR"),
    ("rs", "INR"),
    ("₹", "INR"),
    ("usd", "USD"),
    ("us$", "USD"),
    ("$", "USD"),
    ("eur", "EUR"),
    ("€", "EUR"),
    ("gbp", "GBP"),
    ("£", "GBP"),
)
_PLAIN = re.compile(r"\d+(?:\.\d{1,2})?")
_NUMBER = re.compile(r"-?[0-9.,]+")
_DOT_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_WESTERN = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_INDIAN = re.compile(r"-?\d{1,2}(?:,\d{2})*,\d{3}(?:\.\d+)?")  # 1,49,999.00
_COMMA_DECIMAL = re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")  # 1.234,56
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")


def money(value: Any, decimal_comma: bool = False) -> tuple[str, str | None] | None:
    """``(amount, currency)``: the amount as plain decimal text and the currency its symbol
    names (None when it names none); None for a blank cell.

    ``₹1,49,999.00``, ``Rs. 1,250/-``, ``INR 2,499``, ``1,299.00`` read as they say. A comma
    that is no thousands separator (``378,00``, ``1.234,56``) reads two ways and is refused
    unless ``decimal_comma`` (then ``.`` groups thousands and ``,`` is the decimal point);
    so is ``1.234``, which a decimal-comma file means as 1234.
    """
    if type(value) is not str:
        if isinstance(value, bool):
            raise Unreadable(f"{value!r} is not an amount")
        if isinstance(value, int | float):
            return str(value), None
    raw = text(value)
    if raw is None:
        return None
    if _PLAIN.fullmatch(raw) and not (decimal_comma and "." in raw):
        return raw, None  # the common case costs one match
    number, currency = _without_currency(raw)
    number = number.translate(_SPACES)
    if number.endswith("/-"):  # "Rs. 1,250/-": rupees, no paise
        number = number[:-2]
    if not _NUMBER.fullmatch(number) or not any(ch.isdigit() for ch in number):
        raise Unreadable(f"{raw!r} is not an amount")
    if decimal_comma:
        if _COMMA_DECIMAL.fullmatch(number):
            return number.replace(".", "").replace(",", "."), currency
        raise Unreadable(
            f"{raw!r} is not an amount with a decimal comma (--decimal-comma reads 1.234,56)"
        )
    if _DOT_DECIMAL.fullmatch(number):
        whole, _, cents = number.partition(".")
        if len(cents) == 3 and whole.lstrip("-") not in ("", "0"):
            raise _two_ways(raw, number, number.replace(".", ""))  # 1.234: 1.234 or 1234
        return number, currency
    if _WESTERN.fullmatch(number) or _INDIAN.fullmatch(number):
        return number.replace(",", ""), currency
    if _COMMA_DECIMAL.fullmatch(number):
        raise _two_ways(raw, number.replace(".", "").replace(",", "."), number.replace(",", ""))
    raise Unreadable(f"{raw!r} is not an amount")


def _without_currency(raw: str) -> tuple[str, str | None]:
    lower = raw.lower()
    for mark, code in _CURRENCIES:
        if lower.startswith(mark):
            return raw[len(mark) :].strip(), code
        if lower.endswith(mark):
            return raw[: -len(mark)].strip(), code
    return raw, None


def _two_ways(raw: str, one: str, other: str) -> Unreadable:
    return Unreadable(
        f"{raw!r} reads two ways: {one} or {other}; "
        "pass --decimal-comma if the file uses decimal commas"
    )


# --- yes / no --------------------------------------------------------------------------

_YES = frozenset(("yes", "y", "true", "t", "1", "subscribed", "opted in", "opt-in", "on"))
_NO = frozenset(
    ("no", "n", "false", "f", "0", "not subscribed", "unsubscribed", "opted out", "off")
)


def flag(value: Any) -> bool | None:
    """yes/no, true/false, 1/0 (and subscribed/unsubscribed) as a bool; None when blank."""
    if isinstance(value, bool):
        return value
    word = text(value)
    if word is None:
        return None
    word = word.lower().replace("_", " ")
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise Unreadable(f"{word!r} is neither yes nor no")


def whole_number(value: Any) -> int | None:
    """A count (a line item's quantity): ``2``, ``2.0``; None when blank."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raw = text(value)
    if raw is None:
        return None
    whole, dot, rest = raw.partition(".")
    if whole.isdigit() and (not dot or rest.strip("0") == ""):
        return int(whole)
    raise Unreadable(f"{raw!r} is not a whole number")
