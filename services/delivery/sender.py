"""The sender: ``delivery.send`` work items to their channel (the vendor simulator for sms,
SMTP for email: ``channels.py``), each message at most once accepted.

The audience consumer writes a batch's log rows and, in the same transaction, the work
items naming them (through the outbox), so RabbitMQ is the work queue and the log only the
record: no sender scans the log, locks rows or holds a lease (docs/performance.md,
Campaigns). ``send_concurrency`` items are worked on at once (the queue's prefetch); each is
paced by the rate limit, POSTed with retries (no transaction open meanwhile), marked
accepted, then acknowledged. A sender killed before the ack leaves the item to be
redelivered: its messages not yet marked are sent again with the same ids, which the vendor
dedupes. A vendor still unavailable after ``send_retry_window_s`` hands the item back to the
queue; after ``BEACON_DELIVERY_LIMIT`` deliveries it is parked in ``delivery.send.dlq``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from services.delivery import service
from services.delivery.channels import Channel, VendorChannel
from services.delivery.domain.pacing import TokenBucket
from services.delivery.metrics import MESSAGES_SENT, VENDOR_ERRORS
from services.delivery.provider_channel import sms_channel
from services.delivery.quiet import quiet_rule
from services.delivery.settings import DeliverySettings
from services.delivery.smtp_channel import SmtpChannel
from services.delivery.vendor_client import VendorClient, VendorUnavailable
from shared.consumer import RetryLater
from shared.envelope import Received
from shared.events import SendRequested
from shared.logging import get_logger

log = get_logger(__name__)


class VendorDown(RetryLater):
    """The vendor did not take the batch within the retry window: hand the item back."""


class Sender:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: DeliverySettings,
        *,
        on_emitted: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._on_emitted = on_emitted
        self._bucket = TokenBucket(settings.send_rate_limit)
        vendor = VendorClient(
            settings.vendor_url,
            settings.delivery_public_url,
            timeout_s=settings.send_timeout_s,
            backoff_base_s=settings.send_backoff_base_s,
            backoff_max_s=settings.send_backoff_max_s,
            max_connections=settings.send_concurrency,
        )
        # A campaign's channel picks its adapter; email only when SMTP is configured (an
        # email campaign's work then waits, and parks, until it is).
        # SMS: the vendor simulator, or the real provider BEACON_SMS_PROVIDER names.
        provider = sms_channel(settings)
        self._channels: dict[str, Channel] = {"sms": provider or VendorChannel(vendor)}
        if settings.email_enabled:
            self._channels["email"] = SmtpChannel(settings)
        self._quiet = quiet_rule(settings)

    async def send(self, event: Received[SendRequested]) -> None:
        """Work one ``delivery.send_requested`` item."""
        loop = asyncio.get_running_loop()
        try:
            outcome = await service.send_batch(
                self._engine,
                self._channels,
                event.payload.message_ids,
                pace=self._pace,
                deadline=loop.time() + self._settings.send_retry_window_s,
                read_attempts=self._settings.transient_attempts,
                campaign_id=event.payload.campaign_id,
                quiet=self._quiet,
            )
        except VendorUnavailable as error:
            VENDOR_ERRORS.labels("unavailable").inc()
            log.warning("vendor_unavailable", error=str(error))
            raise VendorDown(str(error)) from error
        except service.ChannelUnavailable as error:
            VENDOR_ERRORS.labels("unavailable").inc()
            log.warning("channel_unavailable", error=str(error))
            self._on_emitted()  # what was sent before it gave up is recorded
            raise VendorDown(str(error)) from error
        if outcome.rejected:
            VENDOR_ERRORS.labels("rejected").inc()
        if outcome.deltas:
            self._on_emitted()
        MESSAGES_SENT.inc(outcome.accepted)

    async def _pace(self, messages: int) -> None:
        wait = self._bucket.reserve(messages, asyncio.get_running_loop().time())
        if wait > 0:
            await asyncio.sleep(wait)

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the channels' connections until the process stops."""
        try:
            await stop.wait()
        finally:
            for channel in self._channels.values():
                await channel.close()
