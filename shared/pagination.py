"""Cursors for ``{"items": [...], "next_cursor": ...}`` lists (keyset pagination).

A cursor is the key of the last item of the previous page, spelled so that every value its
documented pattern allows is a position: a plain decimal id (:data:`Cursor`), or for a key
that is text, its UTF-8 in hex (:data:`TextCursor`). A made-up value that fits the pattern
is a valid place to start (perhaps past the end: an empty page); one that does not fit is a
422 naming ``query.cursor``, which the OpenAPI document says, so nothing is left unstated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from shared.errors import invalid_field

# Up to 18 digits: every such number fits a BIGINT key (below 2**63).
CURSOR_PATTERN = r"^[1-9][0-9]{0,17}$"
# A text key (an id of up to 64 characters, 4 bytes each at most) as lower-case hex.
TEXT_CURSOR_PATTERN = r"^([0-9a-f]{2}){1,256}$"

Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        description="the next_cursor of the previous page (a key: any value of this pattern "
        "is a position); left out, the first page",
    ),
]
TextCursor = Annotated[
    str | None,
    Query(
        pattern=TEXT_CURSOR_PATTERN,
        description="the next_cursor of the previous page (a key as UTF-8 hex: any value of "
        "this pattern is a position); left out, the first page",
    ),
]


def encode_cursor(last_id: int | None) -> str | None:
    return str(last_id) if last_id else None


def decode_cursor(cursor: str | None, *, maximum: int = 2**63 - 1) -> int | None:
    """The key a cursor stands for (keys past ``maximum`` start at ``maximum``: the same
    place, as no key is larger); a 422 naming the parameter when it is not a cursor."""
    if not cursor:
        return None
    if len(cursor) > 18 or not cursor.isascii() or not cursor.isdigit() or cursor[0] == "0":
        raise invalid_field("query.cursor", "is not a cursor (a positive decimal key)")
    return min(int(cursor), maximum)


def encode_text_cursor(last: str | None) -> str | None:
    return last.encode().hex() if last else None


def decode_text_cursor(cursor: str | None) -> str:
    """The text key a cursor stands for ("" for the first page). Bytes that are not UTF-8
    become U+FFFD: still a place in the order."""
    if not cursor:
        return ""
    if len(cursor) > 512 or len(cursor) % 2:
        raise invalid_field("query.cursor", "is not a cursor (a key as UTF-8 hex)")
    try:
        return bytes.fromhex(cursor).decode("utf-8", "replace")[:64]
    except ValueError:
        raise invalid_field("query.cursor", "is not a cursor (a key as UTF-8 hex)") from None
