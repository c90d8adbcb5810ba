"""Beacon tokens, Google ID tokens (against a local JWKS), API key hashes and the dev keypair
file: the real verification code, no network beyond 127.0.0.1."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import apikeys
from shared.auth.google import GoogleVerifier
from shared.auth.principal import AuthError
from shared.auth.signing import (
    ConfigurationError,
    dev_private_key,
    load_signing_keys,
    private_pem,
    public_pem,
)
from shared.auth.tokens import TokenService, UserClaims
from shared.settings import ServiceSettings
from tests.support import auth
from tests.support.auth import GOOGLE_CLIENT_ID, fake_google


def verifier(**settings: Any) -> TokenService:
    config = ServiceSettings(auth_signing_key=private_pem(auth.signing_key()), **settings)
    return TokenService(load_signing_keys(config), issuer="beacon", audience="beacon-api")


def test_a_minted_token_names_the_user_and_role() -> None:
    principal = verifier().verify(auth.mint("marketer", email="m@example.com"))
    assert (principal.kind, principal.email, principal.role) == (
        "user",
        "m@example.com",
        "marketer",
    )
    assert principal.has_role("viewer") and principal.has_role("marketer")
    assert not principal.has_role("admin")


@pytest.mark.parametrize("code", sorted(auth.bad_tokens()))
def test_each_bad_token_is_refused_with_its_reason(code: str) -> None:
    token = auth.bad_tokens()[code]
    with pytest.raises(AuthError) as caught:
        verifier().verify(token)
    assert caught.value.code == code and caught.value.status == 401
    assert token not in caught.value.message


def test_a_verified_token_is_answered_from_memory_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = verifier()
    decoded: list[str] = []
    real = tokens._decode

    def counting(token: str) -> dict[str, Any]:
        decoded.append(token)
        return real(token)

    monkeypatch.setattr(tokens, "_decode", counting)
    good = auth.mint("viewer", ttl_s=600)
    assert tokens.verify(good) == tokens.verify(good)
    assert len(decoded) == 1
    for _ in range(2):  # a refused token is never remembered: checked every time
        with pytest.raises(AuthError):
            tokens.verify(auth.bad_tokens()["token_expired"])
    assert len(decoded) == 3
    # Past its exp the remembered answer is dropped: the token is checked again (PyJWT's own
    # clock, not patched here, decides; the refusal itself is the test above).
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 601)
    tokens.verify(good)
    assert len(decoded) == 4


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(AuthError, match="role"):
        verifier().verify(auth.mint("superuser"))


def test_issue_and_verify_round_trip_with_a_second_key_during_rotation() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    both = public_pem(old.public_key()) + public_pem(new.public_key())
    issuer = TokenService(
        load_signing_keys(ServiceSettings(auth_signing_key=private_pem(old))),
        issuer="beacon",
        audience="beacon-api",
    )
    token = issuer.issue(UserClaims("s", "a@b.c", "A", None, "viewer"), 60)
    rotated = TokenService(
        load_signing_keys(ServiceSettings(auth_public_keys=both)),
        issuer="beacon",
        audience="beacon-api",
    )
    assert rotated.verify(token).sub == "s"


def test_production_refuses_to_start_without_keys_or_pepper() -> None:
    with pytest.raises(ConfigurationError):
        load_signing_keys(ServiceSettings(env="production"))
    with pytest.raises(ConfigurationError):
        apikeys.pepper(ServiceSettings(env="production"))


def test_the_dev_keypair_is_created_once_for_every_process(tmp_path: Path) -> None:
    settings = ServiceSettings(auth_dev_key_file=str(tmp_path / "auth" / "dev.pem"))
    keys: list[str] = []
    threads = [
        threading.Thread(target=lambda: keys.append(private_pem(dev_private_key(settings))))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert (tmp_path / "auth" / "dev.pem").stat().st_mode & 0o077 == 0


def test_key_hashes_need_the_pepper() -> None:
    key = apikeys.new_key()
    assert key.startswith("bk_") and len(key) > 40
    assert apikeys.key_hash(b"one", key) != apikeys.key_hash(b"two", key)
    assert apikeys.key_hash(b"one", key) == apikeys.key_hash(b"one", key)


def google(certs_url: str, **settings: Any) -> GoogleVerifier:
    return GoogleVerifier(
        ServiceSettings(
            auth_google_client_id=GOOGLE_CLIENT_ID, auth_google_certs_url=certs_url, **settings
        )
    )


async def test_google_tokens_verify_against_the_published_keys() -> None:
    with fake_google() as g:
        claims = await google(g.certs_url).verify(g.id_token("ana@example.com", sub="123"))
        assert claims["sub"] == "123" and claims["email"] == "ana@example.com"
        # Google's issuer comes with or without the scheme.
        plain = g.id_token(iss="accounts.google.com")
        assert (await google(g.certs_url).verify(plain))["iss"] == "accounts.google.com"


async def test_google_tokens_within_the_clock_skew_pass() -> None:
    with fake_google() as g:
        late = g.id_token(exp=int(time.time()) - 30)
        await google(g.certs_url).verify(late)


async def test_each_bad_google_token_is_refused_with_its_reason() -> None:

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with fake_google() as g:
        cases = {
            "token_malformed": "not.a.jwt",
            "token_expired": g.id_token(exp=int(time.time()) - 120),
            "wrong_audience": g.id_token(aud="someone-else.apps.googleusercontent.com"),
            "wrong_issuer": g.id_token(iss="https://evil.example"),
            "bad_signature": g.id_token(key=other),  # Google's kid, someone else's key
            "email_unverified": g.id_token(email_verified=False),
        }
        for code, token in cases.items():
            with pytest.raises(AuthError) as caught:
                await google(g.certs_url).verify(token)
            assert caught.value.code == code, code
        with pytest.raises(AuthError) as unknown_key:
            await google(g.certs_url).verify(g.id_token(kid="not-a-google-key"))
        assert unknown_key.value.code == "bad_signature"


async def test_the_google_allow_list_takes_listed_domains_and_addresses() -> None:
    with fake_google() as g:
        verify = google(
            g.certs_url, auth_allowed_domains="shop.in", auth_allowed_emails="Boss@Gmail.com"
        ).verify
        await verify(g.id_token("ana@shop.in", hd="shop.in"))
        await verify(g.id_token("boss@gmail.com"))
        for outsider in (g.id_token("eve@gmail.com"), g.id_token("eve@evil.in", hd="evil.in")):
            with pytest.raises(AuthError) as caught:
                await verify(outsider)
            assert caught.value.code == "not_allowed"
        # A Workspace domain is checked with hd, not by the address alone.
        with pytest.raises(AuthError):
            await verify(g.id_token("ana@shop.in"))


def test_keys_survive_environment_files_that_flatten_newlines() -> None:
    key = Ed25519PrivateKey.generate()
    for flattened in (
        private_pem(key).replace("\n", ""),
        private_pem(key).replace("\n", "\\n"),
        private_pem(key).replace("\n", " "),
    ):
        public = public_pem(key.public_key()).replace("\n", "")
        keys = load_signing_keys(
            ServiceSettings(auth_signing_key=flattened, auth_public_keys=public + public)
        )
        assert keys.private is not None and len(keys.public) == 2


def test_an_unwritable_dev_key_file_says_what_to_set(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    settings = ServiceSettings(auth_dev_key_file=str(locked / "sub" / "dev.pem"))
    if os.geteuid() == 0:
        settings = ServiceSettings(auth_dev_key_file="/proc/beacon/dev.pem")
    with pytest.raises(ConfigurationError, match="BEACON_AUTH_SIGNING_KEY"):
        load_signing_keys(settings)
