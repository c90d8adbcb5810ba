"""What stats' HTTP routes answer, as models, so its OpenAPI document describes each body."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CampaignStats(BaseModel):
    """One campaign's counters now (``domain.counters.snapshot``)."""

    campaign_id: str
    name: str | None
    audience_size: int | None = Field(description="None until the audience is resolved")
    queued: int
    pending: int = Field(description="recipients not finished yet")
    sent: int
    failed: int
    cancelled: int
    failure_rate: float = Field(ge=0, le=1, description="failed / (sent + failed)")
    updated_at: str
    first_update_at: str
    revision: int = Field(description="grows with every change: newer wins")


class CampaignStatsList(BaseModel):
    items: list[CampaignStats]
    next_cursor: str | None


class SeriesPoint(BaseModel):
    """One second's messages finished."""

    at: str
    sent: int
    failed: int


class Series(BaseModel):
    """A campaign's per-second series, oldest first, a page at a time."""

    campaign_id: str
    bucket_seconds: int
    items: list[SeriesPoint]
    next_cursor: str | None


class Overview(BaseModel):
    """Totals over the campaigns changed in the last days (``since``)."""

    campaigns: int
    audience: int
    queued: int
    sent: int
    failed: int
    cancelled: int
    failure_rate: float = Field(ge=0, le=1)
    since: str


class CounterDrift(BaseModel):
    expected: int = Field(description="recounted from the stored deltas")
    actual: int = Field(description="stored")
    drift: int = Field(description="actual - expected")


class DriftCounters(BaseModel):
    queued: CounterDrift
    sent: CounterDrift
    failed: CounterDrift
    cancelled: CounterDrift


class DriftReport(BaseModel):
    """A campaign's counters against the recount; ``fixed`` when they were set to it."""

    campaign_id: str
    counters: DriftCounters
    drift: bool
    fixed: bool
