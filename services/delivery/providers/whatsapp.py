"""WhatsApp Cloud API (Meta): approved template messages out, signed status webhooks in.

As documented by Meta (developers.facebook.com/docs/whatsapp/cloud-api):
- send: ``POST {graph}/{version}/{phone-number-id}/messages`` with a bearer token and
  ``{"messaging_product": "whatsapp", "to": "<digits>", "type": "template", "template":
  {"name", "language": {"code"}, "components": [{"type": "body", "parameters": [{"type":
  "text", "text"}]}]}, "biz_opaque_callback_data": "<ours>"}``; the answer names the message
  ``{"messages": [{"id": "wamid..."}]}``; a refusal is ``{"error": {"code", "message",
  "error_data": {"details"}}}`` (reference: messages; support: error codes);
- webhooks: ``POST`` of ``{"object": "whatsapp_business_account", "entry": [{"changes":
  [{"field": "messages", "value": {"statuses": [{"id", "status", "timestamp",
  "recipient_id", "biz_opaque_callback_data", "errors": [{"code", "title"}]}]}}]}]}``, signed
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>``;
  the subscription handshake is a ``GET`` with ``hub.mode=subscribe``, ``hub.verify_token``
  and ``hub.challenge``, answered with the challenge.

Our message id rides in ``biz_opaque_callback_data``, which every status webhook echoes, so
no mapping of WhatsApp's ids is stored. ``delivered`` and ``read`` make a message SENT (it
reached the phone), ``failed`` makes it FAILED with the error code's reason, ``sent`` (in
transit) changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import httpx

from services.delivery.domain.status import Receipt, Status
from services.delivery.providers.base import (
    Accepted,
    OutcomeUnknown,
    Outgoing,
    Rejected,
    Unavailable,
    e164_digits,
    post,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"

# Error codes (Meta's "Error codes" page) by what they mean for this message.
THROTTLED = {
    4: "app_rate_limit",
    80007: "account_rate_limit",
    130429: "throughput_limit",  # the number's messages-per-second limit
    131056: "pair_rate_limit",  # too many messages to one person in a short time
    131016: "service_unavailable",
    133004: "server_unavailable",
}
UNAVAILABLE = {
    0: "auth_failed",
    190: "access_token_expired",
    10: "permission_denied",
    200: "permission_denied",
    131031: "account_locked",
    131042: "payment_problem",
    368: "account_restricted",
}
# A person who cannot or will not get marketing messages: suppressed for WhatsApp.
SUPPRESS = {
    131050: "user_stopped_marketing",
    131026: "undeliverable",  # no WhatsApp on this number, or an old client
}
REJECTED = {
    131049: "marketing_limit",  # Meta's per-user marketing template limit: do not retry
    131047: "reengagement_window",
    131051: "unsupported_message_type",
    131053: "media_upload_error",
    132000: "template_param_count",
    132001: "template_missing",
    132005: "template_text_too_long",
    132007: "template_policy",
    132012: "template_param_format",
    132015: "template_paused",
    132016: "template_disabled",
    133010: "number_not_registered",
    100: "invalid_parameter",
    131008: "required_parameter_missing",
    131009: "parameter_value_invalid",
    131021: "recipient_is_sender",
}


def reason_of(code: int | None) -> str:
    for table in (THROTTLED, UNAVAILABLE, SUPPRESS, REJECTED):
        if code in table:
            return table[code]
    return f"whatsapp_{code}" if code is not None else "whatsapp_error"


def message_body(message: Outgoing) -> dict[str, Any]:
    """The template message Meta's reference describes, our id in the callback data."""
    template: dict[str, Any] = {
        "name": message.template,
        "language": {"code": message.language or "en"},
    }
    if message.params:
        template["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": value} for value in message.params],
            }
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": e164_digits(message.to),
        "type": "template",
        "template": template,
        "biz_opaque_callback_data": message.message_id,
    }


class WhatsAppClient:
    """One phone number's sender (Cloud API has no batch send: one request a message)."""

    def __init__(
        self,
        *,
        api_url: str,
        phone_number_id: str,
        access_token: str,
        timeout_s: float,
        max_connections: int,
    ) -> None:
        self._url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._http = httpx.AsyncClient(
            timeout=timeout_s, limits=httpx.Limits(max_connections=max_connections)
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, message: Outgoing) -> Accepted:
        if not message.template:
            raise Rejected("no_template", "a WhatsApp campaign needs an approved template")
        response = await post(
            self._http, self._url, json=message_body(message), headers=self._headers
        )
        return accepted_or_raise(response)


def accepted_or_raise(response: httpx.Response) -> Accepted:
    if response.is_success:
        try:
            return Accepted(str(response.json()["messages"][0]["id"]))
        except (ValueError, KeyError, IndexError, TypeError):
            raise OutcomeUnknown("outcome_unknown", response.text[:300]) from None
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    detail = str((error.get("error_data") or {}).get("details") or error.get("message") or "")
    if code in THROTTLED or response.status_code == 429:
        retry_after = float(response.headers.get("retry-after", "0") or 0)
        raise Unavailable(reason_of(code), detail, retry_after_s=retry_after)
    if code in UNAVAILABLE or response.status_code in (401, 403):
        raise Unavailable(reason_of(code), detail)
    if response.status_code >= 500:
        raise OutcomeUnknown("outcome_unknown", f"{response.status_code} {detail}")
    raise Rejected(reason_of(code), detail, suppress=code in SUPPRESS)


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` is ``sha256=`` and the hex HMAC of the raw body."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def sign(app_secret: str, body: bytes) -> str:
    """The header Meta would send (for tests and the local mock)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


class BadWebhook(ValueError):
    """A signed body that is not a WhatsApp Business webhook."""


def receipts_of(payload: Any) -> list[Receipt]:
    """The final statuses in a webhook body, for messages Beacon sent.

    Statuses of messages sent outside Beacon (no callback data) and ``sent`` (in transit)
    are skipped. Malformed structure raises :class:`BadWebhook`.
    """
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise BadWebhook("object must be whatsapp_business_account")
    found: list[Receipt] = []
    for entry in _list(payload, "entry"):
        for change in _list(entry, "changes"):
            if change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                raise BadWebhook("change.value must be an object")
            for status in _list(value, "statuses"):
                receipt = _receipt(status)
                if receipt is not None:
                    found.append(receipt)
    return found


def _list(holder: Any, key: str) -> list[dict[str, Any]]:
    value = holder.get(key, []) if isinstance(holder, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadWebhook(f"{key} must be a list of objects")
    return value


def _receipt(status: dict[str, Any]) -> Receipt | None:
    ours = status.get("biz_opaque_callback_data")
    if not isinstance(ours, str) or not 0 < len(ours) <= 64:
        return None
    try:
        at = datetime.fromtimestamp(int(status.get("timestamp", "")), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadWebhook("status.timestamp must be Unix seconds") from None
    kind = status.get("status")
    if kind in ("delivered", "read"):
        return Receipt(ours, Status.SENT, at)
    if kind == "failed":
        errors = status.get("errors") or [{}]
        first = errors[0] if isinstance(errors, list) and isinstance(errors[0], dict) else {}
        code = first.get("code") if isinstance(first.get("code"), int) else None
        title = str(first.get("title") or first.get("message") or "")[:200]
        return Receipt(ours, Status.FAILED, at, f"whatsapp {code}: {reason_of(code)} ({title})")
    return None
