"""The sign-in API on campaigns: Google (against a local JWKS), dev mode, refresh rotation,
sign-out, roles, API keys through the API, and the audit trail of who did what."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from services.campaigns.signin import Sessions
from shared.auth.signing import load_signing_keys
from shared.auth.tokens import TokenService
from shared.db import make_engine
from tests.auth.conftest import Apps, off_loop
from tests.support import auth
from tests.support.auth import GOOGLE_CLIENT_ID

pytestmark = pytest.mark.integration
RULES = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def test_google_sign_in_first_user_is_admin_then_default_role(apps: Apps) -> None:
    with apps.client(
        "campaigns",
        auth_google_client_id=GOOGLE_CLIENT_ID,
        auth_google_certs_url=apps.google.certs_url,
        auth_allowed_domains="shop.in",
        auth_admin_emails="boss@shop.in",
    ) as campaigns:
        assert campaigns.get("/api/v1/auth/config").json() == {
            "google_client_id": GOOGLE_CLIENT_ID,
            "dev_sign_in": False,
        }
        assert campaigns.post("/api/v1/auth/dev", json={"email": "a@shop.in"}).status_code == 404
        apps.sql("campaigns", "DELETE FROM users")
        g = apps.google
        first = campaigns.post(
            "/api/v1/auth/google",
            json={"credential": g.id_token("ana@shop.in", sub="1", hd="shop.in")},
        )
        assert first.status_code == 200, first.text
        session = first.json()
        assert session["token_type"] == "bearer" and 900 <= session["expires_in"] <= 3600
        assert session["user"] == {
            "sub": "1",
            "email": "ana@shop.in",
            "name": "Ana",
            "picture": "https://example.com/p.png",
            "roles": ["admin"],
        }
        me = campaigns.get("/api/v1/auth/me", headers=bearer(session)).json()
        assert me == session["user"]
        second = campaigns.post(
            "/api/v1/auth/google",
            json={"credential": g.id_token("raj@shop.in", sub="2", hd="shop.in")},
        ).json()
        assert second["user"]["roles"] == ["marketer"]
        boss = campaigns.post(
            "/api/v1/auth/google",
            json={"credential": g.id_token("boss@shop.in", sub="3", hd="shop.in")},
        ).json()
        assert boss["user"]["roles"] == ["admin"]
        # Users are keyed by sub: a changed address is the same person with the same role.
        again = campaigns.post(
            "/api/v1/auth/google",
            json={"credential": g.id_token("ana.new@shop.in", sub="1", hd="shop.in")},
        ).json()
        assert again["user"]["roles"] == ["admin"] and again["user"]["email"] == "ana.new@shop.in"
        assert apps.sql("campaigns", "SELECT COUNT(*) FROM users WHERE sub = '1'") == 1

        refused = {
            "not_allowed": g.id_token("eve@gmail.com"),
            "email_unverified": g.id_token("x@shop.in", hd="shop.in", email_verified=False),
            "wrong_audience": g.id_token("x@shop.in", hd="shop.in", aud="other"),
            "token_malformed": "garbage",
        }
        users = apps.sql("campaigns", "SELECT COUNT(*) FROM users")
        for code, credential in refused.items():
            response = campaigns.post("/api/v1/auth/google", json={"credential": credential})
            assert response.status_code == 401
            assert response.json()["code"] == code
        assert apps.sql("campaigns", "SELECT COUNT(*) FROM users") == users


def test_first_sign_ins_at_once_make_exactly_one_admin(apps: Apps) -> None:
    settings = apps.settings("campaigns")

    async def race() -> list[list[str]]:
        engine = make_engine(settings.mysql_url, settings.schema_name("campaigns"))
        tokens = TokenService(
            load_signing_keys(settings),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )
        sessions = Sessions(engine, tokens, settings)
        roles: list[list[str]] = []
        try:
            for round_ in range(4):
                async with engine.begin() as conn:
                    await conn.exec_driver_sql("DELETE FROM users")
                signed = await asyncio.gather(
                    *(
                        sessions.sign_in(
                            sub=f"race{round_}-{i}",
                            email=f"u{i}@shop.in",
                            name="U",
                            picture=None,
                            asked=None,
                        )
                        for i in range(3)
                    )
                )
                roles.append(sorted(s["user"]["roles"][0] for s in signed))
        finally:
            await engine.dispose()
        return roles

    default = settings.auth_default_role
    assert off_loop(race) == [sorted(["admin", default, default])] * 4


def test_dev_sign_in_roles_and_refresh_rotation(apps: Apps) -> None:
    campaigns = apps.clients["campaigns"]
    session = campaigns.post("/api/v1/auth/dev", json={"email": "Dev@Example.com"}).json()
    assert (
        session["user"]["roles"] == ["marketer"] and session["user"]["sub"] == "dev:dev@example.com"
    )
    admin = campaigns.post("/api/v1/auth/dev", json={"email": "a@example.com", "role": "admin"})
    assert admin.json()["user"]["roles"] == ["admin"]
    assert campaigns.post("/api/v1/auth/dev", json={"email": "nope"}).status_code == 422

    rotated = campaigns.post(
        "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["refresh_token"] != session["refresh_token"]
    assert campaigns.get("/api/v1/auth/me", headers=bearer(fresh)).status_code == 200
    # The old refresh token was rotated away: using it again is refused and, as it must
    # have been copied, ends the session it belonged to as well.
    reused = campaigns.post(
        "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
    gone = campaigns.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert gone.status_code == 401

    other = campaigns.post("/api/v1/auth/dev", json={"email": "out@example.com"}).json()
    signout = campaigns.post(
        "/api/v1/auth/signout",
        json={"refresh_token": other["refresh_token"]},
        headers=bearer(other),
    )
    assert signout.status_code == 204
    after = campaigns.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert after.status_code == 401 and after.json()["code"] == "refresh_invalid"


def test_dev_sign_in_keeps_to_the_allow_list(apps: Apps) -> None:
    with apps.client("campaigns", auth_allowed_domains="shop.in") as campaigns:
        assert campaigns.post("/api/v1/auth/dev", json={"email": "a@shop.in"}).status_code == 200
        refused = campaigns.post("/api/v1/auth/dev", json={"email": "eve@evil.in"})
        assert refused.status_code == 401 and refused.json()["code"] == "not_allowed"


def test_production_refuses_dev_sign_in_and_missing_secrets(apps: Apps) -> None:
    from shared.auth.signing import ConfigurationError

    with pytest.raises(ConfigurationError, match="GOOGLE_CLIENT_ID"):
        apps.client("campaigns", env="production")
    with pytest.raises(ConfigurationError, match="ALLOWED"):
        apps.client("campaigns", env="production", auth_google_client_id=GOOGLE_CLIENT_ID)
    with pytest.raises(ConfigurationError):
        apps.client("ingest", env="production", auth_signing_key="", auth_public_keys="")


def outbox_events(apps: Apps, service: str, kind: str) -> list[dict[str, Any]]:
    rows = apps.sql(
        service,
        "SELECT JSON_ARRAYAGG(CAST(body AS CHAR)) FROM outbox WHERE type = :t",
        t=kind,
    )
    return [json.loads(body) for body in json.loads(rows or "[]")]


def test_keys_through_the_api_and_the_audit_trail(apps: Apps) -> None:
    campaigns, segments = apps.clients["campaigns"], apps.clients["segments"]
    admin = auth.headers("admin", email="root@example.com")
    created = campaigns.post(
        "/api/v1/keys", json={"name": "shop-backend", "scopes": ["ingest:write"]}, headers=admin
    )
    assert created.status_code == 201
    key = created.json()
    assert set(key) == {"id", "name", "scopes", "key", "created_at"} and key["key"].startswith(
        "bk_"
    )
    bad = campaigns.post("/api/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=admin)
    assert bad.status_code == 422
    listed = campaigns.get("/api/v1/keys", headers=admin).json()
    assert listed["next_cursor"] is None
    mine = next(k for k in listed["items"] if k["id"] == key["id"])
    assert "key" not in mine and "key_hash" not in mine
    assert mine["created_by"]["email"] == "root@example.com"
    assert campaigns.delete(f"/api/v1/keys/{key['id']}", headers=admin).status_code == 204
    assert campaigns.delete(f"/api/v1/keys/{key['id']}", headers=admin).status_code == 204
    assert campaigns.delete("/api/v1/keys/nope", headers=admin).status_code == 404
    for kind in ("api_key.created", "api_key.revoked"):
        (event,) = [
            e
            for e in outbox_events(apps, "campaigns", kind)
            if e["payload"]["key"]["id"] == key["id"]
        ]
        assert event["payload"]["actor"] == {
            "sub": "test:root@example.com",
            "email": "root@example.com",
        }
        assert key["key"] not in json.dumps(event)

    marketer = auth.headers("marketer", email="mia@example.com")
    saved = segments.post(
        "/api/v1/segments",
        json={"name": "A", "rules": RULES},
        headers=marketer,
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["created_by"] == {"sub": "test:mia@example.com", "email": "mia@example.com"}
    sid = saved.json()["id"]
    assert segments.delete(f"/api/v1/segments/{sid}", headers=marketer).status_code == 204
    actors = [
        e["payload"]["actor"]["email"]
        for kind in ("segment.saved", "segment.deleted")
        for e in outbox_events(apps, "segments", kind)
        if e["payload"]["segment_id"] == sid
    ]
    assert actors == ["mia@example.com", "mia@example.com"]

    launched = campaigns.post(
        "/api/v1/campaigns",
        json={"name": "Hi", "message": "Hi {name}", "rules": RULES},
        headers=marketer,
    ).json()
    assert launched["created_by"]["email"] == "mia@example.com"
    (event,) = [
        e
        for e in outbox_events(apps, "campaigns", "campaign.launched")
        if e["payload"]["campaign_id"] == launched["id"]
    ]
    assert event["payload"]["created_by"]["email"] == "mia@example.com"


# Issue 25, safe defaults: BEACON_ENV is exact, dev sign-in needs an explicit development,
# and production refuses short secrets and a domain allow-list without named admins.
LONG_SECRET = "s" * 32


@pytest.mark.parametrize("value", ["PRODUCTION ", "prd", "staging", "", "prod", "Development"])
def test_an_unknown_beacon_env_refuses_to_start(apps: Apps, value: str) -> None:
    from pydantic import ValidationError

    for service in ("campaigns", "ingest"):
        with pytest.raises(ValidationError, match="BEACON_ENV"):
            apps.client(service, env=value)


def test_an_unset_beacon_env_refuses_to_start(apps: Apps, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.auth.signing import ConfigurationError

    monkeypatch.delenv("BEACON_ENV", raising=False)
    for service in ("campaigns", "ingest", "delivery"):
        with pytest.raises(ConfigurationError, match="BEACON_ENV is not set"):
            apps.client(service)


def test_dev_sign_in_only_with_an_explicit_development(apps: Apps) -> None:
    with apps.client("campaigns", env="test") as campaigns:
        assert campaigns.get("/api/v1/auth/config").json()["dev_sign_in"] is False
        refused = campaigns.post("/api/v1/auth/dev", json={"email": "a@example.com"})
        assert refused.status_code == 404
    with apps.client("campaigns", env="development") as campaigns:
        assert (
            campaigns.post("/api/v1/auth/dev", json={"email": "a@example.com"}).status_code == 200
        )


def test_production_refuses_short_secrets_and_unnamed_admins(apps: Apps) -> None:
    from shared.auth.signing import ConfigurationError

    prod = {
        "env": "production",
        "auth_google_client_id": GOOGLE_CLIENT_ID,
        "auth_allowed_emails": "boss@shop.in",
        "auth_key_pepper": LONG_SECRET,
    }
    with pytest.raises(ConfigurationError, match="BEACON_AUTH_KEY_PEPPER"):
        apps.client("campaigns", **{**prod, "auth_key_pepper": "x"})
    with pytest.raises(ConfigurationError, match="BEACON_AUTH_KEY_PEPPER"):
        apps.client("ingest", env="production", auth_key_pepper="p" * 31)
    with pytest.raises(ConfigurationError, match="BEACON_VENDOR_SECRET"):
        apps.client("delivery", env="production", auth_key_pepper=LONG_SECRET, vendor_secret="v")
    with pytest.raises(ConfigurationError, match="BEACON_AUTH_ADMIN_EMAILS"):
        apps.client("campaigns", **{**prod, "auth_allowed_domains": "shop.in"})
    # Long enough, admins named: it starts, with Google sign-in only.
    with apps.client(
        "campaigns", **{**prod, "auth_allowed_domains": "shop.in", "auth_admin_emails": "b@shop.in"}
    ) as campaigns:
        assert campaigns.get("/api/v1/auth/config").json()["dev_sign_in"] is False
    with apps.client(
        "delivery", env="production", auth_key_pepper=LONG_SECRET, vendor_secret=LONG_SECRET
    ) as delivery:
        assert delivery.get("/healthz").status_code == 200


def test_token_responses_are_not_stored_and_tokens_are_typed(apps: Apps) -> None:
    """Issue 25: token responses lacked Cache-Control: no-store; the token typ was not set
    nor checked (RFC 9068's at+jwt)."""
    import jwt

    campaigns = apps.clients["campaigns"]
    signed = campaigns.post("/api/v1/auth/dev", json={"email": "cache@example.com"})
    refreshed = campaigns.post(
        "/api/v1/auth/refresh", json={"refresh_token": signed.json()["refresh_token"]}
    )
    for response in (signed, refreshed):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert jwt.get_unverified_header(response.json()["access_token"])["typ"] == "at+jwt"
    untyped = auth.mint("admin", typ="JWT")
    refused = campaigns.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {untyped}"})
    assert refused.status_code == 401 and refused.json()["code"] == "wrong_token_type"


# Issue 25, sessions that end: refresh asks the allow-list and the admin list again, a
# session has an absolute lifetime, sign-out is the refresh token's own and ends its family.


def refresh(client: Any, session: dict[str, Any]) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})


