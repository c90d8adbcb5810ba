"""The mail catcher keeps what it is sent over real SMTP and shows it without running it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from fastapi.testclient import TestClient

from simulators.mailcatcher.app import build_app
from simulators.mailcatcher.settings import MailCatcherSettings
from tests.support.processes import free_port


def test_caught_mail_is_listed_and_shown_inert() -> None:
    smtp_port = free_port()
    settings = MailCatcherSettings(mailcatcher_smtp_port=smtp_port, mailcatcher_keep=2)
    with TestClient(build_app(settings)) as page:
        assert page.get("/api/messages").json() == {"items": []}
        for n in range(3):
            message = EmailMessage()
            message["From"] = "Beacon <shop@example.com>"
            message["To"] = f"asha{n}@example.com"
            message["Subject"] = f"Diwali offer {n} – 20% off"
            message["Message-ID"] = f"<m-{n}@beacon>"
            message["List-Unsubscribe"] = "<https://beacon.example/api/v1/unsubscribe?token=t>"
            message.set_content(f"Hi Asha {n}")
            message.add_alternative(
                f'<p>Hi <b>Asha {n}</b></p><script>alert("{n}")</script>', subtype="html"
            )
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
                client.send_message(message)
        listed = page.get("/api/messages").json()["items"]
        # Newest first, at most `keep`.
        assert [m["subject"] for m in listed] == [
            "Diwali offer 2 – 20% off",
            "Diwali offer 1 – 20% off",
        ]
        assert (
            listed[0]["to"] == ["asha2@example.com"] and listed[0]["message_id"] == "<m-2@beacon>"
        )
        detail = page.get(f"/api/messages/{listed[0]['id']}").json()
        assert detail["text"].strip() == "Hi Asha 2"
        assert "<script>" in detail["html"]  # kept as sent ...
        shown = page.get(f"/messages/{listed[0]['id']}").text
        assert "<script>" not in shown  # ... but never live on the page
        assert 'sandbox=""' in shown and "&lt;script&gt;" in shown
        assert "List-Unsubscribe" in shown
        assert page.get("/messages/999").status_code == 404
        assert page.delete("/api/messages").status_code == 204
        assert page.get("/api/messages").json() == {"items": []}
