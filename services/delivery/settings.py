"""Delivery's settings and the vendor simulator's (``BEACON_`` environment variables)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.settings import ServiceSettings

SERVICE = "delivery"
DEV_VENDOR_SECRET = "beacon-dev-vendor-secret"  # only for local runs; set a real one elsewhere


class DeliverySettings(ServiceSettings):
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

    # Sender: batches claimed with a lease, several in flight, paced and retried.
    send_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    send_concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    # Messages per second per worker process (split a global limit across replicas);
    # 0 = unlimited.
    send_rate_limit: Annotated[float, Field(ge=0)] = 0.0
    send_timeout_s: float = 10.0
    send_lease_s: float = 60.0  # a claim not finished by then is taken over by another sender
    send_backoff_base_s: float = 0.2
    send_backoff_max_s: float = 10.0
    send_poll_s: float = 0.2

    # Receipts consumer (shared.batch_consumer): a batch is applied once it holds this many
    # receipts or events, or this long after its first event; this many batches at once.
    receipt_flush_size: Annotated[int, Field(ge=1)] = 4_000
    receipt_batch_messages: Annotated[int, Field(ge=1)] = 64
    receipt_flush_ms: Annotated[float, Field(ge=0)] = 20
    receipt_flushes_in_flight: Annotated[int, Field(ge=1)] = 3
    parked_sweep_s: float = 30.0

    # The vendor simulator (``python -m services.delivery vendor``; no database).
    vendor_port: int = 8009
    vendor_failure_ratio: Annotated[float, Field(ge=0, le=1)] = 0.1
    vendor_delay_min_s: Annotated[float, Field(ge=0)] = 0.5
    vendor_delay_max_s: Annotated[float, Field(ge=0)] = 2.0
    vendor_seed: int = 42
    # Chance to answer 500 to a send request (keeping nothing), and to call back twice.
    vendor_error_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    vendor_duplicate_callback_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    vendor_callback_batch: Annotated[int, Field(ge=1, le=10_000)] = 500
    vendor_callback_concurrency: Annotated[int, Field(ge=1)] = 4
    vendor_callback_timeout_s: float = 10.0
    vendor_callback_max_attempts: Annotated[int, Field(ge=1)] = 30
    vendor_tick_s: float = 0.05  # how often due receipts are gathered into callbacks
    # Hosts the simulator posts receipts to (comma-separated), and how many message ids it
    # remembers for its dedupe and counts (the oldest are forgotten past it).
    vendor_callback_hosts: str = "127.0.0.1,localhost,::1"
    vendor_remember: Annotated[int, Field(ge=1)] = 2_000_000

    # delivery.audience's own prefetch: audience batches written at once (issue 14).
    audience_prefetch: Annotated[int, Field(ge=1)] = 2
