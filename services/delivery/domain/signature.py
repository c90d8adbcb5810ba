"""The vendor's signature on receipt callbacks (HMAC-SHA256, Stripe-style header).

``X-Beacon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``. The
timestamp is inside the signed text, so a captured callback cannot be replayed after the
tolerance window with a fresh ``t``. Several ``v1=`` values may be given (a vendor rotating
its secret signs with both); one match is enough. Verification works on the raw bytes:
re-serialising parsed JSON would not give the bytes that were signed.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Beacon-Signature"
DEFAULT_TOLERANCE_S = 300


class SignatureError(Exception):
    """Why a callback is not accepted as coming from the vendor (answered with 401)."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    """Raise :class:`SignatureError` unless ``header`` signs ``body`` with ``secret``
    at a time within ``tolerance_s`` of ``now`` (either side: clocks drift both ways)."""
    if not header:
        raise SignatureError(f"missing {HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(f"malformed {HEADER} header: bad timestamp") from None
        elif key == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError(f"malformed {HEADER} header: expected t=<unix time>,v1=<hex>")
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("signature timestamp outside the allowed window")
    expected = signature(secret, timestamp, body).encode()
    # Compare every candidate (no early exit) in constant time per candidate; as bytes,
    # because compare_digest refuses non-ASCII str and a header may carry anything.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise SignatureError("signature does not match the body")