def test_a_person_taken_off_the_allow_list_cannot_refresh(apps: Apps) -> None:
    with apps.client("campaigns", auth_allowed_domains="shop.in") as campaigns:
        session = campaigns.post("/api/v1/auth/dev", json={"email": "leaver@shop.in"}).json()
        session = refresh(campaigns, session).json()  # still allowed: rotates as before
    with apps.client("campaigns", auth_allowed_emails="stayer@shop.in") as campaigns:
        refused = refresh(campaigns, session)
        assert refused.status_code == 401 and refused.json()["code"] == "not_allowed"
    with apps.client("campaigns", auth_allowed_domains="shop.in") as campaigns:
        # Refused once is ended: back on the list, the old session does not come back.
        assert refresh(campaigns, session).status_code == 401


def test_an_admin_taken_off_the_admin_list_is_demoted_at_refresh(apps: Apps) -> None:
    with apps.client("campaigns", auth_admin_emails="boss@shop.in") as campaigns:
        session = campaigns.post("/api/v1/auth/dev", json={"email": "boss@shop.in"}).json()
        assert session["user"]["roles"] == ["admin"]
    with apps.client("campaigns", auth_admin_emails="newboss@shop.in") as campaigns:
        demoted = refresh(campaigns, session)
        assert demoted.status_code == 200, demoted.text
        assert demoted.json()["user"]["roles"] == ["marketer"]
        me = campaigns.get("/api/v1/auth/me", headers=bearer(demoted.json())).json()
        assert me["roles"] == ["marketer"]
        assert campaigns.get("/api/v1/keys", headers=bearer(demoted.json())).status_code == 403
        # Signing in again does not restore it either.
        again = campaigns.post("/api/v1/auth/dev", json={"email": "boss@shop.in"}).json()
        assert again["user"]["roles"] == ["marketer"]
        # The role in the users table is the other source: a change there shows at refresh.
        apps.sql("campaigns", "UPDATE users SET role = 'viewer' WHERE sub = 'dev:boss@shop.in'")
        assert refresh(campaigns, again).json()["user"]["roles"] == ["viewer"]


