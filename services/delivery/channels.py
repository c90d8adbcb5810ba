"""The channel adapters the sender sends through: one per campaign channel.

``sms`` is the vendor simulator (``vendor_client.py``): it takes a batch with a 202 and
reports each message's fate later by signed receipt. ``email`` is SMTP
(``smtp_channel.py``): the server's answer to each message is final at once (2xx sent,
5xx failed). An adapter answers a :class:`ChannelResult`; a batch refused for good raises
``VendorRejected``, and a provider unreachable past the deadline ``VendorUnavailable`` (the
sender hands the work item back, and the queue parks it after its delivery limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from services.delivery.store.log import Outgoing
from services.delivery.vendor_client import VendorClient


@dataclass
class ChannelResult:
    # Taken by the provider; the final status comes later by receipt (the vendor).
    accepted: list[Outgoing] = field(default_factory=list)
    # Final now: the provider took it for delivery (SMTP 2xx) ...
    sent: list[Outgoing] = field(default_factory=list)
    # ... or refused it for good (SMTP 5xx), with why.
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)
    # Of the failed, the people the provider says cannot or will not get this channel
    # (segments suppresses them on it).
    refused: list[Outgoing] = field(default_factory=list)
    # Some messages are still unsent after transient errors until the deadline: why. They
    # stay PENDING and unmarked, so the redelivered work item sends only them.
    retry: str | None = None


# What became of one message of a batch: taken (its fate comes later by receipt), sent
# (final now), failed (final now, with the reason), refused (failed, and the person is to
# be suppressed on the channel) or retry (still unsent, with why).
Outcome = tuple[Literal["accepted", "sent", "failed", "refused", "retry"], str]


def collect(batch: Sequence[Outgoing], outcomes: Sequence[Outcome]) -> ChannelResult:
    """One result for a batch from each of its messages' outcomes, in order."""
    result = ChannelResult()
    for message, (status, reason) in zip(batch, outcomes, strict=True):
        if status == "accepted":
            result.accepted.append(message)
        elif status == "sent":
            result.sent.append(message)
        elif status in ("failed", "refused"):
            result.failed.append((message, reason))
            if status == "refused":
                result.refused.append(message)
        else:
            result.retry = reason
    return result


class Channel(Protocol):
    async def send(self, batch: Sequence[Outgoing], *, deadline: float) -> ChannelResult: ...

    async def close(self) -> None: ...


class VendorChannel:
    """The vendor simulator (sms): one POST per batch, receipts later."""

    def __init__(self, client: VendorClient) -> None:
        self._client = client

    async def send(self, batch: Sequence[Outgoing], *, deadline: float) -> ChannelResult:
        await self._client.send(batch, deadline=deadline)
        return ChannelResult(accepted=list(batch))

    async def close(self) -> None:
        await self._client.close()
