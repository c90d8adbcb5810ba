"""Delivery's settings (``BEACON_`` environment variables); the vendor simulator has its own
(``simulators.vendor.settings``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from services.delivery.providers import settings as providers
from shared.signature import DEV_SECRET
from shared.unsubscribe import DEV_SECRET as DEV_UNSUBSCRIBE_SECRET

SERVICE = "delivery"
DEV_VENDOR_SECRET = DEV_SECRET  # only for local runs; set a real one elsewhere


class DeliverySettings(providers.ProviderSettings):
    delivery_port: int = 8004
    delivery_worker_port: int = 8104

    # The vendor, and the URL it calls back: the base under which this service's API
    # answers /api/v1/receipts as the vendor sees it (behind a proxy it differs from ours).
    vendor_url: str = "http://127.0.0.1:8009"
    delivery_public_url: str = "http://127.0.0.1:8004"
    # Shared with the vendor; signs receipt callbacks. BEACON_VENDOR_SECRET.
    vendor_secret: str = DEV_VENDOR_SECRET
    signature_tolerance_s: int = 300
    receipt_max_body_bytes: int = 8 * 1024 * 1024

    # Sender: work items of the delivery.send queue (one per batch of up to
    # send_batch_size messages), send_concurrency at once, paced and retried.
    send_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    send_concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    # Messages per second per worker process (split a global limit across replicas);
    # 0 = unlimited.
    send_rate_limit: Annotated[float, Field(ge=0)] = 0.0
    send_timeout_s: float = 10.0
    # How long one delivery of a work item retries an unavailable vendor before handing it
    # back to the queue, which parks it in delivery.send.dlq after BEACON_DELIVERY_LIMIT
    # deliveries (replay: `beacon dlq replay delivery.send`).
    send_retry_window_s: Annotated[float, Field(gt=0)] = 60.0
    send_backoff_base_s: float = 0.2
    send_backoff_max_s: float = 10.0

    @property
    def send_chunk(self) -> int:
        """Messages per work item: under a rate limit at most about a second's worth, so
        an item does not wait long for tokens with its vendor retry window running."""
        rate = self.send_rate_limit
        return min(self.send_batch_size, max(1, int(rate))) if rate > 0 else self.send_batch_size

    # Receipts consumer (shared.batch_consumer): a batch is applied once it holds this many
    # receipts or events, or this long after its first event; this many batches at once.
    # Smaller flushes, more at once: a receipt waits for a shorter transaction while a
    # campaign sends, and a deep backlog still goes in 1,000-row transactions.
    receipt_flush_size: Annotated[int, Field(ge=1)] = 1_000
    receipt_batch_messages: Annotated[int, Field(ge=1)] = 64
    receipt_flush_ms: Annotated[float, Field(ge=0)] = 20
    receipt_flushes_in_flight: Annotated[int, Field(ge=1)] = 4
    parked_sweep_s: float = 30.0

    # delivery.audience's own prefetch: audience batches written at once (issue 14).
    audience_prefetch: Annotated[int, Field(ge=1)] = 3

    # Email over SMTP (issue 26): off while smtp_host is empty (every campaign is sms,
    # the vendor simulator). smtp_tls: "starttls" (upgrade after connecting, usually port
    # 587), "tls" (implicit TLS, usually 465) or "none" (a local sink only).
    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Beacon <no-reply@beacon.invalid>"
    # The sender's physical postal address, in every email's footer (CAN-SPAM).
    smtp_postal_address: str = ""
    # Connections kept open to the server: also how many messages go at once.
    smtp_pool_size: Annotated[int, Field(ge=1, le=256)] = 8
    # Messages per second to the SMTP host per worker process; 0 = unlimited.
    smtp_rate_limit: Annotated[float, Field(ge=0)] = 0.0
    smtp_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    # One-click unsubscribe: the links' base (the public origin proxying /api/v1/unsubscribe
    # to segments) and the secret their tokens are signed with (segments verifies it).
    unsubscribe_base_url: str = "http://127.0.0.1:8080"
    unsubscribe_secret: str = DEV_UNSUBSCRIBE_SECRET

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)
