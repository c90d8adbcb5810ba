"""Delivery's audience use case through its entry points, in this process
(tests.support.inprocess): the campaigns and audience consumers under TestRabbitBroker
write the communications log, which the route lists; the real unit of work on MariaDB.
No sender runs (no lifespan), so every row stays as the consumer wrote it."""

from __future__ import annotations

import uuid

import orjson
import pytest

from shared.envelope import new_event
from tests.support.inprocess import in_process
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def test_an_audience_batch_becomes_log_rows_once(stack: Stack) -> None:
    cid = str(uuid.uuid4())
    launched = {"campaign_id": cid, "name": "Spring sale", "message": "Hi {name}"}
    recipients = [
        {"customer_id": "c1", "name": "Asha", "email": "asha@x.in"},
        {"customer_id": "c2", "name": "Ravi", "phone": "+919800000000"},
        {"customer_id": "c3", "name": "Nobody"},  # no address: FAILED at once
    ]
    batch = new_event(
        "audience.batch",
        {
            "campaign_id": cid,
            "batch_id": f"{cid}:0",
            "batch_no": 0,
            "batches": 1,
            "recipients": recipients,
        },
        "segments",
    )
    async with in_process(stack, "delivery") as delivery:
        await delivery.deliver("delivery.campaigns", new_event("campaign.launched", launched, "t"))
        await delivery.deliver("delivery.audience", batch)
        await delivery.deliver("delivery.audience", batch)  # redelivered: applied once
        response = await delivery.client.get(
            "/api/v1/communications", params={"campaign_id": cid}, headers=stack.headers()
        )
    assert response.status_code == 200, response.text
    rows = {r["customer_id"]: r for r in response.json()["items"]}
    assert {c: (r["status"], r["message"]) for c, r in rows.items()} == {
        "c1": ("PENDING", "Hi Asha"),
        "c2": ("PENDING", "Hi Ravi"),
        "c3": ("FAILED", "Hi Nobody"),
    }
    updates = await stack.rows(
        "delivery", "SELECT body FROM outbox WHERE type = 'delivery.updated'"
    )
    assert [orjson.loads(u[0])["payload"]["campaigns"] for u in updates] == [
        [{"campaign_id": cid, "queued": 3, "sent": 0, "failed": 1}]
    ]
