"""The messages caught, newest first, at most ``keep`` of them, each parsed once."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True)
class Caught:
    id: int
    received_at: datetime
    envelope_from: str
    envelope_to: tuple[str, ...]
    raw: bytes
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body(preferencelist=(subtype,))
        return None if body is None else str(body.get_content())

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "from": str(self.message.get("From", self.envelope_from)),
            "to": list(self.envelope_to),
            "subject": self.subject,
            "message_id": str(self.message.get("Message-ID", "")),
            "size": len(self.raw),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "headers": [[k, str(v)] for k, v in self.message.items()],
            "text": self.part("plain"),
            "html": self.part("html"),
        }


class Inbox:
    def __init__(self, keep: int) -> None:
        self._messages: deque[Caught] = deque(maxlen=keep)
        self._ids = itertools.count(1)

    def add(self, envelope_from: str, envelope_to: list[str], raw: bytes) -> Caught:
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        caught = Caught(
            next(self._ids), datetime.now(UTC), envelope_from, tuple(envelope_to), raw, parsed
        )
        self._messages.appendleft(caught)
        return caught

    def all(self) -> list[Caught]:
        return list(self._messages)

    def get(self, message_id: int) -> Caught | None:
        return next((m for m in self._messages if m.id == message_id), None)

    def clear(self) -> None:
        self._messages.clear()
