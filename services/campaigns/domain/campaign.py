"""A campaign's request validation and its life cycle.

Status moves forward: ``scheduled → launching → sending → completed`` (or ``failed`` when
its audience cannot be resolved or is refused). A person may pause a launching or sending
campaign (``paused``), resume it, or cancel it, or a scheduled one (``cancelled``, final:
delivery marks every message not sent yet ``CANCELLED``). Progress is derived from counters
the service learns from events, never from reading other services' tables.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.rules.json_model import RulesInput
from shared.rules.rules import RuleError, parse_rules, rules_to_json
from shared.rules.sentence import describe
from shared.template import TemplateError, parse_template
from shared.validation import UtcTime

Channel = Literal["sms", "email"]
# The stores' column sizes: a subject template, and one rendered for a recipient.
SUBJECT_MAX = 200

Status = Literal["scheduled", "launching", "sending", "paused", "completed", "cancelled", "failed"]
ORDER: dict[str, int] = {
    "scheduled": 0,
    "launching": 1,
    "sending": 2,
    "paused": 2,
    "completed": 3,
    "cancelled": 3,
    "failed": 3,
}
FINAL = frozenset({"completed", "cancelled", "failed"})
Action = Literal["pause", "resume", "cancel"]
# What each action may start from, and where it leads.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "pause": (frozenset({"launching", "sending"}), "paused"),
    "resume": (frozenset({"paused"}), "sending"),
    "cancel": (frozenset({"scheduled", "launching", "sending", "paused"}), "cancelled"),
}


class NotAllowed(Exception):
    """The campaign's status does not allow what was asked (a 409 with this sentence)."""


def after(status: str, action: str) -> str:
    """The status an action leads to from ``status``; :class:`NotAllowed` when it can't."""
    allowed, to = TRANSITIONS[action]
    if status not in allowed:
        verb = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
        raise NotAllowed(f"a {status} campaign cannot be {verb}")
    return to


def sentence_of(rules: dict[str, Any] | None) -> str | None:
    """The rule in plain words (None for a test send, which has no rule)."""
    if rules is None:
        return None
    try:
        return describe(parse_rules(rules))[:2000]
    except RuleError:  # kept from before a rule change: no words rather than a 500
        return None


def _checked_template(value: str) -> str:
    try:
        parse_template(value)
    except TemplateError as error:
        raise ValueError("; ".join(error.errors)) from None
    return value


def _checked_subject(value: str) -> str:
    """A subject is one header line: no line breaks (header injection), a valid template."""
    if "\r" in value or "\n" in value:
        raise ValueError("a subject is one line")
    return _checked_template(value)


