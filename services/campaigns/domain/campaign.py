"""A campaign's request validation and its life cycle.

Status moves only forward: ``scheduled → launching → sending → completed`` (or ``failed``
when its audience cannot be resolved). It is derived from counters the service learns from
events, never from reading other services' tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.rules.rules import RuleError, parse_rules, rules_to_json
from shared.template import TemplateError, parse_template
from shared.validation import UtcTime

Status = Literal["scheduled", "launching", "sending", "completed", "failed"]
ORDER: dict[str, int] = {"scheduled": 0, "launching": 1, "sending": 2, "completed": 3, "failed": 3}


class NewCampaign(BaseModel):
    """``POST /api/v1/campaigns``: a name, exactly one of rules or segment_id, a template."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    rules: dict[str, Any] | None = None
    segment_id: str | None = Field(default=None, min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=2000)
    schedule_at: UtcTime | None = None
    # The audience size the sender saw and agreed to message (every message costs money):
    # needed when the audience is above the configured size, see audience_ceiling().
    confirm_audience_size: int | None = Field(default=None, ge=0, le=1_000_000_000)

    @field_validator("message")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            parse_template(value)
        except TemplateError as error:
            raise ValueError("; ".join(error.errors)) from None
        return value

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # The same parser as segments' previews: a rule the audience resolver would refuse
        # (unknown field, wrong operator, bad value, too deep, too many) is a 422 now, not a
        # failed campaign later. Stored in its canonical form.
        if value is None:
            return None
        try:
            return rules_to_json(parse_rules(value))
        except RuleError as error:
            raise ValueError(str(error)[:2000]) from None

    @model_validator(mode="after")
    def _one_audience(self) -> NewCampaign:
        if (self.rules is None) == (self.segment_id is None):
            raise ValueError("give exactly one of 'rules' or 'segment_id'")
        return self


def launches_at_once(schedule_at: datetime | None, now: datetime) -> bool:
    """A campaign without a schedule, or scheduled for a time already past, launches now."""
    return schedule_at is None or schedule_at <= now


# An audience may grow a little between the preview the sender confirmed and the launch.
CONFIRMATION_SLACK = 1.05


def audience_ceiling(confirmed: int | None, unconfirmed_max: int) -> int:
    """The largest audience a launch may message: the configured size without a
    confirmation, or the confirmed size (plus a little growth) when one was given."""
    if confirmed is None:
        return unconfirmed_max
    return max(unconfirmed_max, math.ceil(confirmed * CONFIRMATION_SLACK))


@dataclass(frozen=True)
class Progress:
    status: str
    audience_size: int | None
    sent: int
    failed: int


def after_resolved(current: Progress, size: int, error: str | None) -> str:
    if error:
        return "failed"
    return settle(Progress(current.status, size, current.sent, current.failed), "sending")


def settle(progress: Progress, floor: str) -> str:
    """The status a campaign should have now: at least ``floor``, completed once every
    audience member has a final delivery status."""
    status = floor if ORDER[floor] > ORDER[progress.status] else progress.status
    if status in ("completed", "failed"):
        return status
    size = progress.audience_size
    if size is not None and progress.sent + progress.failed >= size:
        return "completed"
    return status
