"""Sign-in for the stats WebSocket (the HTTP routes use the shared dependency, see
``shared.auth.dependency``).

A client connects to ``/api/v1/stats/ws?access_token=<token>``; without a valid token (or an
API key with ``stats:read``) the socket is accepted and at once closed with code 1008 and the
reason (e.g. ``token_expired``). A person's token expires: the server closes the socket with
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


async def open_session(websocket: WebSocket) -> Session | None:
    """Accept the socket; if its token is not good, close it with 1008 and say why."""
    auth: Authenticator = websocket.app.state.auth
    await websocket.accept()
    credential = websocket.query_params.get("access_token")
    try:
        principal = await authorize(auth, credential)
    except AuthError as error:
        await websocket.close(code=1008, reason=error.code)
        return None
    return Session(auth, principal, credential or "")
