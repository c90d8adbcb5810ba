"""The life of one message in ``communications_log`` and how receipts move it.

A message is created ``PENDING``; the vendor's receipt makes it ``SENT`` or ``FAILED``, and a
final status never changes again. Receipts arrive at least once and in any order (callback
retries, duplicate callbacks, redelivered events), so the rule is: the first final receipt
applied wins, every later one is a no-op. That makes applying receipts idempotent and
order-insensitive for a single receipt per message, and first-wins for conflicting ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Never to be sent: the campaign was cancelled before it was.
    CANCELLED = "CANCELLED"
    # Reserved by the contract for a later issue (control groups); never produced yet.
    HELD_OUT = "HELD_OUT"


FINAL: frozenset[Status] = frozenset(
    {Status.SENT, Status.FAILED, Status.CANCELLED, Status.HELD_OUT}
)
RECEIPT_STATUSES: frozenset[Status] = frozenset({Status.SENT, Status.FAILED})


@dataclass(frozen=True)
class Receipt:
    """The vendor's word on one message."""

    message_id: str
    status: Status
    at: datetime
    reason: str | None = None


def next_status(current: Status, receipt: Status) -> Status | None:
    """The status a message moves to when ``receipt`` is applied; None: nothing changes.

    Only ``PENDING`` moves, and only to a receipt's final status: a final status is never
    overwritten, and nothing ever moves back to ``PENDING``. Except ``CANCELLED``: a
    message the sender handed the vendor just before the campaign was cancelled did go,
    and the vendor's receipt says what became of it.
    """
    if current in (Status.PENDING, Status.CANCELLED) and receipt in RECEIPT_STATUSES:
        return receipt
    return None


def first_per_message(receipts: Iterable[Receipt]) -> dict[str, Receipt]:
    """The first receipt of each message, in the order given (a batch is applied this way:
    later receipts of the same message would be no-ops after the first one anyway)."""
    first: dict[str, Receipt] = {}
    for receipt in receipts:
        if receipt.status in RECEIPT_STATUSES:
            first.setdefault(receipt.message_id, receipt)
    return first


@dataclass
class Deltas:
    """Per-campaign counter changes for one ``delivery.updated`` event."""

    queued: int = 0
    sent: int = 0
    failed: int = 0
    # Rows now CANCELLED; negative when a receipt moved a cancelled row (it was in flight).
    cancelled: int = 0

    def count(self, status: Status, was: Status = Status.PENDING) -> None:
        if status is Status.SENT:
            self.sent += 1
        elif status is Status.FAILED:
            self.failed += 1
        elif status is Status.CANCELLED:
            self.cancelled += 1
        if was is Status.CANCELLED:
            self.cancelled -= 1

    def __bool__(self) -> bool:
        return bool(self.queued or self.sent or self.failed or self.cancelled)
