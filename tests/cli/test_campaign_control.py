"""``beacon campaigns cancel|pause|resume|duplicate`` against the real campaigns service: a
refused action (409) prints its reason and exits non-zero; a duplicate is a new campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.cli.support import auth_env, auth_headers, cli
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

RULES = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}


async def test_cancel_refusal_and_duplicate(stack: Stack) -> None:
    campaigns = stack.start("campaigns", "api")
    env = {**auth_env(stack), "BEACON_CAMPAIGNS_URL": campaigns.url}
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    async with httpx.AsyncClient(headers=auth_headers(stack), timeout=30) as client:
        made = await client.post(
            f"{campaigns.url}/api/v1/campaigns",
            json={"name": "Diwali", "rules": RULES, "message": "Hi", "schedule_at": later},
        )
        assert made.status_code == 201, made.text
        cid = made.json()["id"]

        paused = cli("campaigns", "pause", cid, env=env)  # a scheduled one cannot be paused
        assert paused.returncode != 0 and "409" in paused.stderr, paused
        cancelled = cli("campaigns", "cancel", cid, env=env)
        assert cancelled.returncode == 0, cancelled.stderr
        assert "cancelled" in cancelled.stdout
        again = cli("campaigns", "resume", cid, env=env)
        assert again.returncode != 0 and "cancelled" in again.stderr, again

        copy = cli(
            "campaigns", "duplicate", cid, "--name", "Diwali again", "--schedule-at", later, env=env
        )
        assert copy.returncode == 0, copy.stderr
        listed = (await client.get(f"{campaigns.url}/api/v1/campaigns")).json()["items"]
        assert [(c["name"], c["status"], c["rules"]) for c in listed] == [
            ("Diwali again", "scheduled", RULES),
            ("Diwali", "cancelled", RULES),
        ]
        unknown = cli("campaigns", "cancel", "no-such-campaign", env=env)
        assert unknown.returncode != 0 and "not found" in unknown.stderr