def test_a_session_ends_at_its_absolute_lifetime_however_often_refreshed(apps: Apps) -> None:
    import time

    with apps.client("campaigns", auth_session_max_s=3) as campaigns:
        session = campaigns.post("/api/v1/auth/dev", json={"email": "long@example.com"}).json()
        time.sleep(1.2)
        session = refresh(campaigns, session)
        assert session.status_code == 200
        time.sleep(2.2)  # 2.2 s after the refresh, 3.4 s after the sign-in
        ended = refresh(campaigns, session.json())
        assert ended.status_code == 401 and ended.json()["code"] == "refresh_invalid"


def test_sign_out_is_the_refresh_tokens_own_and_ends_only_its_family(apps: Apps) -> None:
    campaigns = apps.clients["campaigns"]
    dev = {"email": "owner@example.com"}
    laptop = campaigns.post("/api/v1/auth/dev", json=dev).json()
    laptop_rotated = refresh(campaigns, laptop).json()
    phone = campaigns.post("/api/v1/auth/dev", json=dev).json()
    other = campaigns.post("/api/v1/auth/dev", json={"email": "other@example.com"}).json()

    # Someone else's (valid) access token with my refresh token: refused, nothing revoked.
    theirs = campaigns.post(
        "/api/v1/auth/signout",
        json={"refresh_token": laptop_rotated["refresh_token"]},
        headers=bearer(other),
    )
    assert theirs.status_code == 403 and theirs.json()["code"] == "not_yours"
    laptop_rotated = refresh(campaigns, laptop_rotated).json()

    # No access token at all (it ran out 15 idle minutes ago): the refresh token suffices.
    expired = {"Authorization": f"Bearer {auth.mint('viewer', ttl_s=-120)}"}
    out = campaigns.post(
        "/api/v1/auth/signout",
        json={"refresh_token": laptop_rotated["refresh_token"]},
        headers=expired,
    )
    assert out.status_code == 204, out.text
    assert refresh(campaigns, laptop_rotated).status_code == 401
    # The same person's other session (another sign-in) goes on.
    assert refresh(campaigns, phone).status_code == 200
    unknown = campaigns.post("/api/v1/auth/signout", json={"refresh_token": "nope"})
    assert unknown.status_code == 401


