"""What an order is worth to a profile: the one rule ingest, segments and the importers share.

Spend is money kept: paid, partially refunded and refunded orders count their amount less
what was refunded; pending, cancelled, voided and failed orders count nothing (a pending
cash-on-delivery order's money counts once it is paid). Visits count placed orders: every
status but cancelled, voided and failed. An order sent without a status is ``paid``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

STATUSES: Final = (
    "paid",
    "pending",
    "partially_refunded",
    "refunded",
    "cancelled",
    "voided",
    "failed",
)
KEEPS_MONEY: Final = frozenset({"paid", "partially_refunded", "refunded"})
NOT_A_VISIT: Final = frozenset({"cancelled", "voided", "failed"})
_ZERO = Decimal(0)


def kept(status: str, amount: Decimal, refunded: Decimal) -> Decimal:
    """The money an order leaves with the shop, as profiles count it."""
    return amount - refunded if status in KEEPS_MONEY else _ZERO


def is_visit(status: str) -> bool:
    return status not in NOT_A_VISIT
