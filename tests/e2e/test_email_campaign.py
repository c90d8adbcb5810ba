"""Email campaigns end to end (issue 26): ingest, segments, campaigns and delivery as real
processes on real MariaDB and RabbitMQ, sending over SMTP to an aiosmtpd server started
here; one-click unsubscribe through segments' public route."""

from __future__ import annotations

import socket
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.delivery.domain.events import message_id
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

POSTAL = "Beacon Test Shop, 12 MG Road, Bengaluru 560001, India"
FROM = "Test Shop <news@shop.test>"


class Sink:
    """An SMTP server's handler: refuses ``bounce*`` recipients with a 550, greylists
    ``grey*`` ones (a 451 the first time), keeps the rest."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.greylisted: list[str] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("grey") and address not in self.greylisted:
            self.greylisted.append(address)
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Any:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def customers(city: str) -> list[dict[str, Any]]:
    def person(key: str, name: str, email: str | None, consent: bool | None) -> dict[str, Any]:
        out: dict[str, Any] = {"customer_id": f"{city}-{key}", "name": name, "city": city}
        if email:
            out["email"] = email
        else:
            out["phone"] = "+91 9800000000"
        if consent is not None:
            out["accepts_email_marketing"] = consent
        return out

    return [
        person("asha", "Asha Rao", f"asha.{city}@example.in", True),
        # Markup in a name: escaped in the HTML part, as is in the plain one.
        person("zoe", "Zoë <b>Ñandú</b> & co", f"zoe.{city}@example.in", True),
        person("no", "Ravi Said No", f"ravi.{city}@example.in", False),
        person("unsaid", "Meera Never Said", f"meera.{city}@example.in", None),
        person("phone", "Phone Only", None, True),
        person("bounce", "Bounce Bose", f"bounce.{city}@example.in", True),
        person("grey", "Grey Gupta", f"grey.{city}@example.in", True),
    ]


def rules(city: str) -> dict[str, Any]:
    return {"combinator": "and", "rules": [{"field": "city", "operator": "=", "value": city}]}


async def launch_email(client: httpx.AsyncClient, url: str, city: str) -> dict[str, Any]:
    created = await client.post(
        f"{url}/api/v1/campaigns",
        json={
            "name": "Mail day",
            "rules": rules(city),
            "message": "Hi {name}, here's 10% off!\nSee you soon.",
            "channel": "email",
            "subject": "{first_name|Friend}, your offer",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["channel"], body["subject"]) == ("email", "{first_name|Friend}, your offer")
    done = await eventually(
        lambda: _get(client, f"{url}/api/v1/campaigns/{body['id']}"),
        lambda c: c["status"] in ("completed", "failed"),
        timeout=120,
        what="campaign completed",
    )
    return done


async def _get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_email_campaign_sends_once_per_consenting_recipient_and_unsubscribe_holds(
    stack: Stack, smtp_sink: tuple[Sink, int]
) -> None:
    sink, port = smtp_sink
    city = f"mail{uuid.uuid4().hex[:10]}"
    ingest = stack.start("ingest", "all")
    segments = stack.start("segments", "all")
    campaigns = stack.start("campaigns", "all")
    stack.start(
        "delivery",
        "worker",
        BEACON_SMTP_HOST="127.0.0.1",
        BEACON_SMTP_PORT=str(port),
        BEACON_SMTP_TLS="none",
        BEACON_SMTP_FROM=FROM,
        BEACON_SMTP_POSTAL_ADDRESS=POSTAL,
        BEACON_SMTP_POOL_SIZE="2",
        # The links point straight at segments (behind the UI's proxy in a real setup).
        BEACON_UNSUBSCRIBE_BASE_URL=segments.url,
    )
    people = customers(city)
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        loaded = await client.post(f"{ingest.url}/api/v1/customers", json={"items": people})
        assert loaded.status_code == 202, loaded.text
        await eventually(
            lambda: stack.scalar(
                "segments", "SELECT COUNT(*) FROM profiles WHERE city = :c AND known", c=city
            ),
            lambda n: n == len(people),
            timeout=60,
            what="profiles projected",
        )

        first = await launch_email(client, campaigns.url, city)
        # Only those with an address and consent: asha, zoe, bounce, grey.
        assert (first["status"], first["audience_size"]) == ("completed", 4), first
        assert (first["sent"], first["failed"]) == (3, 1)
        rows = await stack.rows(
            "delivery",
            "SELECT customer_id, status, reason, subject FROM communications_log"
            " WHERE campaign_id = :c",
            c=first["id"],
        )
        by_customer = {r.customer_id.removeprefix(f"{city}-"): r for r in rows}
        assert sorted(by_customer) == ["asha", "bounce", "grey", "zoe"]
        assert {by_customer[k].status for k in ("asha", "zoe", "grey")} == {"SENT"}
        assert by_customer["bounce"].status == "FAILED"
        assert by_customer["bounce"].reason.startswith("smtp: 550 5.1.1 mailbox unavailable")
        assert by_customer["asha"].subject == "Asha, your offer"

        # Exactly one message per accepted recipient; the greylisted one after a retry.
        asha_to, zoe_to = f"asha.{city}@example.in", f"zoe.{city}@example.in"
        grey_to = f"grey.{city}@example.in"
        assert sink.greylisted == [grey_to]
        delivered = sorted(r for rcpt, _ in sink.messages for r in rcpt)
        assert delivered == sorted([asha_to, zoe_to, grey_to])
        [asha] = sink.to(asha_to)
        [zoe] = sink.to(zoe_to)
        asha_id = message_id(first["id"], f"{city}-asha")
        assert asha["Message-ID"] == f"<{asha_id}@shop.test>"
        assert asha["Subject"] == "Asha, your offer"
        assert zoe["Subject"] == "Zoë, your offer"
        assert asha["From"] == FROM
        assert asha["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(asha["List-Unsubscribe"])
        prefix = f"<{segments.url}/api/v1/unsubscribe?token=email."
        assert link.startswith(prefix) and link.endswith(">"), link
        assert asha.get_content_type() == "multipart/alternative"
        plain = asha.get_body(("plain",))
        html = zoe.get_body(("html",))
        assert plain is not None and html is not None
        text = plain.get_content().replace("\r\n", "\n")  # CRLF on the wire
        assert text.startswith("Hi Asha Rao, here's 10% off!\nSee you soon.\n")
        assert link[1:-1] in text and POSTAL in text
        zoe_html = html.get_content().replace("\r\n", "\n")
        assert "Hi Zoë &lt;b&gt;Ñandú&lt;/b&gt; &amp; co, here&#x27;s 10% off!" in zoe_html
        assert "<b>" not in zoe_html and POSTAL in zoe_html
        zoe_plain = zoe.get_body(("plain",))
        assert zoe_plain is not None
        assert zoe_plain.get_content().startswith("Hi Zoë <b>Ñandú</b> & co, here's 10% off!")

        # One-click unsubscribe: public (no sign-in), no confirmation page.
        url = link[1:-1]
        async with httpx.AsyncClient(timeout=30) as anonymous:
            forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
            refused = await anonymous.post(forged, data={"List-Unsubscribe": "One-Click"})
            assert refused.status_code == 403, refused.text
            garbage = await anonymous.post(
                f"{segments.url}/api/v1/unsubscribe", params={"token": "not-a-token"}
            )
            assert garbage.status_code == 400, garbage.text
            done = await anonymous.post(url, data={"List-Unsubscribe": "One-Click"})
            assert (done.status_code, done.content) == (204, b"")
            again = await anonymous.post(url, data={"List-Unsubscribe": "One-Click"})
            assert again.status_code == 204
        suppressed = await stack.rows(
            "segments",
            "SELECT customer_id, channel FROM suppressions WHERE customer_id LIKE :c",
            c=f"{city}-%",
        )
        assert [(r.customer_id, r.channel) for r in suppressed] == [(f"{city}-asha", "email")]

        # The next email campaign leaves Asha out.
        before = len(sink.messages)
        second = await launch_email(client, campaigns.url, city)
        assert (second["status"], second["audience_size"]) == ("completed", 3), second
        assert (second["sent"], second["failed"]) == (2, 1)
        new = sink.messages[before:]
        assert sorted(r for rcpt, _ in new for r in rcpt) == sorted([zoe_to, grey_to])
        assert len(sink.to(asha_to)) == 1
