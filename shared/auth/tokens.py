"""Beacon access tokens: short-lived EdDSA JWTs every service verifies locally.

Claims: ``iss``, ``aud``, ``sub`` (the Google subject, or ``dev:<email>``), ``email``,
``name``, ``picture``, ``roles`` (one role, e.g. ``["marketer"]``), ``iat``, ``exp``, ``jti``.
No service ever calls Google or campaigns to check a token: the signature is the proof.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from shared.auth.principal import RANK, AuthError, Principal
from shared.auth.signing import SigningKeys, load_signing_keys
from shared.settings import ServiceSettings

ALGORITHM = "EdDSA"
# RFC 9068's media type for JWT access tokens: issued in the header and required on verify,
# so no other JWT signed with the same key (an ID token, say) passes as an access token.
TOKEN_TYPE = "at+jwt"
LEEWAY_S = 30  # clock skew tolerated between Beacon's own processes
# Tokens verified recently, kept until they expire: a token is stateless (nothing revokes it
# before its exp), so its answer cannot change, and verifying the Ed25519 signature on every
# request was 13 % of the ingest api's CPU on single-order POSTs (docs/performance.md).
VERIFIED_CACHE = 10_000


@dataclass(frozen=True)
class UserClaims:
    sub: str
    email: str
    name: str
    picture: str | None
    role: str

    def as_user(self) -> dict[str, Any]:
        """The ``User`` object of the sign-in API."""
        return {
            "sub": self.sub,
            "email": self.email,
            "name": self.name,
            "picture": self.picture,
            "roles": [self.role],
        }


class TokenService:
    def __init__(self, keys: SigningKeys, *, issuer: str, audience: str) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self._verified: dict[str, Principal] = {}  # only tokens that verified

    def issue(self, user: UserClaims, ttl_s: int) -> str:
        if self.keys.private is None:
            raise RuntimeError("this process has no signing key (only campaigns issues tokens)")
        issued = time.time()
        now = int(issued)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            # To the millisecond: an admin's session cut-off and a refresh in the same second
            # must still be told apart (shared.auth.cutoffs).
            "iat_ms": int(issued * 1000),
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            **user.as_user(),
        }
        return jwt.encode(
            claims, self.keys.private, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE}
        )

    def verify(self, token: str) -> Principal:
        """The caller the token names, or :class:`AuthError` saying what is wrong with it."""
        known = self._verified.get(token)
        if known is not None and known.expires_at is not None and time.time() < known.expires_at:
            return known
        principal = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE:  # many users, or a flood: start over
            self._verified.clear()
        self._verified[token] = principal
        return principal

    def _verify(self, token: str) -> Principal:
        claims = self._decode(token)
        roles = claims.get("roles")
        if not (
            isinstance(claims.get("sub"), str)
            and isinstance(roles, list)
            and len(roles) == 1
            and roles[0] in RANK
        ):
            raise AuthError("token_invalid", "the token does not name a user and a role")
        return Principal(
            sub=claims["sub"],
            kind="user",
            email=claims.get("email"),
            name=claims.get("name"),
            picture=claims.get("picture"),
            role=roles[0],
            expires_at=float(claims["exp"]),
            issued_at=(
                claims["iat_ms"] / 1000
                if isinstance(claims.get("iat_ms"), int)
                else float(claims["iat"])
            ),
        )

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise describe(error) from None
        if str(header.get("typ", "")).lower() not in (TOKEN_TYPE, f"application/{TOKEN_TYPE}"):
            raise AuthError("wrong_token_type", "the token is not a Beacon access token (typ)")
        last: jwt.PyJWTError | None = None
        for key in self.keys.public:  # several while a key is being rotated
            try:
                return jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=LEEWAY_S,
                    options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                )
            except jwt.InvalidSignatureError as error:
                last = error  # maybe the next key
            except jwt.PyJWTError as error:
                raise describe(error) from None
        raise describe(last or jwt.InvalidSignatureError()) from None


def describe(error: jwt.PyJWTError) -> AuthError:
    """A JWT library error as the reason the API answers (never the token itself)."""
    cases: list[tuple[type[jwt.PyJWTError], str, str]] = [
        (jwt.ExpiredSignatureError, "token_expired", "the token has expired"),
        (jwt.InvalidAudienceError, "wrong_audience", "the token is for another audience"),
        (jwt.InvalidIssuerError, "wrong_issuer", "the token comes from another issuer"),
        (jwt.InvalidSignatureError, "bad_signature", "the token's signature does not verify"),
        (jwt.ImmatureSignatureError, "token_not_yet_valid", "the token is not valid yet"),
        (jwt.MissingRequiredClaimError, "token_invalid", "the token lacks a required claim"),
        (jwt.DecodeError, "token_malformed", "the token is not a well-formed JWT"),
        (jwt.InvalidAlgorithmError, "token_invalid", "the token uses an algorithm not allowed"),
    ]
    for kind, code, message in cases:
        if isinstance(error, kind):
            return AuthError(code, message)
    return AuthError("token_invalid", "the token is not valid")


def dev_token(settings: ServiceSettings, email: str, role: str, ttl_s: int = 3600) -> str:
    """A token signed with this box's keys (configured, or the dev keypair file): what
    ``make token``, the demo-data loader and the benchmarks send."""
    email = email.strip().lower()
    service = TokenService(
        load_signing_keys(settings), issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    return service.issue(
        UserClaims(f"dev:{email}", email, email.partition("@")[0], None, role), ttl_s
    )