def test_sign_in_routes_are_rate_limited_per_ip(apps: Apps) -> None:
    """Issue 25: no rate limit anywhere. Beyond the limit: 429 with Retry-After, and a forged
    X-Forwarded-For from a client that is not a trusted proxy changes nothing."""
    with apps.client("campaigns", auth_rate_limit="3/minute") as campaigns:
        session = campaigns.post("/api/v1/auth/dev", json={"email": "rl@example.com"}).json()
        assert refresh(campaigns, session).status_code == 200
        assert campaigns.post("/api/v1/auth/dev", json={"email": "x@example.com"}).status_code == (
            200
        )
        for call in (
            lambda h: campaigns.post("/api/v1/auth/dev", json={"email": "y@e.com"}, headers=h),
            lambda h: campaigns.post(
                "/api/v1/auth/refresh", json={"refresh_token": "x"}, headers=h
            ),
            lambda h: campaigns.post("/api/v1/auth/google", json={"credential": "x"}, headers=h),
            lambda h: campaigns.post(
                "/api/v1/auth/signout", json={"refresh_token": "x"}, headers=h
            ),
        ):
            for headers in ({}, {"X-Forwarded-For": "203.0.113.9"}):
                limited = call(headers)
                assert limited.status_code == 429, limited.text
                assert limited.json()["code"] == "rate_limited"
                assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Reads and the rest of the API are not sign-in attempts.
        assert campaigns.get("/api/v1/auth/config").status_code == 200


