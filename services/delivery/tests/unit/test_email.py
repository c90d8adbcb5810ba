"""An email campaign's message: planning (address, subject) and the MIME message built."""

from __future__ import annotations

from typing import Any

import aiosmtplib
import pytest

from services.delivery.domain.email import Sender, build_email, one_line
from services.delivery.domain.messages import NO_EMAIL, plan_messages
from services.delivery.domain.status import Status
from services.delivery.smtp_channel import _Refused, _Transient, classify
from shared.template import parse_template

SENDER = Sender("Shop <news@shop.example>", "1 MG Road, Bengaluru 560001")
URL = "https://shop.example/api/v1/unsubscribe?token=email.YQ.b"


def test_email_messages_go_to_the_email_address_with_a_rendered_subject() -> None:
    recipients: list[dict[str, Any]] = [
        {"customer_id": "a", "name": "Asha\nRao", "email": " a@x.in ", "phone": "+91 1"},
        {"customer_id": "b", "name": "Bo", "email": None, "phone": "+91 2"},
    ]
    a, b = plan_messages(
        "c1", parse_template("Hi {name}"), recipients, subject=parse_template("{first_name}!")
    )
    assert (a.to, a.subject, a.status, a.body) == (
        "a@x.in",
        "Asha!",
        Status.PENDING,
        "Hi Asha\nRao",
    )
    # A phone number is no email address.
    assert (b.to, b.status, b.reason) == (None, Status.FAILED, NO_EMAIL)


def test_a_subject_stays_one_line() -> None:
    [m] = plan_messages(
        "c1",
        parse_template("x"),
        [{"customer_id": "a", "name": "Line\r\nBcc: evil@x.in", "email": "a@x.in"}],
        subject=parse_template("Hi {name}"),
    )
    assert m.subject == "Hi Line Bcc: evil@x.in"
    assert one_line("a\nb\r\nc") == "a b c"


def test_sms_messages_keep_their_address_rule_and_no_subject() -> None:
    [m] = plan_messages("c1", parse_template("x"), [{"customer_id": "a", "phone": "+91 1"}])
    assert (m.to, m.subject, m.status) == ("+91 1", None, Status.PENDING)


def test_the_email_has_its_headers_both_bodies_and_the_footer() -> None:
    msg = build_email(
        message_id="4b1c-uuid",
        to="a@x.in",
        subject="Hi Zoë",
        body="Hi <b>Zoë</b> & co\nsecond line",
        unsubscribe_url=URL,
        sender=SENDER,
    )
    assert msg["Message-ID"] == "<4b1c-uuid@shop.example>"
    assert (msg["From"], msg["To"], msg["Subject"]) == (SENDER.from_address, "a@x.in", "Hi Zoë")
    assert msg["List-Unsubscribe"] == f"<{URL}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content() == (
        f"Hi <b>Zoë</b> & co\nsecond line\n\n-- \nUnsubscribe: {URL}\n1 MG Road, Bengaluru 560001\n"
    )
    text = html.get_content()
    assert "Hi &lt;b&gt;Zoë&lt;/b&gt; &amp; co<br>\nsecond line" in text
    assert f'<a href="{URL}">Unsubscribe</a>' in text
    assert "1 MG Road, Bengaluru 560001" in text


def test_a_message_id_without_a_from_domain_still_has_one() -> None:
    assert Sender("no-at-sign", "").domain == "beacon.invalid"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no", "a")]),
            _Refused,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "busy", "a")]),
            _Transient,
        ),
        (aiosmtplib.SMTPDataError(554, "spam"), _Refused),
        (aiosmtplib.SMTPDataError(451, "later"), _Transient),
        # Server-wide trouble is never the message's fault.
        (aiosmtplib.SMTPSenderRefused(550, "bad from", "f"), _Transient),
        (aiosmtplib.SMTPAuthenticationError(535, "bad login"), _Transient),
        (aiosmtplib.SMTPServerDisconnected("gone"), _Transient),
        (ConnectionRefusedError(111, "refused"), _Transient),
    ],
)
def test_smtp_errors_are_permanent_only_for_a_5xx_of_the_message(
    error: Exception, kind: type[Exception]
) -> None:
    assert type(classify(error)) is kind


def test_email_on_needs_a_postal_address_and_in_production_a_real_secret() -> None:
    from services.delivery.app import check_email_settings
    from services.delivery.settings import DeliverySettings
    from shared.settings import ConfigurationError

    def settings(env: str, **values: Any) -> DeliverySettings:
        return DeliverySettings.model_validate({"env": env, **values})

    check_email_settings(settings("production"))  # email off: nothing needed
    on = {"smtp_host": "smtp.example", "smtp_postal_address": "1 MG Road"}
    check_email_settings(settings("development", **on))
    with pytest.raises(ConfigurationError, match="BEACON_SMTP_POSTAL_ADDRESS"):
        check_email_settings(settings("development", smtp_host="smtp.example"))
    with pytest.raises(ConfigurationError, match="BEACON_UNSUBSCRIBE_SECRET"):
        check_email_settings(settings("production", **on))
    with pytest.raises(ConfigurationError, match="BEACON_UNSUBSCRIBE_SECRET"):
        check_email_settings(settings("production", unsubscribe_secret="short", **on))
    check_email_settings(settings("production", unsubscribe_secret="s" * 32, **on))
