"""Verify a Google ID token (the credential Google Identity Services hands the dashboard).

PyJWT's :class:`jwt.PyJWKClient` fetches Google's published keys (``BEACON_AUTH_GOOGLE_CERTS_URL``,
a JWKS), caches them, and fetches again when a token names a key it does not know (Google
rotates them). Checked: the RS256 signature, ``iss`` (accounts.google.com, with or without
https://), ``aud`` equal to our client id (always passed explicitly), ``exp`` and ``iat``
with at most 60 s of clock skew, ``email_verified``, and the allow-list.
"""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

from shared.auth.principal import AuthError, csv
from shared.auth.tokens import describe
from shared.settings import ServiceSettings

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CLOCK_SKEW_S = 60


class GoogleVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self.client_id = settings.auth_google_client_id
        self.jwks = jwt.PyJWKClient(
            settings.auth_google_certs_url, cache_jwk_set=True, lifespan=3600, timeout=10
        )
        self.allowed_domains = csv(settings.auth_allowed_domains)
        self.allowed_emails = csv(settings.auth_allowed_emails)

    async def verify(self, credential: str) -> dict[str, Any]:
        """The verified claims, or :class:`AuthError` naming what failed."""
        if not self.client_id:
            raise AuthError("google_not_configured", "Google sign-in is not configured", 404)
        try:
            # urllib under the hood: the (rare) key fetch runs off the event loop.
            key = await asyncio.to_thread(self.jwks.get_signing_key_from_jwt, credential)
            claims: dict[str, Any] = jwt.decode(
                credential,
                key.key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=ISSUERS,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError:
            raise AuthError(
                "google_keys_unavailable", "Google's keys cannot be fetched", 503
            ) from None
        except jwt.PyJWKClientError:
            raise AuthError(
                "bad_signature", "the token is signed by a key Google does not list"
            ) from None
        except jwt.PyJWTError as error:
            raise describe(error) from None
        if claims.get("email_verified") is not True or not claims.get("email"):
            raise AuthError("email_unverified", "the Google account's email is not verified")
        if not self.allowed(str(claims["email"]), claims.get("hd")):
            raise AuthError("not_allowed", "this account is not on Beacon's allow-list", 401)
        return claims

    def allowed(self, email: str, hosted_domain: Any) -> bool:
        """On the allow-list: a listed address, or an account of a listed Workspace domain
        (Google's ``hd`` claim, which only Workspace accounts carry). No list: anyone."""
        if not self.allowed_domains and not self.allowed_emails:
            return True
        if email.lower() in self.allowed_emails:
            return True
        return isinstance(hosted_domain, str) and hosted_domain.lower() in self.allowed_domains
