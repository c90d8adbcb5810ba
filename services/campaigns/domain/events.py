"""Events campaigns publishes and consumes (see docs/events.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.envelope import Envelope, new_event
from shared.events import (  # noqa: F401 (re-exported for the service)
    API_KEY_CREATED,
    API_KEY_REVOKED,
    AUDIENCE_RESOLVED,
    CAMPAIGN_CANCELLED,
    CAMPAIGN_LAUNCHED,
    CAMPAIGN_PAUSED,
    CAMPAIGN_RESUMED,
    DELIVERY_UPDATED,
    SEGMENT_DELETED,
    SEGMENT_SAVED,
    SESSION_REFRESH_REUSED,
    USER_ROLE_CHANGED,
    USER_SESSIONS_ENDED,
    USER_SIGNED_IN,
)

PRODUCER = "campaigns"


def campaign_launched(campaign: dict[str, Any]) -> Envelope:
    """The launch, with the snapshot of rules and template the campaign was created with."""
    payload = {
        "campaign_id": campaign["id"],
        "name": campaign["name"],
        "rules": campaign["rules"],
        "segment_id": campaign["segment_id"],
        "message": campaign["message"],
        # The channel and, for email, the subject template (delivery renders both).
        "channel": campaign.get("channel") or "sms",
        "subject": campaign.get("subject"),
        # Segments refuses to resolve a larger audience (the campaign fails, unsent).
        "max_audience": campaign.get("max_audience"),
        "created_by": campaign.get("created_by"),  # audit: who launched it
    }
    if campaign.get("test"):
        payload.update(test=True, customer_ids=campaign["customer_ids"])
        if campaign.get("test_recipients"):  # the sender, asked with to_me
            payload["test_recipients"] = campaign["test_recipients"]
    return new_event(CAMPAIGN_LAUNCHED, payload, PRODUCER)


_CONTROL = {"pause": CAMPAIGN_PAUSED, "resume": CAMPAIGN_RESUMED, "cancel": CAMPAIGN_CANCELLED}


def campaign_control(action: str, campaign_id: str, actor: dict[str, Any]) -> Envelope:
    """``campaign.paused`` / ``.resumed`` / ``.cancelled``: delivery acts on it at once."""
    return new_event(
        _CONTROL[action],
        {"campaign_id": campaign_id, "at": datetime.now(UTC).isoformat(), "actor": actor},
        PRODUCER,
    )


def api_key_changed(kind: str, key: dict[str, Any], actor: dict[str, Any]) -> Envelope:
    """``api_key.created`` / ``api_key.revoked``: the key's whole state (its hash, never the
    key) so every service's copy converges whatever the order; ``actor`` is who did it."""
    return new_event(kind, {"key": key, "actor": actor}, PRODUCER)


def _actor(sub: str, email: str | None) -> dict[str, Any]:
    return {"sub": sub, "email": email}


def user_signed_in(sub: str, email: str, method: str, role: str, ip: str | None) -> Envelope:
    """Audit: who signed in, how, with which role, from where."""
    payload = {"actor": _actor(sub, email), "method": method, "role": role, "ip": ip}
    return new_event(USER_SIGNED_IN, payload, PRODUCER)


def user_role_changed(sub: str, email: str, before: str, after: str, why: str) -> Envelope:
    payload = {"actor": _actor(sub, email), "before": before, "after": after, "why": why}
    return new_event(USER_ROLE_CHANGED, payload, PRODUCER)


def session_refresh_reused(sub: str, email: str | None, ip: str | None) -> Envelope:
    """Audit: a rotated refresh token came back; every session of ``sub`` was ended."""
    return new_event(SESSION_REFRESH_REUSED, {"actor": _actor(sub, email), "ip": ip}, PRODUCER)


def user_sessions_ended(
    sub: str, email: str | None, ended_before: datetime, why: str, by: dict[str, Any]
) -> Envelope:
    """Every service refuses ``sub``'s access tokens issued at or before ``ended_before``."""
    payload = {
        "user": _actor(sub, email),
        "ended_before": ended_before.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        "why": why,
        "actor": by,
    }
    return new_event(USER_SESSIONS_ENDED, payload, PRODUCER)
