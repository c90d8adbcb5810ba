"""The one dependency that closes every ``/api/v1/*`` route of every service.

``shared.runtime`` adds :meth:`Authenticator.dependency` to each service's API router, so a
route is closed unless a service deliberately serves it on its public router (sign-in, the
vendor's HMAC-signed receipt callback). What a route needs:

- people: at least ``viewer`` for reads (GET), ``marketer`` for writes, unless the route
  says otherwise with ``openapi_extra=access(...)`` (e.g. a POST that only reads, or an
  admin action);
- API keys: the scope ``<service>:read`` or ``<service>:write`` the same way; admin routes
  take no key at all.

Missing or bad credentials answer 401 with ``shared.errors.ErrorBody`` (``code`` says why,
e.g. ``token_expired``); a valid caller
without the right answers 403, before the route runs, so nothing is written. A hot route
served ahead of FastAPI's routing (``shared.hot_routes``) calls
:meth:`Authenticator.authorize` itself, which makes the same check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth.apikeys import PREFIX, KeyStore
from shared.auth.cutoffs import CutoffStore
from shared.auth.principal import RANK, AuthError, Principal
from shared.auth.ratelimit import RateLimit, client_ip, networks
from shared.auth.signing import load_signing_keys
from shared.auth.tokens import LEEWAY_S, TokenService
from shared.errors import ApiError
from shared.settings import ServiceSettings
from shared.tables import api_keys_table, session_cutoffs_table

ACCESS = "x-beacon-access"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}

# Declared for OpenAPI (the Authorize button in /docs); the check itself is ours.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A Beacon access token (POST /api/v1/auth/...), or an API key bk_...",
)
key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description="An API key bk_..."
)


def access(role: str, scope: str | None = "read") -> dict[str, Any]:
    """``openapi_extra`` for a route that needs something else than its method implies.

    ``scope`` is the API key scope verb (``read``/``write``), None for routes keys may not
    call."""
    assert role in RANK
    return {ACCESS: {"role": role, "scope": scope}}


def requirement(request: Request) -> tuple[str, str | None]:
    route = request.scope.get("route")
    declared = (getattr(route, "openapi_extra", None) or {}).get(ACCESS)
    if declared:
        return declared["role"], declared["scope"]
    if request.method in READ_METHODS:
        return "viewer", "read"
    return "marketer", "write"


def credential_of(request: Request) -> str | None:
    """What the two schemes below read: an ``X-API-Key``, else a ``Bearer`` token."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


def http_error(error: AuthError) -> ApiError:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return ApiError(error.status, error.message, code=error.code, headers=headers)


class Authenticator:
    """Verifies access tokens (locally, by signature) and API keys (this service's copy)."""

    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        engine: AsyncEngine,
        on_key_used: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.service = service
        self.tokens = TokenService(
            load_signing_keys(settings),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )
        self.keys = KeyStore(engine, api_keys_table(MetaData()), settings, on_key_used)
        self.cutoffs = CutoffStore(
            engine,
            session_cutoffs_table(MetaData()),
            settings.auth_key_cache_s,
            horizon_s=settings.auth_access_ttl_s + LEEWAY_S,
        )
        # Guessing keys costs a database lookup each: a client IP gets so many failures.
        self.key_failures = RateLimit(
            "API key", settings.auth_key_failure_limit, networks(settings.trusted_proxies)
        )

    async def authenticate(self, credential: str | None) -> Principal:
        if not credential:
            raise AuthError("missing_token", "send Authorization: Bearer <token> or X-API-Key")
        if credential.startswith(PREFIX):
            return await self.keys.principal(credential)
        principal = self.tokens.verify(credential)
        await self.cutoffs.check(principal)  # an admin may have ended this session
        return principal

    def check(self, principal: Principal, role: str, scope: str | None) -> None:
        if principal.kind == "key":
            needed = f"{self.service}:{scope}" if scope else None
            if needed is None or needed not in principal.scopes:
                raise AuthError(
                    "insufficient_scope",
                    f"this API key lacks the scope {needed}" if needed else "keys cannot do this",
                    403,
                )
        elif not principal.has_role(role):
            raise AuthError("insufficient_role", f"this needs the {role} role", 403)

    async def authorize(self, request: Request, role: str, scope: str | None) -> Principal:
        """The caller of ``request`` if it may do what (role, key scope) needs; raises the
        401/403 ``ApiError`` otherwise. Sets ``request.state.principal``."""
        credential = credential_of(request)
        is_key = bool(credential and credential.startswith(PREFIX))
        ip = client_ip(request, self.key_failures.trusted) if is_key else ""
        if is_key and self.key_failures.items:
            wait = self.key_failures.retry_after(ip)
            if wait is not None:  # refused before the lookup: a flood never reaches the db
                raise self.key_failures.refuse(wait)
        try:
            principal = await self.authenticate(credential)
            self.check(principal, role, scope)
        except AuthError as error:
            if is_key and error.status == 401 and self.key_failures.items:
                self.key_failures.hit(ip)
            raise http_error(error) from None
        request.state.principal = principal
        return principal

    @property
    def dependency(self) -> Any:
        """The router-level dependency; the route gets the caller as ``request.state.principal``."""

        async def authorize(
            request: Request,
            # Declared so /docs shows both schemes; `authorize` reads the same headers.
            _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
            _api_key: Annotated[str | None, Depends(key_scheme)],
        ) -> Principal:
            return await self.authorize(request, *requirement(request))

        return authorize


def caller(request: Request) -> Principal:
    """The authenticated caller of this request (set by the router dependency)."""
    principal = getattr(request.state, "principal", None)
    assert isinstance(principal, Principal), "route is not behind the auth dependency"
    return principal


Caller = Annotated[Principal, Depends(caller)]
