"""Sign-in for the stats WebSocket (the HTTP routes use the shared dependency, see
``shared.auth.dependency``).

A client connects to ``/api/v1/stats/ws`` and sends ``{"type": "auth", "access_token":
"<token or key>"}`` first (within 5 s), or puts it in the URL (``?access_token=``, for older
clients: a URL lands in proxies' logs); without a valid token (or an API key with
``stats:read``) the socket is closed with code 1008 and the reason (e.g. ``token_expired``).
A person's token expires: the server closes the socket with
1008 ``token_expired`` at that moment unless the client has sent
``{"type": "auth", "access_token": "<fresh token>"}`` before, which moves the deadline to the
new token's expiry (a bad one closes the socket with 1008 too). The socket asks for its
credential again every ``BEACON_AUTH_KEY_CACHE_S`` (at least every second): once a key is
revoked, or an admin ends the person's sessions (the copies here hear within a few seconds),
the socket is closed with 1008 ``key_invalid`` or ``session_ended``.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress

from fastapi import WebSocket

from services.stats.domain.messages import (
    ClientMessageError,
    Reauthenticate,
    parse_client_message,
)
from shared.auth.dependency import Authenticator
from shared.auth.principal import AuthError, Principal
from shared.logging import get_logger

log = get_logger(__name__)


class TokenExpired(Exception):
    """The connection's token ran out and no fresh one came."""


class Session:
    """Who is on this connection and until when."""

    def __init__(self, auth: Authenticator, principal: Principal, credential: str) -> None:
        self.auth = auth
        self.expires_at = principal.expires_at  # None: an API key, no expiry
        self.credential = credential
        self.renewed = asyncio.Event()

    async def reauthenticate(self, token: str) -> None:
        """A fresh token from the client; AuthError if it is not a valid one."""
        principal = await authorize(self.auth, token)
        self.expires_at = principal.expires_at
        self.credential = token
        self.renewed.set()

    async def watch(self) -> None:
        """Raise :class:`TokenExpired` when a person's token runs out (re-checked on
        renewal), or the AuthError of a key that was revoked or a session an admin ended:
        the credential is asked again every second or so."""
        every = min(max(self.auth.keys.ttl, 0.2), 1.0)
        while True:
            wait = every
            if self.expires_at is not None:
                left = self.expires_at - time.time()
                if left <= 0:
                    raise TokenExpired
                wait = min(wait, left)
            self.renewed.clear()
            with suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.renewed.wait()
                    continue  # a fresh credential was just checked
            if self.expires_at is not None and self.expires_at <= time.time():
                raise TokenExpired
            await self._recheck()

    async def _recheck(self) -> None:
        """Raise AuthError once the credential is refused (a revoked key, an ended session)."""
        try:
            await authorize(self.auth, self.credential)
        except AuthError as error:
            if error.code == "token_expired":
                raise TokenExpired from None
            raise
        except Exception as error:  # the database away a moment: ask again next time
            log.warning("ws_credential_recheck_failed", error=repr(error)[:200])


async def authorize(auth: Authenticator, token: str | None) -> Principal:
    principal = await auth.authenticate(token)
    auth.check(principal, "viewer", "read")
    return principal


FIRST_MESSAGE_S = 5.0  # how long a socket opened without a credential may wait to send one


async def open_session(websocket: WebSocket) -> Session | None:
    """Accept the socket; if its credential is not good, close it with 1008 and say why.

    The credential comes in the first message, ``{"type": "auth", "access_token": ...}``
    (what the dashboard does: a token in the URL would be in every proxy's logs), or, for
    older clients and scripts, as ``?access_token=`` (a key or a token)."""
    auth: Authenticator = websocket.app.state.auth
    await websocket.accept()
    credential = websocket.query_params.get("access_token")
    try:
        if credential is None:
            credential = await _first_message_credential(websocket)
        principal = await authorize(auth, credential)
    except AuthError as error:
        await websocket.close(code=1008, reason=error.code)
        return None
    return Session(auth, principal, credential or "")


async def _first_message_credential(websocket: WebSocket) -> str:
    try:
        async with asyncio.timeout(FIRST_MESSAGE_S):
            text = await websocket.receive_text()
    except TimeoutError:
        raise AuthError("missing_token", 'send {"type": "auth", ...} first') from None
    try:
        message = parse_client_message(text, max_ids=0)
    except ClientMessageError as error:
        raise AuthError("missing_token", f"the first message must be auth: {error}") from None
    if not isinstance(message, Reauthenticate):
        raise AuthError("missing_token", 'the first message must be {"type": "auth", ...}')
    return message.access_token
