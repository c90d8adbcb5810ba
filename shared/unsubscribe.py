"""One-click unsubscribe tokens (RFC 8058): who may stop which channel, signed.

Shared by both sides: delivery puts a token in every email's ``List-Unsubscribe`` link and
footer; segments, which keeps the suppression list, verifies it on
``POST /api/v1/unsubscribe?token=…``. ``<channel>.<base64url customer id>.<base64url
HMAC-SHA256 of "<channel>.<customer id>">``: no expiry, because a link in an old email must
keep working (CAN-SPAM asks for 30 days at least), and nothing secret inside (the customer
id is the shop's own). Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

CHANNELS = frozenset({"email", "sms"})
# The secret both sides use when none is set: local runs only.
DEV_SECRET = "beacon-dev-unsubscribe-secret"
MAX_TOKEN = 400  # a 64-character id, base64'd, and a 32-byte MAC, with room to spare


class BadToken(Exception):
    """Not a token this secret signed (answered 400, or 403 for a wrong signature)."""

    def __init__(self, why: str, *, forged: bool = False) -> None:
        super().__init__(why)
        self.forged = forged


@dataclass(frozen=True)
class Unsubscribe:
    customer_id: str
    channel: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    # validate: a character outside the alphabet is an error, not silently dropped.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _mac(secret: str, channel: str, customer_id: str) -> bytes:
    signed = f"{channel}.{customer_id}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).digest()


def make_token(secret: str, customer_id: str, channel: str) -> str:
    return f"{channel}.{_b64(customer_id.encode())}.{_b64(_mac(secret, channel, customer_id))}"


def read_token(secret: str, token: str) -> Unsubscribe:
    """Who the token names; :class:`BadToken` unless ``secret`` signed exactly this."""
    if len(token) > MAX_TOKEN:
        raise BadToken("token too long")
    channel, _, rest = token.partition(".")
    encoded_id, _, encoded_mac = rest.partition(".")
    if channel not in CHANNELS or not encoded_id or not encoded_mac:
        raise BadToken("not an unsubscribe token")
    try:
        customer_id = _unb64(encoded_id).decode()
        mac = _unb64(encoded_mac)
    except (binascii.Error, ValueError):
        raise BadToken("not an unsubscribe token") from None
    if not customer_id:
        raise BadToken("not an unsubscribe token")
    if not hmac.compare_digest(mac, _mac(secret, channel, customer_id)):
        raise BadToken("the token's signature does not match", forged=True)
    return Unsubscribe(customer_id, channel)
