"""beacon_formats' value readers, as tables: money, dates and their detection, spreadsheet
quotes, yes/no. No I/O."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from beacon_formats import FormatError
from beacon_formats.dates import DMY, ISO, MDY, DateReader, detect
from beacon_formats.errors import Unreadable
from beacon_formats.values import flag, money, text, whole_number

TWO_WAYS = "reads two ways"

# (cell, decimal_comma, expected (amount, currency) or the start of the refusal)
MONEY: list[tuple[Any, bool, Any]] = [
    ("1499.00", False, ("1499.00", None)),
    ("₹1,49,999.00", False, ("149999.00", "INR")),  # Indian grouping
    ("12,34,56,789.50", False, ("123456789.50", None)),
    ("1,299.00", False, ("1299.00", None)),  # western grouping
    ("1,234", False, ("1234", None)),
    ("Rs. 499", False, ("499", "INR")),
    ("Rs.1,250/-", False, ("1250", "INR")),  # "/-": rupees, no paise
    ("INR 2,499", False, ("2499", "INR")),
    ("₹ 899.50", False, ("899.50", "INR")),
    ("1499 INR", False, ("1499", "INR")),
    ("$12.50", False, ("12.50", "USD")),
    ("€10", False, ("10", "EUR")),
    ("£7.5", False, ("7.5", "GBP")),
    ("'378.00", False, ("378.00", None)),  # spreadsheet quote
    (" 42 ", False, ("42", None)),
    ("", False, None),
    (None, False, None),
    (1000, False, ("1000", None)),  # JSON numbers
    (10.5, False, ("10.5", None)),
    ("-10", False, ("-10", None)),  # read; the API's rule refuses it
    ("378,00", False, TWO_WAYS + ": 378.00 or 37800"),  # never a guess
    ("1.234,56", False, TWO_WAYS + ": 1234.56 or 1.23456"),
    ("1.234", False, TWO_WAYS + ": 1.234 or 1234"),
    ("12.345", False, TWO_WAYS),
    ("1 234,56", False, TWO_WAYS),
    ("1,2,3", False, "is not an amount"),
    ("abc", False, "is not an amount"),
    ("₹", False, "is not an amount"),
    (True, False, "is not an amount"),
    ("378,00", True, ("378.00", None)),  # --decimal-comma
    ("1.234,56", True, ("1234.56", None)),
    ("1.234", True, ("1234", None)),
    ("€ 1.234,5", True, ("1234.5", "EUR")),
    ("1 234,56", True, ("1234.56", None)),
    ("42", True, ("42", None)),
    ("378.50", True, "is not an amount with a decimal comma"),  # the flag contradicted
    ("1,299.00", True, "is not an amount with a decimal comma"),
]


@pytest.mark.parametrize(("cell", "decimal_comma", "expected"), MONEY)
def test_money(cell: Any, decimal_comma: bool, expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(Unreadable) as refused:
            money(cell, decimal_comma)
        assert expected in refused.value.reason
        if TWO_WAYS in expected:
            assert "--decimal-comma" in refused.value.reason
    else:
        assert money(cell, decimal_comma) == expected


TEXT: list[tuple[Any, str | None]] = [
    ("'7210448300003", "7210448300003"),  # Shopify's quoted ids and phones
    ("'+916815908301", "+916815908301"),
    ('="00123"', "00123"),  # Excel's formula-quoted text
    ("  Asha  ", "Asha"),
    ("'", None),
    ("", None),
    ("   ", None),
    (None, None),
    (7, "7"),
    ("D'Souza", "D'Souza"),  # only a leading quote is a spreadsheet's
]


@pytest.mark.parametrize(("cell", "expected"), TEXT)
def test_text(cell: Any, expected: str | None) -> None:
    assert text(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True),
        ("no", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("subscribed", True),
        ("not_subscribed", False),
        (True, True),
        ("", None),
        ("maybe", "neither yes nor no"),
    ],
)
def test_flag(cell: Any, expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(Unreadable, match=expected):
            flag(cell)
    else:
        assert flag(cell) is expected


@pytest.mark.parametrize(
    ("cell", "expected"), [("2", 2), ("2.0", 2), (3, 3), ("", None), ("2.5", "whole number")]
)
def test_whole_number(cell: Any, expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(Unreadable, match=expected):
            whole_number(cell)
    else:
        assert whole_number(cell) == expected


KOLKATA = ZoneInfo("Asia/Kolkata")
# (layout, cell, expected ISO text or the start of the refusal)
DATES: list[tuple[str, Any, str]] = [
    (ISO, "2024-02-21 07:55:00 +0530", "2024-02-21T07:55:00+05:30"),  # Shopify
    (ISO, "2024-02-21 07:55:00 -0500", "2024-02-21T07:55:00-05:00"),
    (ISO, "2025-04-01 10:28:17", "2025-04-01T10:28:17+05:30"),  # WooCommerce: shop time
    (ISO, "2024-12-12T07:38:06", "2024-12-12T07:38:06+05:30"),
    (ISO, "2026-01-01T10:00:00Z", "2026-01-01T10:00:00+00:00"),
    (ISO, "2024-03-25", "2024-03-25T00:00:00+05:30"),
    (ISO, "25/03/2024", "is not ISO 8601"),
    (ISO, "yesterday", "cannot read date"),
    (DMY, "25/03/2024", "2024-03-25T00:00:00+05:30"),
    (DMY, "05.11.2026 10:30", "2026-11-05T10:30:00+05:30"),
    (DMY, "05-11-2026 2:05 PM", "2026-11-05T14:05:00+05:30"),
    (DMY, "05/11/2026 10:30 +0000", "2026-11-05T10:30:00+00:00"),
    (DMY, "03/25/2024", "cannot read date"),  # month 25
    (DMY, "31/02/2024", "cannot read date"),
    (MDY, "03/25/2024", "2024-03-25T00:00:00+05:30"),
    (MDY, "12/31/2024 11:59 pm", "2024-12-31T23:59:00+05:30"),
    ("%d %b %Y", "21 Feb 2024", "2024-02-21T00:00:00+05:30"),  # --date-format
    ("%d/%m/%y", "21/02/24", "2024-02-21T00:00:00+05:30"),
    ("%d/%m/%Y", "2024-02-21", "cannot read date"),
]


@pytest.mark.parametrize(("layout", "cell", "expected"), DATES)
def test_dates(layout: str, cell: Any, expected: str) -> None:
    reader = DateReader(layout, KOLKATA)
    if expected[:1].isdigit():
        assert reader.iso(cell) == expected
    else:
        with pytest.raises(Unreadable, match=expected):
            reader.iso(cell)


def test_times_without_an_offset_are_read_in_the_zone_given() -> None:
    assert DateReader(ISO, ZoneInfo("Europe/London")).iso("2024-07-01 10:00") == (
        "2024-07-01T10:00:00+01:00"
    )
    assert DateReader(ISO, ZoneInfo("UTC")).iso("2024-07-01 10:00") == "2024-07-01T10:00:00+00:00"


# (the file's date cells in order, the detected layout or the start of the FormatError)
DETECTION: list[tuple[list[str], str]] = [
    (["2024-03-25 10:00", "03/04/2024"], ISO),  # the first date decides the family
    (["03/04/2024", "25/03/2024"], DMY),  # a first part above 12 settles day first
    (["03/04/2024", "03/25/2024"], MDY),  # a second part above 12 settles month first
    (["", "yesterday", "03/04/2024", "13.04.2024"], DMY),  # unreadable ones are the rows'
    (["01/02/2024", "03/04/2024", "12/12/2024"], "every date in the file reads two ways"),
    (["25/03/2024", "03/25/2024"], "the file's dates read two ways"),  # mixed: never a guess
    ([], ISO),
]


@pytest.mark.parametrize(("cells", "expected"), DETECTION)
def test_date_detection(cells: list[str], expected: str) -> None:
    lines = list(enumerate(cells, start=2))
    if expected in (ISO, DMY, MDY):
        assert detect(lines) == expected
    else:
        with pytest.raises(FormatError, match=expected) as stopped:
            detect(lines)
        assert stopped.value.hint and "--date-format" in stopped.value.hint