def test_sign_ins_refresh_reuse_and_role_changes_are_audited(apps: Apps) -> None:
    """Issue 25: no audit events for sign-in, refresh reuse or role changes."""

    def mine(kind: str, sub: str) -> list[dict[str, Any]]:
        return [
            e["payload"]
            for e in outbox_events(apps, "campaigns", kind)
            if e["payload"]["actor"]["sub"] == sub
        ]

    with apps.client("campaigns", auth_admin_emails="audit@shop.in") as campaigns:
        first = campaigns.post("/api/v1/auth/dev", json={"email": "audit@shop.in"}).json()
        (signed,) = mine("user.signed_in", "dev:audit@shop.in")
        assert signed["method"] == "dev" and signed["role"] == "admin" and signed["ip"]
        assert signed["actor"]["email"] == "audit@shop.in"
    with apps.client("campaigns", auth_admin_emails="other@shop.in") as campaigns:
        second = refresh(campaigns, first).json()
        (changed,) = mine("user.role_changed", "dev:audit@shop.in")
        assert changed == {
            "actor": {"sub": "dev:audit@shop.in", "email": "audit@shop.in"},
            "before": "admin",
            "after": "marketer",
            "why": "admin_list",
        }
        assert refresh(campaigns, first).json()["code"] == "refresh_reused"
        (reused,) = mine("session.refresh_reused", "dev:audit@shop.in")
        assert reused["actor"]["email"] == "audit@shop.in"
        assert second["refresh_token"] not in json.dumps(reused)


