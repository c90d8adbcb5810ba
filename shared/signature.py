"""The vendor's signature on receipt callbacks (HMAC-SHA256, Stripe-style header).

Shared by both sides: the vendor simulator signs, delivery's receipt callback verifies.

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
# The secret both sides use when none is set: local runs only (delivery refuses it in production).
DEV_SECRET = "beacon-dev-vendor-secret"
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


MAX_HEADER = 1024  # t, and a few v1 values of 64 hex digits each
MAX_SIGNATURES = 4


def parse_header(
    header: str | None, *, now: float, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> tuple[int, list[str]]:
    """The timestamp and candidate signatures of ``header``, checked before the body is
    read: missing, oversized, malformed or stale headers raise :class:`SignatureError`."""
    if not header:
        raise SignatureError(f"missing {HEADER} header")
    if len(header) > MAX_HEADER:
        raise SignatureError(f"malformed {HEADER} header: longer than {MAX_HEADER} characters")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq:
            continue
        if key == "t":
            value = value.strip()
            # At most 12 digits: any real unix time, and never a float overflow below.
            if not (value.isascii() and value.isdigit() and len(value) <= 12):
                raise SignatureError(f"malformed {HEADER} header: bad timestamp")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError(f"malformed {HEADER} header: expected t=<unix time>,v1=<hex>")
    if len(candidates) > MAX_SIGNATURES:
        raise SignatureError(f"malformed {HEADER} header: more than {MAX_SIGNATURES} signatures")
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("signature timestamp outside the allowed window")
    return timestamp, candidates


def check_body(secret: str, timestamp: int, candidates: list[str], body: bytes) -> None:
    """Raise :class:`SignatureError` unless one candidate signs ``body`` at ``timestamp``."""
    expected = signature(secret, timestamp, body).encode()
    # Compare every candidate (no early exit) in constant time per candidate; as bytes,
    # because compare_digest refuses non-ASCII str and a header may carry anything.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise SignatureError("signature does not match the body")


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
    timestamp, candidates = parse_header(header, now=now, tolerance_s=tolerance_s)
    check_body(secret, timestamp, candidates, body)
