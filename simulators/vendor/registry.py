"""What the simulated vendor remembers: every message id it accepted, and its fate.

A message id seen before is acknowledged again but not delivered again: that is the
vendor-side dedupe that makes the sender's retries harmless. The outcome of a message is
decided from (seed, message_id) alone, so a re-sent message gets the outcome it had, and a
run is repeatable.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

FAILURE_REASONS = (
    "mailbox full",
    "number not reachable",
    "recipient unknown",
    "blocked by carrier",
    "rejected as spam",
)


def outcome(seed: int, message_id: str, failure_ratio: float) -> tuple[str, str | None]:
    """``("SENT", None)`` or ``("FAILED", reason)``, the same every time for the same input."""
    digest = hashlib.sha256(f"{seed}:{message_id}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    if draw < failure_ratio:
        return "FAILED", FAILURE_REASONS[digest[8] % len(FAILURE_REASONS)]
    return "SENT", None


@dataclass
class MessageRecord:
    received: int  # how many times a send request carried it
    delivered: int  # how many times it was delivered (and a receipt scheduled): 0 or 1
    status: str
    reason: str | None


@dataclass(frozen=True)
class Fresh:
    """A message new to the vendor, to be delivered and called back about."""

    message_id: str
    status: str
    reason: str | None


class Registry:
    def __init__(self, seed: int, failure_ratio: float, *, remember: int = 2_000_000) -> None:
        self.seed = seed
        self.failure_ratio = failure_ratio
        # Insertion-ordered: past ``remember`` ids the oldest is forgotten (bounded memory).
        self.messages: dict[str, MessageRecord] = {}
        self.remember = remember
        self.forgotten = 0
        self.received = 0
        self.duplicates = 0
        self.by_status: Counter[str] = Counter()

    def accept(self, message_ids: list[str]) -> list[Fresh]:
        """Record one accepted request; return the messages it is the first to carry."""
        fresh: list[Fresh] = []
        for message_id in message_ids:
            self.received += 1
            record = self.messages.get(message_id)
            if record is not None:
                record.received += 1
                self.duplicates += 1
                continue
            status, reason = outcome(self.seed, message_id, self.failure_ratio)
            self.messages[message_id] = MessageRecord(1, 1, status, reason)
            if len(self.messages) > self.remember:
                del self.messages[next(iter(self.messages))]
                self.forgotten += 1
            self.by_status[status] += 1
            fresh.append(Fresh(message_id, status, reason))
        return fresh

    def message(self, message_id: str) -> dict[str, Any] | None:
        record = self.messages.get(message_id)
        if record is None:
            return None
        return {
            "message_id": message_id,
            "received": record.received,
            "delivered": record.delivered,
            "status": record.status,
            "reason": record.reason,
        }

    def stats(self) -> dict[str, Any]:
        delivered = [r.delivered for r in self.messages.values()]
        return {
            "received": self.received,
            "unique": len(self.messages) + self.forgotten,
            "forgotten": self.forgotten,
            "duplicates": self.duplicates,
            "by_status": {"SENT": self.by_status["SENT"], "FAILED": self.by_status["FAILED"]},
            "delivered": sum(delivered),
            "max_delivered": max(delivered, default=0),
            "max_received": max((r.received for r in self.messages.values()), default=0),
        }
