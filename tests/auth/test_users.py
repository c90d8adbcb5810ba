"""Admins manage the people who sign in (issue 25): list them, change a role, disable one,
end someone's sessions. Ended sessions stop working in every service and the stats
WebSocket within 5 s, refresh and sign-in are refused to a disabled person, and nobody can
lock the organisation out (demote or disable themselves, or the last admin)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.auth.conftest import Apps

pytestmark = pytest.mark.integration

# One read route per service, each verifying the token locally (and its cut-off copy).
READS = {
    "ingest": "/api/v1/customers",
    "segments": "/api/v1/segments",
    "campaigns": "/api/v1/campaigns",
    "delivery": "/api/v1/communications",
    "stats": "/api/v1/stats/campaigns",
}


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def sign_in(campaigns: TestClient, email: str, role: str) -> dict[str, Any]:
    response = campaigns.post("/api/v1/auth/dev", json={"email": email, "role": role})
    assert response.status_code == 200, response.text
    return dict(response.json())


def statuses(apps: Apps, session: dict[str, Any]) -> dict[str, int]:
    return {
        service: apps.clients[service].get(path, headers=bearer(session)).status_code
        for service, path in READS.items()
    }


def wait_for_statuses(apps: Apps, session: dict[str, Any], want: int, within: float) -> float:
    started = time.monotonic()
    while True:
        seen = statuses(apps, session)
        if set(seen.values()) == {want}:
            return time.monotonic() - started
        assert time.monotonic() - started < within, seen
        time.sleep(0.1)


def user_path(sub: str, tail: str = "") -> str:
    return f"/api/v1/users/{quote(sub, safe='')}{tail}"


def test_disabling_a_person_ends_every_session_everywhere_within_five_seconds(
    apps: Apps,
) -> None:
    campaigns, stats = apps.clients["campaigns"], apps.clients["stats"]
    admin = sign_in(campaigns, "boss@example.com", "admin")
    person = sign_in(campaigns, "leaver@example.com", "marketer")
    second_tab = campaigns.post(
        "/api/v1/auth/refresh", json={"refresh_token": person["refresh_token"]}
    ).json()
    wait_for_statuses(apps, person, 200, within=15)

    listed = campaigns.get("/api/v1/users", headers=bearer(admin))
    assert listed.status_code == 200
    row = next(u for u in listed.json()["items"] if u["email"] == "leaver@example.com")
    assert row["role"] == "marketer" and not row["disabled"] and row["open_sessions"] == 1
    # Only admins see or change people.
    assert campaigns.get("/api/v1/users", headers=bearer(person)).status_code == 403

    sub = person["user"]["sub"]
    with stats.websocket_connect(f"/api/v1/stats/ws?access_token={person['access_token']}") as ws:
        ws.send_json({"type": "subscribe", "campaign_ids": ["none-such"]})
        changed = campaigns.patch(user_path(sub), json={"disabled": True}, headers=bearer(admin))
        assert changed.status_code == 200, changed.text
        assert changed.json()["disabled"] and changed.json()["open_sessions"] == 0
        disabled_at = time.monotonic()
        with pytest.raises(WebSocketDisconnect) as closed:
            while time.monotonic() - disabled_at < 10:
                ws.receive_text()
    assert closed.value.code == 1008 and closed.value.reason == "session_ended"
    assert time.monotonic() - disabled_at < 5

    took = wait_for_statuses(apps, person, 401, within=5)
    assert took < 5
    assert statuses(apps, second_tab) == dict.fromkeys(READS, 401)
    refused = campaigns.get("/api/v1/campaigns", headers=bearer(person))
    assert refused.json()["code"] == "session_ended"
    for token in (person["refresh_token"], second_tab["refresh_token"]):
        again = campaigns.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert again.status_code in (401, 403)
    back = campaigns.post("/api/v1/auth/dev", json={"email": "leaver@example.com"})
    assert back.status_code == 403 and back.json()["code"] == "user_disabled"

    # Enabled again: they sign in afresh, and the new session works everywhere.
    enabled = campaigns.patch(user_path(sub), json={"disabled": False}, headers=bearer(admin))
    assert enabled.status_code == 200 and not enabled.json()["disabled"]
    time.sleep(0.002)  # iat_ms of the next token must be after the cut-off's millisecond
    fresh = sign_in(campaigns, "leaver@example.com", "marketer")
    wait_for_statuses(apps, fresh, 200, within=5)


def test_a_role_change_applies_at_the_next_refresh_and_ending_sessions_signs_out(
    apps: Apps,
) -> None:
    campaigns = apps.clients["campaigns"]
    admin = sign_in(campaigns, "chief@example.com", "admin")
    person = sign_in(campaigns, "promoted@example.com", "viewer")
    sub = person["user"]["sub"]
    assert campaigns.get("/api/v1/keys", headers=bearer(person)).status_code == 403

    made = campaigns.patch(user_path(sub), json={"role": "admin"}, headers=bearer(admin))
    assert made.status_code == 200 and made.json()["role"] == "admin"
    wait_for_statuses(apps, person, 401, within=5)  # the viewer token no longer counts
    refreshed = campaigns.post(
        "/api/v1/auth/refresh", json={"refresh_token": person["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    upgraded = refreshed.json()
    assert upgraded["user"]["roles"] == ["admin"]
    assert campaigns.get("/api/v1/keys", headers=bearer(upgraded)).status_code == 200

    ended = campaigns.post(user_path(sub, "/end-sessions"), headers=bearer(admin))
    assert ended.status_code == 200 and ended.json()["open_sessions"] == 0
    wait_for_statuses(apps, upgraded, 401, within=5)
    gone = campaigns.post("/api/v1/auth/refresh", json={"refresh_token": upgraded["refresh_token"]})
    assert gone.status_code == 401


def test_nobody_can_lock_the_organisation_out(apps: Apps) -> None:
    campaigns = apps.clients["campaigns"]
    admin = sign_in(campaigns, "solo-admin@example.com", "admin")
    me = admin["user"]["sub"]
    for change in ({"role": "viewer"}, {"disabled": True}):
        refused = campaigns.patch(user_path(me), json=change, headers=bearer(admin))
        assert refused.status_code == 409, refused.text
        assert "yourself" in refused.json()["detail"]
    assert campaigns.patch(user_path(me), json={}, headers=bearer(admin)).status_code == 422
    bad_role = campaigns.patch(user_path(me), json={"role": "owner"}, headers=bearer(admin))
    assert bad_role.status_code == 422
    missing = campaigns.patch(
        user_path("dev:nobody@example.com"), json={"disabled": True}, headers=bearer(admin)
    )
    assert missing.status_code == 404
    assert (
        campaigns.post(user_path("x" * 300, "/end-sessions"), headers=bearer(admin)).status_code
        == 404
    )
    still = campaigns.get("/api/v1/users", headers=bearer(admin)).json()["items"]
    mine = next(u for u in still if u["sub"] == me)
    assert mine["role"] == "admin" and not mine["disabled"]
