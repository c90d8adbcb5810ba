"""Ingest's settings (``BEACON_`` environment variables, see README)."""

from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "ingest"


class IngestSettings(ServiceSettings):
    ingest_port: int = 8001
    ingest_worker_port: int = 8101
    max_body_bytes: int = 32 * 1024 * 1024
    # The worker applies up to batch_max_messages messages per transaction, and fewer when
    # they carry more than this many customers and orders in all (big batch POSTs).
    ingest_batch_rows: int = 10_000
