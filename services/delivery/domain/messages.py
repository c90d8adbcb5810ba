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
NO_EMAIL = "no_address: recipient has no email address"
MAX_SUBJECT = 500  # the log's column; a subject template is at most 200 before rendering


@dataclass(frozen=True)
class Message:
    message_id: str
    campaign_id: str
    customer_id: str
    to: str | None
    body: str
    status: Status  # PENDING, or FAILED at once when there is nowhere to send it
    reason: str | None = None
    subject: str | None = None  # an email's, rendered for the recipient


def email_address(recipient: Mapping[str, Any]) -> str | None:
    value = recipient.get("email")
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_ADDRESS]
    return None


def address(recipient: Mapping[str, Any]) -> str | None:
    """Where to send: the email address, else the phone number, else nowhere."""
    for key in ("email", "phone"):
        value = recipient.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_ADDRESS]
    return None


def plan_messages(
    campaign_id: str,
    template: Template,
    recipients: Iterable[Mapping[str, Any]],
    *,
    subject: Template | None = None,
) -> list[Message]:
    """One message per distinct customer (the first copy of a repeated one). With a
    ``subject`` it is an email: sent to the email address only, its subject rendered too
    (one line: a value's line break becomes a space)."""
    planned: dict[str, Message] = {}
    for recipient in recipients:
        customer_id = str(recipient["customer_id"])
        if customer_id in planned:
            continue
        to = address(recipient) if subject is None else email_address(recipient)
        planned[customer_id] = Message(
            message_id=message_id(campaign_id, customer_id),
            campaign_id=campaign_id,
            customer_id=customer_id,
            to=to,
            body=render(template, recipient),
            status=Status.PENDING if to else Status.FAILED,
            reason=None if to else (NO_ADDRESS if subject is None else NO_EMAIL),
            subject=None
            if subject is None
            else " ".join(render(subject, recipient).splitlines())[:MAX_SUBJECT],
        )
    return list(planned.values())