@pytest.mark.parametrize(
    ("env", "printed"), [("development", True), ("test", True), ("production", False)]
)
def test_make_token_only_in_local_modes(
    env: str, printed: bool, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from services.campaigns.commands import print_token
    from services.campaigns.settings import CampaignsSettings

    settings = CampaignsSettings(env=env, auth_dev_key_file=str(tmp_path / "dev.pem"))
    assert (print_token(settings, "me@example.com", "viewer", None) == 0) is printed
    assert capsys.readouterr().out.startswith("ey") is printed


# An app of its own whose sign-in calls are not limited (the test makes a dozen a second).
UNLIMITED = {"auth_rate_limit": "1000/second"}


def test_the_dashboards_refresh_token_lives_only_in_an_httponly_cookie(apps: Apps) -> None:
    """Issue 25: the 30-day refresh token sat in localStorage, where any script on the page
    could read it. Signed in with ``X-Beacon-Session: cookie`` it is in no response body,
    only in an httpOnly SameSite=Strict cookie scoped to /api/v1/auth; refresh and sign-out
    take it from there behind a CSRF check (double submit, never cross-site)."""
    with apps.client("campaigns", **UNLIMITED) as browser:
        signed = browser.post(
            "/api/v1/auth/dev",
            json={"email": "cookie@example.com"},
            headers={"X-Beacon-Session": "cookie"},
        )
        assert signed.status_code == 200, signed.text
        assert signed.json()["refresh_token"] is None
        cookies = {c.split("=", 1)[0]: c for c in signed.headers.get_list("set-cookie")}
        refresh_cookie = cookies["beacon_refresh"].lower()
        for attribute in ("httponly", "samesite=strict", "path=/api/v1/auth", "max-age="):
            assert attribute in refresh_cookie, refresh_cookie
        assert "secure" not in refresh_cookie  # plain http in a test: Secure needs TLS
        csrf_cookie = cookies["beacon_csrf"].lower()
        assert "httponly" not in csrf_cookie and "path=/;" in csrf_cookie
        token = browser.cookies.get("beacon_refresh")
        assert token and token not in signed.text

        csrf = {"X-CSRF-Token": browser.cookies.get("beacon_csrf") or ""}
        # No CSRF header, a wrong one, or a request another site made: refused, not rotated.
        for headers in (
            {},
            {"X-CSRF-Token": "guess"},
            {**csrf, "Sec-Fetch-Site": "cross-site"},
            {**csrf, "Sec-Fetch-Site": "same-site"},
        ):
            refused = browser.post("/api/v1/auth/refresh", headers=headers)
            assert refused.status_code == 403 and refused.json()["code"] == "csrf", headers
        assert browser.cookies.get("beacon_refresh") == token

        renewed = browser.post(
            "/api/v1/auth/refresh", headers={**csrf, "Sec-Fetch-Site": "same-origin"}
        )
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["refresh_token"] is None
        assert renewed.headers["cache-control"] == "no-store"
        rotated = browser.cookies.get("beacon_refresh")
        assert rotated and rotated != token
        assert browser.get("/api/v1/auth/me", headers=bearer(renewed.json())).status_code == 200
        # The cookie's old token was rotated away like a body token is: reuse is detected.
        assert refresh(browser, {"refresh_token": token}).json()["code"] == "refresh_reused"

        again = browser.post(
            "/api/v1/auth/dev",
            json={"email": "cookie@example.com"},
            headers={"X-Beacon-Session": "cookie"},
        )
        held = browser.cookies.get("beacon_refresh")
        csrf = {"X-CSRF-Token": browser.cookies.get("beacon_csrf") or ""}
        out = browser.post("/api/v1/auth/signout", headers={**csrf, **bearer(again.json())})
        assert out.status_code == 204, out.text
        assert browser.cookies.get("beacon_refresh") is None  # cleared
        assert refresh(browser, {"refresh_token": held}).json()["code"] == "refresh_invalid"
        no_cookie = browser.post("/api/v1/auth/refresh", headers=csrf)
        assert no_cookie.status_code in (401, 403)

    # Over TLS (here as a trusted proxy said it) the cookies are Secure; API clients that do
    # not ask for a cookie still get the token in the body and no cookie.
    with apps.client("campaigns", **UNLIMITED) as plain:
        body_mode = plain.post("/api/v1/auth/dev", json={"email": "cli@example.com"})
        assert body_mode.json()["refresh_token"] and "set-cookie" not in body_mode.headers
    from fastapi.testclient import TestClient

    from services.campaigns import app

    secure_app = app.build_app("api", apps.settings("campaigns", **UNLIMITED))
    with TestClient(secure_app, base_url="https://beacon.example") as tls:
        signed = tls.post(
            "/api/v1/auth/dev",
            json={"email": "tls@example.com"},
            headers={"X-Beacon-Session": "cookie"},
        )
        for cookie in signed.headers.get_list("set-cookie"):
            assert "secure" in cookie.lower(), cookie
