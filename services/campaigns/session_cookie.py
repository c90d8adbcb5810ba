"""The dashboard's refresh token in an httpOnly cookie, never in browser storage.

A browser signs in with ``X-Beacon-Session: cookie``: the refresh token then travels only
in ``beacon_refresh`` (httpOnly, ``SameSite=Strict``, ``Path=/api/v1/auth``, ``Secure``
over TLS and always in production), the response body's ``refresh_token`` is null, and a
script on the page (an injected one included) can never read or copy it. Refresh and
sign-out without a body take the cookie, behind a CSRF check: a double-submit token
(``beacon_csrf``, readable by the page, echoed in ``X-CSRF-Token``) and no cross-site
``Sec-Fetch-Site``. API clients and the CLI keep the token in the body, as before.
See docs/security.md, Sessions.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from shared.auth.ratelimit import Network, is_trusted
from shared.errors import ApiError

REFRESH_COOKIE = "beacon_refresh"
CSRF_COOKIE = "beacon_csrf"
CSRF_HEADER = "x-csrf-token"
MODE_HEADER = "x-beacon-session"
COOKIE_PATH = "/api/v1/auth"
# What a browser says of a request from the page itself (or typed in the address bar).
SAME_SITE_FETCHES = ("same-origin", "none")


def wants_cookie(request: Request) -> bool:
    """Did the client ask for its session in a cookie (the dashboard does)?"""
    return request.headers.get(MODE_HEADER, "").strip().lower() == "cookie"


def _secure(request: Request, production: bool, trusted: tuple[Network, ...]) -> bool:
    """``Secure`` over TLS, as this service or a trusted proxy in front of it saw it."""
    if production or request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and is_trusted(peer, trusted)


def put(
    response: Response,
    request: Request,
    refresh_token: str,
    *,
    max_age_s: int,
    production: bool,
    trusted: tuple[Network, ...],
) -> None:
    """Set the refresh cookie and a fresh CSRF token beside it."""
    secure = _secure(request, production, trusted)
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=max_age_s,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    # Readable by the page (it echoes it), so it proves the request came from a page of
    # this origin; it is worthless without the httpOnly cookie beside it.
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        max_age=max_age_s,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )


def clear(response: Response) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")


def refresh_token_of(request: Request) -> str:
    """The cookie's refresh token, once the request has passed the CSRF check."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in SAME_SITE_FETCHES:
        raise ApiError(403, f"a {site} request cannot use the session cookie", code="csrf")
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise ApiError(
            403,
            f"the {CSRF_HEADER} header must repeat the {CSRF_COOKIE} cookie",
            code="csrf",
        )
    token = request.cookies.get(REFRESH_COOKIE, "")
    if not token or len(token) > 200:
        raise ApiError(
            401,
            "no refresh token: send it in the body, or sign in with X-Beacon-Session: cookie",
            code="refresh_invalid",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token
