"""The one place delivery is wired together, for each way it runs.

``api``: the receipt callback and the communications log. ``worker``: the campaigns and
audience consumers, the sender's work queue, the batched receipts consumer and the
parked-receipt sweep (HTTP: health and metrics only). ``all``: both. (The vendor simulator is
``python -m simulators.vendor``.)
"""

from __future__ import annotations

from fastapi import FastAPI

from services.delivery import api, consumers
from services.delivery.parked import parked_sweeper
from services.delivery.providers.settings import check_providers
from services.delivery.quiet import releaser
from services.delivery.sender import Sender
from services.delivery.settings import (
    DEV_UNSUBSCRIBE_SECRET,
    DEV_VENDOR_SECRET,
    SERVICE,
    DeliverySettings,
)
from services.delivery.store.tables import inbox, outbox, parked_receipts
from shared.retention import older_than
from shared.runtime import Runtime
from shared.settings import ConfigurationError, require_secret


def check_email_settings(settings: DeliverySettings) -> None:
    """Email on needs what every email must carry (CAN-SPAM: a postal address) and, in
    production, a real secret for its unsubscribe links (only email carries them)."""
    if not settings.email_enabled:
        return
    if not settings.smtp_postal_address.strip():
        raise ConfigurationError(
            "BEACON_SMTP_HOST is set: set BEACON_SMTP_POSTAL_ADDRESS, the sender's postal "
            "address every email's footer carries"
        )
    if settings.production and settings.unsubscribe_secret == DEV_UNSUBSCRIBE_SECRET:
        raise ConfigurationError(
            "BEACON_ENV=production with the development unsubscribe secret: "
            "set BEACON_UNSUBSCRIBE_SECRET"
        )
    require_secret(settings, "BEACON_UNSUBSCRIBE_SECRET", settings.unsubscribe_secret)


def build_app(mode: str, settings: DeliverySettings | None = None) -> FastAPI:
    settings = settings or DeliverySettings()
    if settings.production and settings.vendor_secret == DEV_VENDOR_SECRET:
        raise ConfigurationError(
            "BEACON_ENV=production with the development vendor secret: set BEACON_VENDOR_SECRET"
        )
    require_secret(settings, "BEACON_VENDOR_SECRET", settings.vendor_secret)
    check_providers(settings)
    check_email_settings(settings)
    runtime = Runtime(SERVICE, settings, outbox_table=outbox, inbox_table=inbox)
    runtime.document(
        consumers.CAMPAIGNS,
        consumers.AUDIENCE,
        consumers.SEND,
        consumers.RECEIPTS,
        consumers.ERASURES,
    )
    relay_notify = runtime.relay.notify if runtime.relay else (lambda: None)
    if mode in ("worker", "all"):
        sender = Sender(runtime.engine, settings, on_emitted=relay_notify)
        runtime.add_consumer(consumers.CAMPAIGNS, consumers.campaign_handlers(settings.send_chunk))
        runtime.add_consumer(consumers.ERASURES, consumers.erasure_handlers())
        # A small prefetch of its own: each audience batch is a 1,000-row insert, and with
        # the default channel's 16 at once they took the pool from the sender and receipts.
        runtime.add_consumer(
            consumers.AUDIENCE,
            consumers.audience_handlers(settings.send_chunk),
            prefetch=settings.audience_prefetch,
        )
        runtime.add_work_consumer(
            consumers.SEND,
            consumers.send_handlers(sender.send),
            prefetch=settings.send_concurrency,
        )
        runtime.add_batch_consumer(
            consumers.RECEIPTS,
            consumers.receipt_handlers(),
            max_messages=settings.receipt_batch_messages,
            max_rows=settings.receipt_flush_size,
            rows=consumers.receipts_in,
            max_wait_ms=settings.receipt_flush_ms,
            in_flight=settings.receipt_flushes_in_flight,
        )
        # Receipts for messages never written (a vendor's mistake, or a stray callback)
        # are dropped with a log line once past the retention window.
        runtime.add_retention("parked_receipts", older_than(parked_receipts, "parked_at"))
        runtime.add_background(sender.run)
        runtime.add_background(releaser(runtime.engine, relay_notify))
        runtime.add_background(
            parked_sweeper(runtime.engine, settings.parked_sweep_s, relay_notify)
        )
    router = public = None
    if mode in ("api", "all"):
        runtime.declare_only(consumers.RECEIPTS)
        public, router = api.build_router(
            settings, runtime.engine, runtime.broker, runtime.exchange, runtime.broker_ready
        )
    return runtime.http_app(
        router,
        title=f"Beacon delivery ({mode})",
        max_body_bytes=settings.receipt_max_body_bytes,
        public=public,
    )