def _checked_rules(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The same parser as segments' previews: a rule the audience resolver would refuse
    (unknown field, wrong operator, bad value, too deep, too many) is a 422 now, not a
    failed campaign later. Stored in its canonical form."""
    if value is None:
        return None
    try:
        return rules_to_json(parse_rules(value))
    except RuleError as error:
        raise ValueError(str(error)[:2000]) from None


def _future(value: datetime | None) -> datetime | None:
    if value is not None and value <= datetime.now(value.tzinfo):
        raise ValueError("is in the past: a campaign is scheduled for a time to come")
    return value


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class NewCampaign(BaseModel):
    """``POST /api/v1/campaigns``: a name, exactly one of rules or segment_id, a template."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    rules: RulesInput | None = None
    segment_id: str | None = Field(default=None, min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=2000)
    schedule_at: UtcTime | None = Field(default=None, description="a time to come")
    # The audience size the sender saw and agreed to message (every message costs money):
    # enforced whenever given, needed above the configured size, see audience_ceiling().
    confirm_audience_size: int | None = Field(default=None, ge=0, le=1_000_000_000)
    # No "default" in the document: generated clients would then make it required.
    channel: Channel = Field(
        default="sms",
        description="sms (the vendor simulator; if left out) or email (needs a subject)",
        json_schema_extra=_without_default,
    )
    subject: str | None = Field(
        default=None,
        min_length=1,
        max_length=SUBJECT_MAX,
        description="the email's subject template (same placeholders); email only",
        validate_default=True,
    )

    @field_validator("schedule_at")
    @classmethod
    def _schedule(cls, value: datetime | None) -> datetime | None:
        return _future(value)

    @field_validator("message")
    @classmethod
    def _template(cls, value: str) -> str:
        return _checked_template(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checked even when left out (validate_default), so the 422 names `subject`.
        channel = info.data.get("channel")
        if channel == "email" and value is None:
            raise ValueError("an email campaign needs a subject")
        if channel != "email" and value is not None:
            raise ValueError("only an email campaign has a subject")
        return None if value is None else _checked_subject(value)

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _checked_rules(value)

    @model_validator(mode="after")
    def _one_audience(self) -> NewCampaign:
        if (self.rules is None) == (self.segment_id is None):
            raise ValueError("give exactly one of 'rules' or 'segment_id'")
        return self


class CampaignEdit(BaseModel):
    """``PATCH /api/v1/campaigns/{id}`` of a scheduled campaign: what changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    rules: RulesInput | None = None
    segment_id: str | None = Field(default=None, min_length=1, max_length=64)
    message: str | None = Field(default=None, min_length=1, max_length=2000)
    # An email campaign's subject (its channel does not change).
    subject: str | None = Field(default=None, min_length=1, max_length=SUBJECT_MAX)
    schedule_at: UtcTime | None = Field(default=None, description="a time to come")
    confirm_audience_size: int | None = Field(default=None, ge=0, le=1_000_000_000)

    @field_validator("schedule_at")
    @classmethod
    def _schedule(cls, value: datetime | None) -> datetime | None:
        return _future(value)

    @field_validator("message")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else _checked_template(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str | None) -> str | None:
        return None if value is None else _checked_subject(value)

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _checked_rules(value)

    @model_validator(mode="after")
    def _one_audience(self) -> CampaignEdit:
        if self.rules is not None and self.segment_id is not None:
            raise ValueError("give at most one of 'rules' or 'segment_id'")
        return self


class Duplicate(BaseModel):
    """``POST /api/v1/campaigns/{id}/duplicate``: the copy's name, time and confirmation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    schedule_at: UtcTime | None = Field(default=None, description="a time to come")
    confirm_audience_size: int | None = Field(default=None, ge=0, le=1_000_000_000)

    @field_validator("schedule_at")
    @classmethod
    def _schedule(cls, value: datetime | None) -> datetime | None:
        return _future(value)


class TestSend(BaseModel):
    """``POST /api/v1/campaigns/test-send``: a message rendered for named customers, and
    for the person sending it (``to_me``, to their sign-in email, rendered with their
    name): at least one of the two."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=2000)
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=10
    )
    # No "default" in the document: generated clients would then make it required.
    to_me: StrictBool = Field(
        default=False,
        description="also send it to your own email (false if left out)",
        json_schema_extra=_without_default,
    )

    @model_validator(mode="after")
    def _someone(self) -> TestSend:
        if not self.customer_ids and not self.to_me:
            raise ValueError("name customers in customer_ids, or set to_me")
        return self

    @field_validator("message")
    @classmethod
    def _template(cls, value: str) -> str:
        return _checked_template(value)


def test_recipient_of(actor: dict[str, Any]) -> dict[str, Any]:
    """The sender as a test recipient: their email, their name, an id no customer has."""
    email = str(actor["email"])
    return {
        "customer_id": "you:" + hashlib.sha256(email.encode()).hexdigest()[:32],
        "name": email.partition("@")[0],
        "email": email,
    }


def launches_at_once(schedule_at: datetime | None, now: datetime) -> bool:
    """A campaign without a schedule, or scheduled for a time already past, launches now."""
    return schedule_at is None or schedule_at <= now


# An audience may grow a little between the preview the sender confirmed and the launch.
CONFIRMATION_SLACK = 1.05


def audience_ceiling(confirmed: int | None, unconfirmed_max: int) -> int:
    """The largest audience a launch may message: the configured size without a
    confirmation; the confirmed size (plus a little growth) whenever one was given, at any
    size (the person confirmed that number: more is refused, not sent)."""
    if confirmed is None:
        return unconfirmed_max
    return math.ceil(confirmed * CONFIRMATION_SLACK)


@dataclass(frozen=True)
class Progress:
    status: str
    audience_size: int | None
    sent: int
    failed: int
    cancelled: int = 0


def after_resolved(current: Progress, size: int, error: str | None) -> str:
    if current.status == "cancelled":
        return "cancelled"
    if error:
        return "failed"
    resolved = Progress(current.status, size, current.sent, current.failed, current.cancelled)
    return settle(resolved, "sending")


def settle(progress: Progress, floor: str) -> str:
    """The status a campaign should have now: at least ``floor`` (a paused campaign stays
    paused), completed once every audience member has a final delivery status."""
    status = floor if ORDER[floor] > ORDER[progress.status] else progress.status
    if status in FINAL:
        return status
    size = progress.audience_size
    if size is not None and progress.sent + progress.failed + progress.cancelled >= size:
        return "completed"
    return status
