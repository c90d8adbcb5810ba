"""Every route family of every service, closed by default: no token 401; each bad token 401
with its reason; the right token with the wrong role 403 and nothing written; the right
token succeeds; API keys: revoked 401, wrong scope 403, right scope succeeds; the stats
WebSocket closes 1008 without a good token and when the token runs out."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from shared.auth import apikeys
from tests.auth.conftest import Apps
from tests.support import auth

pytestmark = pytest.mark.integration

RULES = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str
    role: str  # the least role that may call it
    body: Any = None
    key_scope: str | None = "read"  # the API key scope verb; None: keys may not
    written: str | None = None  # a table that must stay empty when the call is refused

    def __str__(self) -> str:
        return f"{self.service}:{self.method} {self.path}"


ROUTES = [
    Route("ingest", "GET", "/api/v1/customers", "viewer"),
    Route("ingest", "GET", "/api/v1/orders", "viewer"),
    Route(
        "ingest",
        "POST",
        "/api/v1/customers",
        "marketer",
        {"customer_id": "C-1", "name": "Zoë"},
        "write",
    ),
    Route("segments", "GET", "/api/v1/segments/fields", "viewer"),
    Route("segments", "POST", "/api/v1/segments/preview", "viewer", {"rules": RULES}),
    Route("segments", "GET", "/api/v1/segments", "viewer"),
    Route(
        "segments",
        "POST",
        "/api/v1/segments",
        "marketer",
        {"name": "Loyal", "rules": RULES},
        "write",
        "segments",
    ),
    Route("campaigns", "GET", "/api/v1/campaigns", "viewer"),
    Route(
        "campaigns",
        "POST",
        "/api/v1/campaigns",
        "marketer",
        {"name": "Hello", "message": "Hi {name}", "rules": RULES},
        "write",
        "campaigns",
    ),
    Route("campaigns", "GET", "/api/v1/auth/me", "viewer", key_scope=None),
    Route("campaigns", "GET", "/api/v1/keys", "admin", key_scope=None),
    Route(
        "campaigns",
        "POST",
        "/api/v1/keys",
        "admin",
        {"name": "shop", "scopes": ["ingest:write"]},
        None,
        "api_keys",
    ),
    Route("delivery", "GET", "/api/v1/communications", "viewer"),
    Route("stats", "GET", "/api/v1/stats/campaigns", "viewer"),
    Route("stats", "GET", "/api/v1/stats/overview", "viewer"),
    Route("stats", "POST", "/api/v1/stats/campaigns/c-1/reconcile", "admin", key_scope=None),
]
ROLES = ["viewer", "marketer", "admin"]
SUCCESS = {200, 201, 202, 204, 404}  # 404: the route ran (reconcile of an unknown campaign)


def call(apps: Apps, route: Route, headers: dict[str, str] | None = None) -> Any:
    client = apps.clients[route.service]
    return client.request(route.method, route.path, json=route.body, headers=headers or {})


def reason(response: Any) -> str:
    body = response.json()
    assert set(body) == {"detail", "message", "code", "correlation_id", "errors"}, body
    return str(body["code"])


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_token_is_401(apps: Apps, route: Route) -> None:
    response = call(apps, route)
    assert response.status_code == 401
    assert reason(response) == "missing_token"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_bad_token_is_401_with_its_reason(apps: Apps, route: Route) -> None:
    for code, token in auth.bad_tokens().items():
        response = call(apps, route, {"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (code, response.text)
        assert reason(response) == code
        assert token not in response.text


@pytest.mark.parametrize("route", [r for r in ROUTES if r.role != "viewer"], ids=str)
def test_the_wrong_role_is_403_and_nothing_is_written(apps: Apps, route: Route) -> None:
    for role in ROLES[: ROLES.index(route.role)]:
        response = call(apps, route, auth.headers(role))
        assert response.status_code == 403, (role, response.text)
        assert reason(response) == "insufficient_role"
    if route.written:
        assert apps.sql(route.service, f"SELECT COUNT(*) FROM {route.written}") == 0
        assert apps.sql(route.service, "SELECT COUNT(*) FROM outbox") == 0


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_the_right_token_succeeds(apps: Apps, route: Route) -> None:
    response = call(apps, route, auth.headers(route.role))
    assert response.status_code in SUCCESS, response.text
    if route.method == "GET" and route.role == "viewer":
        assert response.status_code == 200


def add_key(apps: Apps, service: str, scopes: list[str], *, revoked: bool = False) -> str:
    """A key as this service's copy knows it (how the copy is fed: test_key_copies.py)."""
    key = apikeys.new_key()
    apps.sql(
        service,
        "INSERT INTO api_keys (id, key_hash, name, scopes, created_at, revoked_at) "
        "VALUES (:id, :h, 'test', :s, NOW(6), IF(:r, NOW(6), NULL))",
        id=str(uuid.uuid4()),
        h=apikeys.key_hash(auth.PEPPER.encode(), key),
        s=json.dumps(scopes),
        r=revoked,
    )
    return key


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_api_keys_need_the_route_scope(apps: Apps, route: Route) -> None:
    service = route.service
    verb = route.key_scope
    other = "write" if verb == "read" else "read"
    wrong = add_key(apps, service, [f"{service}:{other}", "someservice:read"])
    for header in ("X-API-Key", "Authorization"):
        value = wrong if header == "X-API-Key" else f"Bearer {wrong}"
        response = call(apps, route, {header: value})
        assert response.status_code == 403, response.text
        assert reason(response) == "insufficient_scope"
    if verb is not None:
        right = add_key(apps, service, [f"{service}:{verb}"])
        assert call(apps, route, {"X-API-Key": right}).status_code in SUCCESS
        revoked = add_key(apps, service, [f"{service}:{verb}"], revoked=True)
        response = call(apps, route, {"X-API-Key": revoked})
        assert response.status_code == 401 and reason(response) == "key_invalid"
    unknown = call(apps, route, {"X-API-Key": apikeys.new_key()})
    assert unknown.status_code == 401 and reason(unknown) == "key_invalid"


