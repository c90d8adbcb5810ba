"""Segments' settings (``BEACON_`` environment variables, see README)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.settings import ServiceSettings
from shared.unsubscribe import DEV_SECRET as DEV_UNSUBSCRIBE_SECRET

SERVICE = "segments"


class SegmentsSettings(ServiceSettings):
    segments_port: int = 8002
    segments_worker_port: int = 8102
    # Previews read an in-memory columnar copy of the profiles; off means SQL only.
    segments_cache: bool = True
    segments_sample_size: int = 10
    audience_batch_size: int = 1000
    # Members a segment's CSV export reads per query (the file streams page by page).
    segments_export_page: Annotated[int, Field(ge=1, le=10_000)] = 5000
    # The projection applies up to batch_max_messages events per transaction, and fewer
    # when they carry more than this many customers and orders in all.
    profiles_batch_rows: int = 20_000
    # Verifies one-click unsubscribe tokens (delivery signs them with the same secret).
    unsubscribe_secret: str = DEV_UNSUBSCRIBE_SECRET
