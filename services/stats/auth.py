"""Authentication hooks (not enforced yet).

ARCHITECTURE.md, Authentication: every ``/api/v1/*`` route needs ``Authorization: Bearer``
(the WebSocket takes the token as the ``access_token`` query parameter); 401 without a
valid token, 403 without the right. Until the sign-in issue lands, these hooks let
everything through; that issue fills them in and nothing else in stats needs to change.
The reconcile route is meant for admins only: it is unauthenticated for now.
"""

from __future__ import annotations

from fastapi import WebSocket


async def require_reader() -> None:
    """Dependency of every read route. TODO(auth): validate the bearer token (401/403)."""


async def require_admin() -> None:
    """Dependency of admin routes (reconcile). TODO(auth): require the admin right."""


async def authorize_websocket(websocket: WebSocket) -> bool:
    """Called before the WebSocket is accepted; False closes it with 1008 (policy).
    TODO(auth): check ``websocket.query_params["access_token"]``."""
    return True