def test_open_routes_stay_open(apps: Apps) -> None:
    for service, client in apps.clients.items():
        for path in ("/healthz", "/metrics", "/docs", "/openapi.json"):
            assert client.get(path).status_code == 200, (service, path)
    config = apps.clients["campaigns"].get("/api/v1/auth/config").json()
    assert config == {"google_client_id": None, "dev_sign_in": True}
    # The vendor's receipt callback answers for its HMAC signature, not for a token.
    receipts = apps.clients["delivery"].post("/api/v1/receipts", content=b"{}")
    assert receipts.status_code == 401
    assert "signature" in receipts.text.lower() and "missing_token" not in receipts.text
    # One-click unsubscribe (issue 26) answers for its signed token, not for a sign-in.
    unsubscribe = apps.clients["segments"].post("/api/v1/unsubscribe?token=not-a-token")
    assert unsubscribe.status_code == 400 and "missing_token" not in unsubscribe.text


def test_openapi_declares_the_security_schemes(apps: Apps) -> None:
    for service, client in apps.clients.items():
        schema = client.get("/openapi.json").json()
        assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}, service
        for path, ops in schema["paths"].items():
            for op in ops.values():
                # Sign-out: its refresh token is the proof; receipts and the providers'
                # webhooks: their signatures; unsubscribe: its signed token.
                public = path.startswith(
                    (
                        "/api/v1/auth/",
                        "/api/v1/receipts",
                        "/api/v1/webhooks/",
                        "/api/v1/unsubscribe",
                    )
                ) and not path.endswith("/me")
                assert bool(op.get("security")) != public, (service, path)


def test_cors_allows_only_the_ui_origin(apps: Apps) -> None:
    client = apps.clients["ingest"]
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    ok = client.options("/api/v1/customers", headers={"Origin": "http://127.0.0.1:8080", **asked})
    assert ok.headers.get("access-control-allow-origin") == "http://127.0.0.1:8080"
    evil = client.options("/api/v1/customers", headers={"Origin": "http://evil.example", **asked})
    assert "access-control-allow-origin" not in evil.headers


def ws_path(token: str | None = None) -> str:
    return "/api/v1/stats/ws" + (f"?access_token={token}" if token else "")


@pytest.mark.parametrize("token", [None, "not-a-jwt", "expired", "bad_signature"])
def test_the_websocket_without_a_good_token_is_closed_1008(apps: Apps, token: str | None) -> None:
    bad = auth.bad_tokens()
    value = bad["token_expired"] if token == "expired" else bad.get(token or "", token)
    with apps.clients["stats"].websocket_connect(ws_path(value)) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1008


