"""Segments' settings (``BEACON_`` environment variables, see README)."""

from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "segments"


class SegmentsSettings(ServiceSettings):
    segments_port: int = 8002
    segments_worker_port: int = 8102
    # Previews read an in-memory columnar copy of the profiles; off means SQL only.
    segments_cache: bool = True
    segments_sample_size: int = 10
    audience_batch_size: int = 1000
