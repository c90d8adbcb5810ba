"""Campaigns' settings (``BEACON_`` environment variables, see README)."""

from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "campaigns"


class CampaignsSettings(ServiceSettings):
    campaigns_port: int = 8003
    campaigns_worker_port: int = 8103
    scheduler_poll_s: float = 1.0
    # Campaigns to more people than this need "confirm_audience_size" (OWASP API6).
    campaign_confirm_above: int = 10_000
