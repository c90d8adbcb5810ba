"""From an ``audience.batch`` recipient to the message delivery will send them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.delivery.domain.events import message_id
from services.delivery.domain.status import Status
from shared.template import Template, render

MAX_ADDRESS = 254
NO_ADDRESS = "recipient has neither an email address nor a phone number"


@dataclass(frozen=True)
class Message:
    message_id: str
    campaign_id: str
    customer_id: str
    to: str | None
    body: str
    status: Status  # PENDING, or FAILED at once when there is nowhere to send it
    reason: str | None = None


def address(recipient: Mapping[str, Any]) -> str | None:
    """Where to send: the email address, else the phone number, else nowhere."""
    for key in ("email", "phone"):
        value = recipient.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_ADDRESS]
    return None


def plan_messages(
    campaign_id: str, template: Template, recipients: Iterable[Mapping[str, Any]]
) -> list[Message]:
    """One message per distinct customer (the first copy of a repeated one)."""
    planned: dict[str, Message] = {}
    for recipient in recipients:
        customer_id = str(recipient["customer_id"])
        if customer_id in planned:
            continue
        to = address(recipient)
        planned[customer_id] = Message(
            message_id=message_id(campaign_id, customer_id),
            campaign_id=campaign_id,
            customer_id=customer_id,
            to=to,
            body=render(template, recipient),
            status=Status.PENDING if to else Status.FAILED,
            reason=None if to else NO_ADDRESS,
        )
    return list(planned.values())
