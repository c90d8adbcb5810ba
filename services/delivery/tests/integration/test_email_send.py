"""Email over SMTP through delivery's worker (issue 26), on real MariaDB and RabbitMQ with an
aiosmtpd server started here: an SMTP outage is waited out by the work queue (handed back,
not failed), and once the server is up every recipient gets exactly one message."""

from __future__ import annotations

import socket
import uuid
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.delivery.tests.integration.support import (
    audience_batches,
    message_id,
    progress,
    start_delivery,
)
from shared.envelope import new_event
from tests.support.bus import dead_lettered, metric, publish
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

N = 120


class Sink:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_smtp_outage_is_waited_out_and_each_recipient_gets_one_email(
    stack: Stack,
) -> None:
    port = free_port()  # nothing listens there yet
    campaign_id = f"camp-{uuid.uuid4().hex[:8]}"
    recipients = [
        {"customer_id": f"m-{i}", "name": f"Person {i}", "email": f"p{i}@example.in"}
        for i in range(N)
    ]
    delivery = start_delivery(
        stack,
        vendor=False,
        worker_env={
            "BEACON_SMTP_HOST": "127.0.0.1",
            "BEACON_SMTP_PORT": str(port),
            "BEACON_SMTP_TLS": "none",
            "BEACON_SMTP_FROM": "news@shop.test",
            "BEACON_SMTP_POSTAL_ADDRESS": "1 MG Road, Bengaluru",
            "BEACON_SMTP_POOL_SIZE": "4",
            "BEACON_SEND_RETRY_WINDOW_S": "0.3",
            "BEACON_SEND_BACKOFF_BASE_S": "0.05",
            "BEACON_SEND_BACKOFF_MAX_S": "0.1",
        },
    )
    launch = new_event(
        "campaign.launched",
        {
            "campaign_id": campaign_id,
            "name": "Mail",
            "rules": {},
            "segment_id": None,
            "message": "Hi {first_name}",
            "channel": "email",
            "subject": "For {name}",
        },
        "test",
    )
    await publish(stack, "campaigns", [launch])
    await publish(stack, "segments", audience_batches(campaign_id, recipients, 50))
    await eventually(
        lambda: metric(
            delivery.worker.url, "beacon_delivery_vendor_errors_total", kind="unavailable"
        ),
        lambda n: n >= 4,
        timeout=60,
        what="work items handed back while the SMTP server is down",
    )
    assert await progress(stack, campaign_id) == (N, 0, 0)  # nothing failed for it

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await eventually(
            lambda: progress(stack, campaign_id),
            lambda p: p == (N, N, N),
            timeout=120,
            interval=0.25,
            what="every email sent once the server is up",
        )
    finally:
        controller.stop()
    statuses = await stack.rows(
        "delivery",
        "SELECT status, COUNT(*) FROM communications_log WHERE campaign_id = :c GROUP BY status",
        c=campaign_id,
    )
    assert [tuple(r) for r in statuses] == [("SENT", N)]
    to = sorted(r for rcpt, _ in sink.received for r in rcpt)
    assert to == sorted(r["email"] for r in recipients)  # each exactly once
    ids = {m["Message-ID"] for _, m in sink.received}
    assert ids == {f"<{message_id(campaign_id, r['customer_id'])}@shop.test>" for r in recipients}
    subjects = {m["To"]: m["Subject"] for _, m in sink.received}
    assert subjects["p7@example.in"] == "For Person 7"
    assert await dead_lettered(stack, "delivery.send") == []