def test_the_websocket_takes_its_token_from_the_first_message_not_the_url(apps: Apps) -> None:
    """Issue 25: tokens rode in the WebSocket URL (proxies log URLs). The dashboard now
    sends ``{"type": "auth"}`` first; a first message that is not auth, or none within 5 s,
    closes the socket 1008 missing_token."""
    stats = apps.clients["stats"]
    with stats.websocket_connect(ws_path()) as ws:
        ws.send_json({"type": "auth", "access_token": auth.mint("viewer")})
        ws.send_json({"type": "nonsense"})
        # Open and answering: signed in (other messages, a ping or a snapshot, may come first).
        assert any(ws.receive_json()["type"] == "error" for _ in range(20))
        ws.close()
    with stats.websocket_connect(ws_path()) as ws:
        ws.send_json({"type": "subscribe", "campaign_ids": []})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (1008, "missing_token")
    with stats.websocket_connect(ws_path()) as ws:
        ws.send_json({"type": "auth", "access_token": auth.mint("viewer", ttl_s=-120)})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (1008, "token_expired")
    with stats.websocket_connect(ws_path()) as ws:
        started = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (1008, "missing_token")
    assert 4 < time.monotonic() - started < 10


def test_the_websocket_closes_when_the_token_runs_out_unless_renewed(apps: Apps) -> None:
    stats = apps.clients["stats"]
    short = auth.mint("viewer", ttl_s=2)
    with stats.websocket_connect(ws_path(short)) as ws:
        started = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
    assert closed.value.code == 1008 and closed.value.reason == "token_expired"
    assert time.monotonic() - started < 10

    with stats.websocket_connect(ws_path(auth.mint("viewer", ttl_s=2))) as ws:
        ws.send_json({"type": "auth", "access_token": auth.mint("viewer", ttl_s=600)})
        started = time.monotonic()
        while time.monotonic() - started < 4:  # well past the first token's expiry
            ws.send_json({"type": "nonsense"})
            assert ws.receive_json()["type"] == "error"  # still open, still answering
        ws.send_json({"type": "auth", "access_token": "not-a-jwt"})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1008


def test_failed_key_lookups_are_rate_limited_per_ip(apps: Apps) -> None:
    """Issue 25: guessing API keys was unlimited (each guess a database lookup). Beyond the
    limit of failures, 429 with Retry-After before any lookup; tokens are not affected."""
    with apps.client("ingest", auth_key_failure_limit="3/minute") as ingest:
        for n in range(3):
            guess = ingest.get("/api/v1/customers", headers={"X-API-Key": f"bk_guess{n}"})
            assert guess.status_code == 401 and reason(guess) == "key_invalid"
        for header in ("X-API-Key", "Authorization"):
            value = "bk_guess9" if header == "X-API-Key" else "Bearer bk_guess9"
            limited = ingest.get("/api/v1/customers", headers={header: value})
            assert limited.status_code == 429 and reason(limited) == "rate_limited"
            assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert ingest.get("/api/v1/customers", headers=auth.headers("viewer")).status_code == 200


def test_a_websocket_opened_with_a_key_closes_once_the_key_is_revoked(apps: Apps) -> None:
    """Issue 25: a stats WebSocket opened with an API key kept streaming after the key was
    revoked. Now: closed with 1008 key_invalid within seconds of the revocation."""
    campaigns, stats = apps.clients["campaigns"], apps.clients["stats"]
    admin = auth.headers("admin")
    key = campaigns.post(
        "/api/v1/keys", json={"name": "ws", "scopes": ["stats:read"]}, headers=admin
    ).json()
    deadline = time.monotonic() + 15
    while (
        stats.get("/api/v1/stats/campaigns", headers={"X-API-Key": key["key"]}).status_code != 200
    ):
        assert time.monotonic() < deadline, "the key never reached stats' copy"
        time.sleep(0.2)
    with stats.websocket_connect(ws_path(key["key"])) as ws:
        ws.send_json({"type": "subscribe", "campaign_ids": ["none-such"]})
        assert campaigns.delete(f"/api/v1/keys/{key['id']}", headers=admin).status_code == 204
        revoked = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            while time.monotonic() - revoked < 10:  # (pings come every 15 s at most)
                ws.receive_text()
    assert closed.value.code == 1008 and closed.value.reason == "key_invalid"
    assert time.monotonic() - revoked < 5
