"""Hot routes: a few request paths served ahead of FastAPI's routing.

A single-order POST is tiny, and FastAPI's per-request machinery around it (dependency
solving for the auth dependency and the route's parameters, its request/response
handling) was about a third of the API's CPU for one. A hot route is a plain Starlette
route placed first in the app's routes: the request middleware (correlation id, body
limit, metrics) and the exception handlers (the one error shape) still apply, but the
endpoint authorizes the caller itself (``Authenticator.authorize``) and reads its own body.
The same path stays declared on the API router, which documents it in OpenAPI; requests
with other methods fall through to that router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route


class HotRoute(Route):
    """A Starlette route that names itself in the scope (the metrics label by route)."""

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], *, method: str
    ) -> None:
        super().__init__(path, endpoint, methods=[method], include_in_schema=False)

    def matches(self, scope: Any) -> tuple[Match, Any]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:
            child_scope = {**child_scope, "route": self}
        return match, child_scope
