"""API keys across services, as real processes: a key created on campaigns reaches every
service's copy through events (also a service first started after the key was made), its
use is reported back to campaigns' list, and a revoked key is refused by every replica of
every service within 5 seconds."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

READS = {
    "ingest": "/api/v1/customers",
    "segments": "/api/v1/segments",
    "delivery": "/api/v1/communications",
    "stats": "/api/v1/stats/campaigns",
}
REVOCATION_LIMIT_S = 5.0


async def status(url: str, key: str) -> int:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(url, headers={"X-API-Key": key})).status_code


async def test_a_revoked_key_is_refused_on_every_replica_within_5_seconds(stack: Stack) -> None:
    campaigns = stack.start("campaigns", "all")  # declares every copy's queue
    replicas = [
        ("ingest", stack.start("ingest", "api")),
        ("ingest", stack.start("ingest", "api")),
        ("segments", stack.start("segments", "api", BEACON_SEGMENTS_CACHE="false")),
        ("stats", stack.start("stats", "api")),
    ]
    scopes = [f"{service}:read" for service in READS] + ["ingest:write"]
    async with httpx.AsyncClient(base_url=campaigns.url, headers=stack.headers("admin")) as admin:
        created = await admin.post("/api/v1/keys", json={"name": "shop", "scopes": scopes})
        assert created.status_code == 201
        key, key_id = created.json()["key"], created.json()["id"]
        # Delivery starts only now: the event waited for it in its queue.
        replicas.append(("delivery", stack.start("delivery", "api")))
        urls = [f"{process.url}{READS[service]}" for service, process in replicas]
        for url in urls:
            await eventually(lambda url=url: status(url, key), lambda s: s == 200, what=url)
        async with httpx.AsyncClient(timeout=5) as client:
            posted = await client.post(
                f"{replicas[0][1].url}/api/v1/customers",
                json={"customer_id": "K-1", "name": "Key"},
                headers={"Authorization": f"Bearer {key}"},
            )
        assert posted.status_code == 202

        async def last_used() -> str | None:
            listed = (await admin.get("/api/v1/keys")).json()["items"]
            return next(k["last_used_at"] for k in listed if k["id"] == key_id)

        await eventually(last_used, lambda at: at is not None, what="last_used_at reported")

        assert (await admin.delete(f"/api/v1/keys/{key_id}")).status_code == 204
        revoked_at = time.monotonic()

    async def refused(url: str) -> float:
        await eventually(
            lambda: status(url, key), lambda s: s == 401, timeout=REVOCATION_LIMIT_S, what=url
        )
        return time.monotonic() - revoked_at

    lags = await asyncio.gather(*(refused(url) for url in urls))
    assert max(lags) < REVOCATION_LIMIT_S, dict(zip(urls, lags, strict=True))
    for service in READS:
        copies = await stack.scalar(
            service,
            "SELECT COUNT(*) FROM api_keys WHERE id = :k AND revoked_at IS NOT NULL",
            k=key_id,
        )
        assert copies == 1, service
