"""A real messaging provider as a channel: Twilio for SMS today (``BEACON_SMS_PROVIDER``).

Each message is one provider call (at most ``send_concurrency`` at once, paced by the
provider's rate limit). What the provider answers (providers/base.py) decides:
- accepted: marked handed over; the final status comes by its signed status webhook;
- rejected: FAILED now, with the provider's reason;
- outcome unknown: FAILED now with reason ``outcome_unknown`` and never sent again (the
  provider takes no idempotency key, so a second try could reach the person twice);
- unavailable: retried with back-off (never sooner than its ``Retry-After``) until the
  deadline, then left PENDING and unmarked for the work item's redelivery, which parks it
  after ``BEACON_DELIVERY_LIMIT`` deliveries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from services.delivery.channels import ChannelResult, Outcome, collect
from services.delivery.domain.pacing import TokenBucket
from services.delivery.metrics import VENDOR_ERRORS
from services.delivery.providers import base
from services.delivery.providers.twilio import TwilioClient
from services.delivery.settings import DeliverySettings
from services.delivery.store.log import Outgoing
from shared.logging import get_logger

log = get_logger(__name__)


class Client(Protocol):
    async def send(self, message: base.Outgoing) -> base.Accepted: ...

    async def close(self) -> None: ...


class ProviderChannel:
    def __init__(
        self,
        client: Client,
        *,
        name: str,
        concurrency: int,
        rate_limit: float,
        backoff_base_s: float,
        backoff_max_s: float,
    ) -> None:
        self._client = client
        self._name = name
        self._slots = asyncio.Semaphore(concurrency)
        self._bucket = TokenBucket(rate_limit)
        self._wait = wait_exponential_jitter(
            multiplier=backoff_base_s, max=backoff_max_s, jitter=backoff_base_s
        )

    async def send(self, batch: Sequence[Outgoing], *, deadline: float) -> ChannelResult:
        return collect(batch, await asyncio.gather(*(self._send_one(m, deadline) for m in batch)))

    async def _send_one(self, message: Outgoing, deadline: float) -> Outcome:
        loop = asyncio.get_running_loop()
        outgoing = base.Outgoing(message_id=message.message_id, to=message.to, body=message.body)

        def retry_after(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return error.retry_after_s if isinstance(error, base.Unavailable) else 0.0

        def past_deadline(state: RetryCallState) -> bool:
            return loop.time() + state.upcoming_sleep > deadline

        def count_retry(state: RetryCallState) -> None:
            VENDOR_ERRORS.labels("retried").inc()

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(base.Unavailable),
            # Exponential with jitter, never sooner than the provider's Retry-After.
            wait=lambda state: max(self._wait(state), retry_after(state)),
            stop=past_deadline,
            before_sleep=count_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._attempt(outgoing)
        except base.Rejected as error:
            return "refused" if error.suppress else "failed", (
                f"{self._name} rejected: {error}"[:500]
            )
        except base.OutcomeUnknown as error:
            VENDOR_ERRORS.labels("unknown").inc()
            log.error("provider_outcome_unknown", message_id=message.message_id, error=str(error))
            return "failed", f"{self._name} outcome_unknown (not resent): {error.detail}"[:500]
        except base.Unavailable as error:
            return "retry", f"{self._name} unavailable: {error}"[:500]
        return "accepted", ""

    async def _attempt(self, outgoing: base.Outgoing) -> None:
        async with self._slots:
            wait = self._bucket.reserve(1, asyncio.get_running_loop().time())
            if wait > 0:
                await asyncio.sleep(wait)
            await self._client.send(outgoing)

    async def close(self) -> None:
        await self._client.close()


def sms_channel(settings: DeliverySettings) -> ProviderChannel | None:
    """The SMS provider ``BEACON_SMS_PROVIDER`` names, or None for the vendor simulator."""
    if settings.sms_provider != "twilio":
        return None
    public = settings.delivery_public_url.rstrip("/")
    client = TwilioClient(
        api_url=settings.twilio_api_url,
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        sender=settings.twilio_sender,
        callback_url=f"{public}/api/v1/webhooks/twilio",
        timeout_s=settings.provider_timeout_s,
        max_connections=settings.send_concurrency,
    )
    return ProviderChannel(
        client,
        name="twilio",
        concurrency=settings.send_concurrency,
        rate_limit=settings.send_rate_limit,
        backoff_base_s=settings.send_backoff_base_s,
        backoff_max_s=settings.send_backoff_max_s,
    )
