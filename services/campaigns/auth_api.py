"""The sign-in API (``/api/v1/auth``) and API key management (``/api/v1/keys``).

Campaigns serves them (the dashboard proxies both prefixes to it). Open: ``config``,
``dev``, ``google``, ``refresh`` and ``signout`` (whose credential is the refresh token
itself, in the body or, for the dashboard, in an httpOnly cookie: session_cookie.py); the
rest sits behind the shared auth dependency.
See docs/security.md for the flows.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.campaigns import session_cookie
from services.campaigns.domain.accounts import SCOPES, bad_scopes, email_allowed
from services.campaigns.responses import AuthConfig, KeyList, NewKeyOut, Session, User
from services.campaigns.settings import CampaignsSettings
from services.campaigns.signin import Keys, Sessions, dev_sign_in_enabled
from shared.auth.apikeys import PREFIX
from shared.auth.dependency import Caller, access, credential_of, http_error
from shared.auth.google import GoogleVerifier
from shared.auth.principal import AuthError, csv
from shared.auth.ratelimit import RateLimit, client_ip, networks
from shared.errors import ApiError, invalid_field, responses

Role = Literal["viewer", "marketer", "admin"]


def _picture(value: object) -> str | None:
    """Google's picture URL, if it fits the column (a cut URL would be a broken one)."""
    return value if isinstance(value, str) and len(value) <= 2000 else None


class DevSignIn(BaseModel):
    # "dev:<email>" must fit the 255-character sub (SMTP's own limit is 254).
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=250)
    name: str | None = Field(default=None, max_length=200)
    role: Role | None = None


class GoogleSignIn(BaseModel):
    credential: str = Field(min_length=1, max_length=10_000)


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


# Without a body, refresh and sign-out take the refresh token from the httpOnly cookie
# (session_cookie.py), behind its CSRF check.
OptionalRefresh = RefreshBody | None


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    # The enum documents what bad_scopes() checks, so the OpenAPI document says the truth.
    scopes: list[str] = Field(
        min_length=1,
        description=f"any of {sorted(SCOPES)}",
        json_schema_extra={"items": {"type": "string", "enum": list[Any](sorted(SCOPES))}},
    )


