"""What every channel provider's client answers, so the sender treats them alike.

A send ends one of four ways:
- accepted: the provider took the message (its own id kept for its webhooks);
- :class:`Rejected`: it refused this message for good (a bad number, an opted-out
  person, a template that does not exist): the message is FAILED with the reason;
- :class:`Unavailable`: nothing was sent and it may work later (rate limits, the provider
  down, our credentials refused): the work item goes back to the queue and, after
  ``BEACON_DELIVERY_LIMIT`` deliveries, is parked;
- :class:`OutcomeUnknown`: the request may have reached the provider (a read timeout, a
  5xx that does not say nothing was sent). None of these providers takes an idempotency
  key, so sending again could message the person twice: the message is FAILED with reason
  ``outcome_unknown`` and never retried. A person is never messaged twice for a campaign.

Retries inside one delivery happen only where the provider's answer proves nothing was
sent (a connection refused, a 429, a throughput error code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sends it (already rendered, consent already checked)."""

    message_id: str  # Beacon's id: the provider echoes it, or it is in the callback URL
    to: str  # E.164, with the leading +
    body: str = ""  # SMS text
    template: str | None = None  # WhatsApp template name, DLT template id
    language: str | None = None  # WhatsApp template language code
    params: tuple[str, ...] = field(default_factory=tuple)  # template variables, in order


@dataclass(frozen=True)
class Accepted:
    provider_id: str


class ProviderError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Rejected(ProviderError):
    """This message will never be taken as it is."""

    def __init__(self, reason: str, detail: str = "", *, suppress: bool = False) -> None:
        super().__init__(reason, detail)
        self.suppress = suppress  # the person opted out or the address is dead


class Unavailable(ProviderError):
    """Nothing was sent; try the work item again later."""

    def __init__(self, reason: str, detail: str = "", *, retry_after_s: float = 0.0) -> None:
        super().__init__(reason, detail)
        self.retry_after_s = retry_after_s


class OutcomeUnknown(ProviderError):
    """The provider may have sent it: never send it again."""


def e164_digits(number: str) -> str:
    """``+919812345678`` → ``919812345678`` (what WhatsApp and Indian SMS gateways take)."""
    return number[1:] if number.startswith("+") else number


async def post(http: httpx.AsyncClient, url: str, **request: Any) -> httpx.Response:
    """One provider call: a connection that never opened is :class:`Unavailable` (nothing
    was sent); any other transport failure (a timeout, a dropped reply) may have reached
    the provider, so it is :class:`OutcomeUnknown`."""
    try:
        return await http.post(url, **request)
    except httpx.ConnectError as error:
        raise Unavailable("provider_unreachable", str(error)) from None
    except httpx.HTTPError as error:
        raise OutcomeUnknown("outcome_unknown", repr(error)) from None
