"""Credentials for tests: Beacon tokens signed with a test key every process of a stack is
given, bad tokens of every kind, and a stand-in for Google (its own RSA key, a JWKS served
on 127.0.0.1) so the real Google verification path runs in tests.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.signing import private_pem

ISSUER = "beacon"
AUDIENCE = "beacon-api"
PEPPER = "test-pepper"
GOOGLE_CLIENT_ID = "test-client.apps.googleusercontent.com"


@cache
def signing_key() -> Ed25519PrivateKey:
    """The test session's signing key (one per pytest process)."""
    return Ed25519PrivateKey.generate()


def auth_env() -> dict[str, str]:
    """What every process a test starts needs to trust the test's tokens and keys."""
    return {
        "BEACON_AUTH_SIGNING_KEY": private_pem(signing_key()),
        "BEACON_AUTH_KEY_PEPPER": PEPPER,
    }


def mint(
    role: str = "admin",
    *,
    email: str = "tester@example.com",
    ttl_s: int = 600,
    key: Any = None,
    typ: str = "at+jwt",
    **claims: Any,
) -> str:
    """A Beacon access token; ``claims`` override any claim (``iss``, ``aud``, ``exp``...),
    ``typ`` the header's token type."""
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
        "sub": f"test:{email}",
        "email": email,
        "name": email.partition("@")[0],
        "picture": None,
        "roles": [role],
        **claims,
    }
    return jwt.encode(body, key or signing_key(), algorithm="EdDSA", headers={"typ": typ})


def headers(role: str = "admin", **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(role, **kwargs)}"}


def bad_tokens() -> dict[str, str]:
    """Each kind of bad Beacon token, by the error code the API must answer with."""
    return {
        "token_malformed": "not-a-jwt",
        "token_expired": mint(ttl_s=-120),
        "wrong_audience": mint(aud="someone-else"),
        "wrong_issuer": mint(iss="https://evil.example"),
        "bad_signature": mint(key=Ed25519PrivateKey.generate()),
        # Issue 25: a JWT signed with Beacon's key but not typed as an access token.
        "wrong_token_type": mint(typ="JWT"),
    }


class FakeGoogle:
    """Google's side of sign-in: an RSA key, its JWKS on a local port, ID tokens."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.certs_url = f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/v3/certs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(
        self,
        email: str = "ana@example.com",
        *,
        sub: str | None = None,
        key: Any = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body = {
            "iss": "https://accounts.google.com",
            "aud": GOOGLE_CLIENT_ID,
            "sub": sub or f"g-{email}",
            "email": email,
            "email_verified": True,
            "name": email.partition("@")[0].title(),
            "picture": "https://example.com/p.png",
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        return jwt.encode(
            body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )


@contextmanager
def fake_google() -> Iterator[FakeGoogle]:
    google = FakeGoogle()
    try:
        yield google
    finally:
        google.close()