def no_store(response: Response) -> None:
    """A response that carries tokens is kept by no cache, shared or the browser's own
    (RFC 6749 section 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


def build_routers(
    settings: CampaignsSettings, sessions: Sessions, keys: Keys
) -> tuple[APIRouter, APIRouter]:
    """(public routes, routes behind sign-in)."""
    # Every call that signs in, refreshes or signs out counts against its client IP.
    limit = RateLimit("sign-in", settings.auth_rate_limit, networks(settings.trusted_proxies))
    public = APIRouter(prefix="/api/v1/auth", tags=["sign-in"])
    closed = APIRouter(tags=["sign-in"])
    google = GoogleVerifier(settings)
    dev_mode = dev_sign_in_enabled(settings)

    def deliver(
        session: dict[str, Any], request: Request, response: Response, *, cookie: bool
    ) -> dict[str, Any]:
        """The session as the client keeps it: the refresh token in the body, or (the
        dashboard) only in the httpOnly cookie, rotated like the token it holds."""
        if not cookie:
            return session
        session_cookie.put(
            response,
            request,
            session["refresh_token"],
            max_age_s=settings.auth_refresh_ttl_s,
            production=settings.production,
            trusted=limit.trusted,
        )
        return {**session, "refresh_token": None}

    @public.get("/config", response_model=AuthConfig)
    async def config() -> dict[str, Any]:
        return {
            "google_client_id": settings.auth_google_client_id or None,
            "dev_sign_in": dev_mode,
        }

    @public.post(
        "/dev",
        summary="Dev mode only: sign in as any allowed email, no Google",
        response_model=Session,
        responses=responses(401, 403, 404, 429),
    )
    async def dev(body: DevSignIn, response: Response, request: Request) -> dict[str, Any]:
        limit.check(request)
        no_store(response)
        if not dev_mode:
            raise ApiError(404, "dev sign-in is off (a Google client id is configured)")
        email = str(body.email).lower()
        domains, emails = csv(settings.auth_allowed_domains), csv(settings.auth_allowed_emails)
        if not email_allowed(email, domains=domains, emails=emails):
            raise http_error(AuthError("not_allowed", "this email is not on the allow-list"))
        try:
            session = await sessions.sign_in(
                sub=f"dev:{email}",
                email=email,
                name=body.name or email.partition("@")[0][:200],
                picture=None,
                asked=body.role or "marketer",
                method="dev",
                ip=client_ip(request, limit.trusted),
            )
        except AuthError as error:  # an admin disabled this person
            raise http_error(error) from None
        return deliver(session, request, response, cookie=session_cookie.wants_cookie(request))

    @public.post(
        "/google",
        summary="Exchange a Google ID token for a Beacon session",
        response_model=Session,
        responses=responses(401, 403, 404, 429),
    )
    async def google_sign_in(
        body: GoogleSignIn, response: Response, request: Request
    ) -> dict[str, Any]:
        limit.check(request)
        no_store(response)
        try:
            claims = await google.verify(body.credential)
        except AuthError as error:
            raise http_error(error) from None
        try:
            session = await sessions.sign_in(
                sub=str(claims["sub"]),
                email=str(claims["email"]).lower(),
                name=str(claims.get("name") or claims["email"])[:200],
                picture=_picture(claims.get("picture")),
                asked=None,
                method="google",
                ip=client_ip(request, limit.trusted),
            )
        except AuthError as error:  # an admin disabled this person
            raise http_error(error) from None
        return deliver(session, request, response, cookie=session_cookie.wants_cookie(request))

    @public.post(
        "/refresh",
        summary="A new session for a refresh token (which is rotated)",
        description=(
            "The refresh token comes in the body, or (no body) from the httpOnly "
            "`beacon_refresh` cookie set at a sign-in with `X-Beacon-Session: cookie`; "
            "the cookie needs `X-CSRF-Token` equal to the `beacon_csrf` cookie."
        ),
        response_model=Session,
        responses=responses(401, 403, 429),
    )
    async def refresh(
        response: Response, request: Request, body: OptionalRefresh = None
    ) -> dict[str, Any]:
        limit.check(request)
        no_store(response)
        token = body.refresh_token if body else session_cookie.refresh_token_of(request)
        try:
            session = await sessions.refresh(token, client_ip(request, limit.trusted))
        except AuthError as error:
            raise http_error(error) from None
        return deliver(session, request, response, cookie=body is None)

    @public.post(
        "/signout",
        status_code=204,
        summary="End the session of this refresh token (its own, signed in or not)",
        responses=responses(401, 403, 429),
    )
    async def sign_out(request: Request, body: OptionalRefresh = None) -> Response:
        limit.check(request)
        token = body.refresh_token if body else session_cookie.refresh_token_of(request)
        # The refresh token is the credential (an access token may have run out after 15 idle
        # minutes). A valid access token sent along must be the same person's.
        caller = None
        bearer = credential_of(request)
        if bearer and not bearer.startswith(PREFIX):
            try:
                caller = sessions.tokens.verify(bearer).sub
            except AuthError:
                caller = None  # expired or bad: the refresh token alone decides
        try:
            await sessions.sign_out(token, caller)
        except AuthError as error:
            raise http_error(error) from None
        done = Response(status_code=204)
        if not body:
            session_cookie.clear(done)
        return done

    @closed.get("/api/v1/auth/me", response_model=User, openapi_extra=access("viewer", scope=None))
    async def me(who: Caller) -> dict[str, Any]:
        return {
            "sub": who.sub,
            "email": who.email,
            "name": who.name,
            "picture": who.picture,
            "roles": [who.role],
        }

    admin = access("admin", scope=None)

    @closed.post(
        "/api/v1/keys",
        status_code=201,
        response_model=NewKeyOut,
        openapi_extra=admin,
        tags=["keys"],
    )
    async def create_key(body: NewKey, who: Caller) -> dict[str, Any]:
        wrong = bad_scopes(body.scopes)
        if wrong:
            raise invalid_field("body.scopes", f"unknown scopes {wrong}")
        created = await keys.create(body.name, body.scopes, who.actor())
        return {k: created[k] for k in ("id", "name", "scopes", "key", "created_at")}

    @closed.get("/api/v1/keys", response_model=KeyList, openapi_extra=admin, tags=["keys"])
    async def list_keys() -> dict[str, Any]:
        return {"items": await keys.list(), "next_cursor": None}

    @closed.delete(
        "/api/v1/keys/{key_id}",
        status_code=204,
        openapi_extra=admin,
        tags=["keys"],
        responses=responses(404),
    )
    async def revoke_key(key_id: str, who: Caller) -> Response:
        if not await keys.revoke(key_id, who.actor()):
            raise ApiError(404, f"no key {key_id!r}")
        return Response(status_code=204)

    return public, closed
