"""Opaque cursors for ``{"items": [...], "next_cursor": ...}`` lists (keyset pagination)."""

from __future__ import annotations

import base64

from shared.errors import invalid_field
from shared.validation import parse_int_id


def encode_cursor(last_id: int | None) -> str | None:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode() if last_id else None


def decode_cursor(cursor: str | None, *, maximum: int = 2**63 - 1) -> int | None:
    """The key a cursor stands for; a 422 naming the parameter when it is not ours (a key
    the store cannot hold included: it would fail in the query, not here)."""
    if not cursor:
        return None
    try:
        key = parse_int_id(base64.urlsafe_b64decode(cursor[:64].encode()).decode(), maximum=maximum)
    except (ValueError, UnicodeDecodeError):
        key = None
    if key is None or len(cursor) > 64:
        raise invalid_field("query.cursor", "is not a cursor this API gave")
    return key
