"""What a WebSocket client may send, parsed without trusting it.

Only ``{"type": "subscribe", "campaign_ids": [...]}`` (an empty list means all campaigns),
``{"type": "auth", "access_token": "..."}`` (a fresh token before the current one expires)
and ``{"type": "pong"}`` (ignored) are understood; anything else is a
:class:`ClientMessageError` whose text goes back to the client as an error message.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from services.stats.domain.counters import MAX_ID_LENGTH

MAX_MESSAGE_BYTES = 256 * 1024


class ClientMessageError(ValueError):
    """A message the server cannot act on; the text is safe to show the client."""


@dataclass(frozen=True)
class Subscribe:
    campaign_ids: tuple[str, ...]  # empty: every campaign


@dataclass(frozen=True)
class Reauthenticate:
    access_token: str


def parse_client_message(text: str | bytes, *, max_ids: int) -> Subscribe | Reauthenticate | None:
    """A subscribe or auth request, or None for a message that needs no answer (a pong)."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ClientMessageError(f"message too large (over {MAX_MESSAGE_BYTES} bytes)")
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ClientMessageError("not valid JSON") from None
    if not isinstance(message, dict):
        raise ClientMessageError("expected a JSON object with a 'type'")
    kind = message.get("type")
    if kind == "pong":
        return None
    if kind == "auth":
        token = message.get("access_token")
        if not isinstance(token, str) or not token:
            raise ClientMessageError("access_token must be a non-empty string")
        return Reauthenticate(token)
    if kind != "subscribe":
        raise ClientMessageError(f"unknown message type {kind!r}; expected 'subscribe' or 'auth'")
    ids = message.get("campaign_ids")
    if not isinstance(ids, list):
        raise ClientMessageError("campaign_ids must be a list of strings")
    if len(ids) > max_ids:
        raise ClientMessageError(f"at most {max_ids} campaign_ids per subscribe")
    if not all(isinstance(i, str) and 0 < len(i) <= MAX_ID_LENGTH for i in ids):
        raise ClientMessageError(f"campaign_ids must be strings of 1-{MAX_ID_LENGTH} characters")
    return Subscribe(tuple(dict.fromkeys(ids)))
