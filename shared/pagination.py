"""Opaque cursors for ``{"items": [...], "next_cursor": ...}`` lists (keyset pagination)."""

from __future__ import annotations

import base64

from fastapi import HTTPException


def encode_cursor(last_id: int | None) -> str | None:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode() if last_id else None


def decode_cursor(cursor: str | None) -> int | None:
    """The key a cursor stands for; a 422 naming the parameter when it is not ours."""
    if not cursor:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(
            422,
            [
                {
                    "loc": ["query", "cursor"],
                    "msg": "is not a cursor this API gave",
                    "type": "value_error",
                }
            ],
        ) from None
