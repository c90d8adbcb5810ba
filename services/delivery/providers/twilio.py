"""Twilio Programmable Messaging: SMS out, signed status callbacks in.

As Twilio documents it (twilio.com/docs/messaging/api/message-resource, and the published
OpenAPI document twilio-oai ``spec/json/twilio_api_v2010.json``, which the tests serve with
Prism):
- send: ``POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP basic auth
  (account SID, auth token), form fields ``To``, ``From`` or ``MessagingServiceSid``,
  ``Body``, ``StatusCallback``; ``201`` with the message resource (``sid``, ``status``); a
  refusal is ``{"code", "message", "more_info", "status"}`` (error codes at
  twilio.com/docs/api/errors);
- status callbacks: a form ``POST`` to ``StatusCallback`` with ``MessageSid``,
  ``MessageStatus`` and, on failure, ``ErrorCode``, signed ``X-Twilio-Signature``: the
  Base64 of HMAC-SHA1, keyed with the auth token, of the full URL followed by every POST
  field's name and value, sorted by name (twilio.com/docs/usage/security).

Our message id rides in the callback URL (``?message_id=``), which the signature covers, so
no mapping of Twilio's SIDs is stored. ``delivered`` makes a message SENT, ``undelivered``
and ``failed`` FAILED with the error code's reason; the rest (queued, sending, sent) are on
the way and change nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx

from services.delivery.domain.status import Receipt, Status
from services.delivery.providers.base import (
    Accepted,
    OutcomeUnknown,
    Outgoing,
    Rejected,
    Unavailable,
    post,
)

SIGNATURE_HEADER = "X-Twilio-Signature"

# Error codes (twilio.com/docs/api/errors) by what they mean for this message.
UNAVAILABLE = {
    20003: "auth_failed",
    20005: "account_not_active",
    20429: "too_many_requests",
    21606: "from_number_invalid",
    21659: "from_number_not_owned",
    30001: "queue_overflow",
}
SUPPRESS = {
    21610: "unsubscribed",  # the person replied STOP
    21614: "not_a_mobile_number",
    30004: "blocked",
    30005: "unknown_destination",
    30006: "landline_or_unreachable_carrier",
}
REJECTED = {
    21211: "invalid_number",
    21408: "region_not_enabled",
    21612: "cannot_route",
    21617: "body_too_long",
    30003: "unreachable",
    30007: "carrier_filtered",
    30008: "unknown_error",
    30034: "unregistered_10dlc",
}


def reason_of(code: int | None) -> str:
    for table in (UNAVAILABLE, SUPPRESS, REJECTED):
        if code in table:
            return table[code]
    return f"twilio_{code}" if code is not None else "twilio_error"


def signature(auth_token: str, url: str, fields: Iterable[tuple[str, str]]) -> str:
    """Twilio's request signature over a URL and its POST fields."""
    data = url + "".join(name + value for name, value in sorted(fields))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_ok(
    auth_token: str, url: str, fields: Iterable[tuple[str, str]], header: str | None
) -> bool:
    if not auth_token or not header:
        return False
    return hmac.compare_digest(signature(auth_token, url, fields), header.strip())


class TwilioClient:
    def __init__(
        self,
        *,
        api_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        callback_url: str,
        timeout_s: float,
        max_connections: int,
    ) -> None:
        base = api_url.rstrip("/")
        self._url = f"{base}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        # A Messaging Service (MG...) picks the number itself; otherwise a number or sender id.
        self._sender = {"MessagingServiceSid" if sender.startswith("MG") else "From": sender}
        self.callback_url = callback_url
        self._http = httpx.AsyncClient(
            timeout=timeout_s, limits=httpx.Limits(max_connections=max_connections)
        )

    async def close(self) -> None:
        await self._http.aclose()

    def form(self, message: Outgoing) -> dict[str, str]:
        callback = f"{self.callback_url}?{urlencode({'message_id': message.message_id})}"
        return {"To": message.to, **self._sender, "Body": message.body, "StatusCallback": callback}

    async def send(self, message: Outgoing) -> Accepted:
        response = await post(self._http, self._url, data=self.form(message), auth=self._auth)
        return accepted_or_raise(response)


def accepted_or_raise(response: httpx.Response) -> Accepted:
    if response.is_success:
        try:
            return Accepted(str(response.json()["sid"]))
        except (ValueError, KeyError, TypeError):
            raise OutcomeUnknown("outcome_unknown", response.text[:300]) from None
    try:
        error = response.json()
    except ValueError:
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    code = code if isinstance(code, int) else None
    detail = str(error.get("message") or "") if isinstance(error, dict) else ""
    if response.status_code == 429 or code in UNAVAILABLE or response.status_code in (401, 403):
        retry_after = float(response.headers.get("retry-after", "0") or 0)
        raise Unavailable(reason_of(code), detail, retry_after_s=retry_after)
    if response.status_code >= 500:
        raise OutcomeUnknown("outcome_unknown", f"{response.status_code} {detail}")
    raise Rejected(reason_of(code), detail, suppress=code in SUPPRESS)


def receipt_of(
    message_id: str, fields: dict[str, str], now: datetime | None = None
) -> Receipt | None:
    """A status callback's receipt (Twilio sends no event time: the time it arrived)."""
    at = now or datetime.now(UTC)
    status = fields.get("MessageStatus") or fields.get("SmsStatus")
    if status == "delivered":
        return Receipt(message_id, Status.SENT, at)
    if status in ("undelivered", "failed"):
        raw = fields.get("ErrorCode", "")
        code = int(raw) if raw.isdigit() else None
        return Receipt(message_id, Status.FAILED, at, f"twilio {code}: {reason_of(code)}")
    return None
