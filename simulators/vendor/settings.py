"""The vendor simulator's settings (``BEACON_`` environment variables).

The names are the ones the simulator had when it lived inside delivery, so deployments and
tests set it up as before. ``BEACON_VENDOR_SECRET`` is read by both sides: delivery checks
the signatures the simulator makes with it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.signature import DEV_SECRET


class VendorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEACON_", extra="ignore")

    host: str = "127.0.0.1"
    log_level: str = "INFO"
    log_json: bool = True

    vendor_port: int = 8009
    vendor_secret: str = DEV_SECRET  # signs receipt callbacks
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
    # Attempts per callback (the first included) before its receipts are dropped.
    vendor_callback_max_attempts: Annotated[int, Field(ge=1)] = 30
    vendor_tick_s: float = 0.05  # how often due receipts are gathered into callbacks
    # Hosts the simulator posts receipts to (comma-separated), and how many message ids it
    # remembers for its dedupe and counts (the oldest are forgotten past it).
    vendor_callback_hosts: str = "127.0.0.1,localhost,::1"
    vendor_remember: Annotated[int, Field(ge=1)] = 2_000_000
