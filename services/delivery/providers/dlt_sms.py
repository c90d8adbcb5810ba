"""SMS in India through a DLT-registered gateway, in the Gupshup Enterprise style.

TRAI's DLT rules: every commercial SMS names the sender's registered entity (principal
entity id), a registered header (the 6-letter sender id) and the registered template it
fills, and its text must match that template with only its variables filled in.
As Gupshup documents its Enterprise SMS API (docs.gupshup.io: "Send Messages to Single
Number", "Real Time Delivery Reports"):
- send: ``POST https://enterprise.smsgupshup.com/GatewayAPI/rest``, form fields
  ``method=SendMessage``, ``send_to`` (digits, country code first), ``msg``, ``msg_type``
  (``TEXT`` for GSM-7, ``Unicode_text`` for anything else), ``userid``, ``password``,
  ``auth_scheme=plain``, ``v=1.1``, ``format=json``, ``mask`` (the header),
  ``principalEntityId``, ``dltTemplateId``; the answer is ``{"response": {"id",
  "phone", "details", "status": "success" | "error"}}``, the id being the gateway's message id,
  or on error its error code;
- delivery reports: a ``GET`` to the configured URL with ``externalId`` (the gateway's id),
  ``deliveredTS`` (epoch ms), ``status`` (``SUCCESS``, ``FAILURE``, ``UNKNOWN``), ``cause``,
  ``phoneNo`` and ``errCode`` (``001`` ABSENT_SUBSCRIBER, ``003`` UNKNOWN_SUBSCRIBER, ``006``
  DND_FAIL, ``007`` BLOCKED, ``009`` OUTSIDE_WORKING_HOURS, ...).

The gateway's reports carry only its own id and no signature, so using it needs two things
not built yet: a store of which of our messages each gateway id is, and a report route
whose URL carries a secret token. Until then it cannot be chosen as the SMS provider; this
client and its report parser are tested against a mock built from the documents
(tests/providers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from services.delivery.domain.sms_parts import sms_parts
from services.delivery.domain.status import Status
from services.delivery.providers.base import (
    Accepted,
    OutcomeUnknown,
    Outgoing,
    Rejected,
    Unavailable,
    e164_digits,
    post,
)

# The delivery report's errCode: the person cannot be messaged this way (suppress), or
# this message failed.
SUPPRESS = {"003": "unknown_subscriber", "006": "dnd", "007": "blocked"}
FAILED = {
    "001": "absent_subscriber",
    "002": "call_barred",
    "004": "service_down",
    "005": "system_failure",
    "008": "dnd_timeout",
    "009": "outside_working_hours",
}
# Words in a refusal's details that mean our account, not this message, is at fault.
ACCOUNT_PROBLEMS = ("authentication", "password", "userid", "credit", "balance", "suspended")


def reason_of(code: str) -> str:
    return SUPPRESS.get(code) or FAILED.get(code) or f"dlt_{code}"


@dataclass(frozen=True)
class DltIdentity:
    """What DLT registration gave the shop (the same on every message)."""

    entity_id: str  # principal entity id
    header: str  # the registered sender id, e.g. BEACON


class DltSmsClient:
    def __init__(
        self,
        *,
        api_url: str,
        user_id: str,
        password: str,
        identity: DltIdentity,
        timeout_s: float,
        max_connections: int,
    ) -> None:
        self._url = api_url
        self._auth = {"userid": user_id, "password": password, "auth_scheme": "plain"}
        self._identity = identity
        self._http = httpx.AsyncClient(
            timeout=timeout_s, limits=httpx.Limits(max_connections=max_connections)
        )

    async def close(self) -> None:
        await self._http.aclose()

    def form(self, message: Outgoing) -> dict[str, str]:
        if not message.template:
            raise Rejected("no_dlt_template", "a DLT SMS needs its registered template id")
        unicode = sms_parts(message.body).encoding == "UCS-2"
        return {
            "method": "SendMessage",
            "send_to": e164_digits(message.to),
            "msg": message.body,
            "msg_type": "Unicode_text" if unicode else "TEXT",
            "v": "1.1",
            "format": "json",
            "mask": self._identity.header,
            "principalEntityId": self._identity.entity_id,
            "dltTemplateId": message.template,
            **self._auth,
        }

    async def send(self, message: Outgoing) -> Accepted:
        form = self.form(message)
        response = await post(self._http, self._url, data=form)
        return accepted_or_raise(response)


def accepted_or_raise(response: httpx.Response) -> Accepted:
    if response.status_code == 429:
        raise Unavailable("rate_limited", response.text[:200])
    if response.status_code >= 500:
        raise OutcomeUnknown("outcome_unknown", f"{response.status_code} {response.text[:200]}")
    try:
        answer = response.json()["response"]
        status, gateway_id = str(answer["status"]).lower(), str(answer["id"])
        details = str(answer.get("details") or "")
    except (ValueError, KeyError, TypeError):
        raise OutcomeUnknown("outcome_unknown", response.text[:300]) from None
    if response.is_success and status == "success" and gateway_id:
        return Accepted(gateway_id)
    if any(word in details.lower() for word in ACCOUNT_PROBLEMS) or response.status_code in (
        401,
        403,
    ):
        raise Unavailable(f"dlt_{gateway_id}", details)
    raise Rejected(f"dlt_{gateway_id}", details)


@dataclass(frozen=True)
class DltReport:
    gateway_id: str
    status: Status
    at: datetime
    reason: str | None
    suppress: bool


def report_of(params: dict[str, str], now: datetime | None = None) -> DltReport | None:
    """A delivery report (the query of the gateway's GET); None when it is not final."""
    gateway_id = params.get("externalId", "").strip()
    if not gateway_id or len(gateway_id) > 64:
        return None
    raw_ts = params.get("deliveredTS", "")
    try:
        at = datetime.fromtimestamp(int(raw_ts) / 1000, UTC) if raw_ts else now
    except (ValueError, OverflowError, OSError):
        at = now
    at = at or datetime.now(UTC)
    status = params.get("status", "").upper()
    code = params.get("errCode", "").strip()
    if status == "SUCCESS":
        return DltReport(gateway_id, Status.SENT, at, None, False)
    if status in ("FAILURE", "FAILED"):
        cause = params.get("cause", "").strip()[:100]
        reason = f"dlt {code}: {reason_of(code)}" + (f" ({cause})" if cause else "")
        return DltReport(gateway_id, Status.FAILED, at, reason, code in SUPPRESS)
    return None
