"""What campaigns' HTTP routes answer (campaigns, sign-in, API keys), as models, so its
OpenAPI document describes each body."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.campaigns.domain.campaign import Status
from shared.rules.json_model import RuleGroupJson


class Author(BaseModel):
    sub: str
    email: str | None


class CampaignOut(BaseModel):
    """A campaign as stored, with its progress as campaigns last heard it."""

    id: str
    name: str
    status: Status
    reason: str | None = Field(description="why it failed or was cancelled")
    message: str = Field(description="the template")
    channel: Literal["sms", "email"] = Field(description="sms (the vendor simulator) or email")
    subject: str | None = Field(description="an email campaign's subject template")
    rules: RuleGroupJson | None
    rules_sentence: str | None = Field(
        description='the rule in words as launched, e.g. "Customers who spent more than ₹10,000"'
    )
    segment_id: str | None
    schedule_at: str | None
    audience_size: int | None = Field(description="None until the audience is resolved")
    max_audience: int | None = Field(description="the confirmed size (+5 %): larger fails")
    queued: int
    sent: int
    failed: int
    cancelled: int = Field(description="messages never to be sent (cancelled before they went)")
    pending: int | None
    test: bool
    created_at: str
    launched_at: str | None
    paused_at: str | None
    cancelled_at: str | None
    completed_at: str | None
    updated_at: str
    created_by: Author | None


class CampaignList(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None


class TestSendOut(BaseModel):
    test_id: str = Field(description="the test's own campaign id (in no list)")
    recipients: int


class AuthConfig(BaseModel):
    google_client_id: str | None
    dev_sign_in: bool


class User(BaseModel):
    sub: str
    email: str
    name: str
    picture: str | None
    roles: list[str] = Field(description="one of viewer, marketer, admin")


class Session(BaseModel):
    """A signed-in session: a short-lived access token and the refresh token to renew it."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds")
    refresh_token: str | None = Field(
        description="null when it rides in the httpOnly cookie (X-Beacon-Session: cookie)"
    )
    user: User


class KeyOut(BaseModel):
    """An API key as listed (never the key itself, nor its hash)."""

    id: str
    name: str
    scopes: list[str]
    created_at: str
    revoked_at: str | None
    last_used_at: str | None
    created_by: Author


class NewKeyOut(BaseModel):
    """A key just made: ``key`` is shown this once."""

    id: str
    name: str
    scopes: list[str]
    key: str
    created_at: str


class KeyList(BaseModel):
    items: list[KeyOut]
    next_cursor: str | None
