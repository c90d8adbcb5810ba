"""The providers' pure parts: signatures against the providers' published vectors, webhook
bodies to receipts, error codes to reasons, and SMS parts as carriers bill them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.delivery.domain.sms_parts import sms_parts
from services.delivery.domain.status import Status
from services.delivery.providers import dlt_sms, twilio, whatsapp
from services.delivery.providers.base import OutcomeUnknown, Rejected, Unavailable

# Twilio's documented example (twilio.com/docs/usage/security; twilio-python's and
# twilio-node's own tests sign the same): auth token 12345, this URL and these fields.
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc="),
    ],
)
def test_twilio_signature_matches_the_published_vectors(caller: str, expected: str) -> None:
    fields = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": caller,
        "Digits": "1234",
        "From": caller,
        "To": "+18005551212",
    }
    assert twilio.signature("12345", TWILIO_URL, fields.items()) == expected
    assert twilio.signature_ok("12345", TWILIO_URL, fields.items(), expected)
    assert not twilio.signature_ok("12345", TWILIO_URL, {**fields, "Digits": "9"}.items(), expected)
    assert not twilio.signature_ok("", TWILIO_URL, fields.items(), expected)


def test_twilio_callbacks_become_receipts() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert twilio.receipt_of("m", {"MessageStatus": "delivered"}, at).status is Status.SENT  # type: ignore[union-attr]
    failed = twilio.receipt_of("m", {"MessageStatus": "failed", "ErrorCode": "21610"}, at)
    assert failed is not None and failed.reason == "twilio 21610: unsubscribed"
    for on_the_way in ("queued", "sending", "sent", "accepted", ""):
        assert twilio.receipt_of("m", {"MessageStatus": on_the_way}, at) is None


def test_whatsapp_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    header = whatsapp.sign("secret", body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert whatsapp.signature_ok("secret", body, header)
    assert whatsapp.signature_ok("secret", body, header.upper().replace("SHA256=", "sha256="))
    for bad in (None, "", header[7:], "sha1=" + header[7:], whatsapp.sign("other", body)):
        assert not whatsapp.signature_ok("secret", body, bad)
    assert not whatsapp.signature_ok("", body, whatsapp.sign("", body))  # no secret: nothing


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": "x"},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": 1}]}],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "statuses": [
                                    {
                                        "status": "read",
                                        "biz_opaque_callback_data": "m",
                                        "timestamp": "x",
                                    }
                                ]
                            },
                        }
                    ]
                }
            ],
        },
    ],
)
def test_a_malformed_whatsapp_webhook_is_refused(payload: object) -> None:
    with pytest.raises(whatsapp.BadWebhook):
        whatsapp.receipts_of(payload)


def test_other_webhook_fields_are_skipped() -> None:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {"field": "message_template_status_update", "value": {"event": "APPROVED"}}
                ]
            }
        ],
    }
    assert whatsapp.receipts_of(payload) == []


def answer(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_whatsapp_answers_sorted_by_what_they_mean() -> None:
    ok = answer(200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.A"}]})
    assert whatsapp.accepted_or_raise(ok).provider_id == "wamid.A"
    with pytest.raises(Unavailable) as slow:
        whatsapp.accepted_or_raise(answer(400, {"error": {"code": 131056}}, **{"retry-after": "6"}))
    assert slow.value.reason == "pair_rate_limit" and slow.value.retry_after_s == 6
    with pytest.raises(Rejected):
        whatsapp.accepted_or_raise(
            answer(400, {"error": {"code": 132001, "message": "no template"}})
        )
    with pytest.raises(OutcomeUnknown):
        whatsapp.accepted_or_raise(answer(200, {"unexpected": True}))
    with pytest.raises(OutcomeUnknown):
        whatsapp.accepted_or_raise(httpx.Response(502, text="<html>bad gateway</html>"))


def test_dlt_answers_and_reports() -> None:
    ok = answer(
        200, {"response": {"id": "3945", "phone": "91", "details": "", "status": "success"}}
    )
    assert dlt_sms.accepted_or_raise(ok).provider_id == "3945"
    with pytest.raises(Unavailable):
        dlt_sms.accepted_or_raise(
            answer(
                200,
                {"response": {"id": "105", "details": "Authentication failed", "status": "error"}},
            )
        )
    with pytest.raises(Rejected) as refused:
        dlt_sms.accepted_or_raise(
            answer(
                200, {"response": {"id": "175", "details": "template mismatch", "status": "error"}}
            )
        )
    assert refused.value.reason == "dlt_175"
    delivered = dlt_sms.report_of(
        {"externalId": "3945", "deliveredTS": "1526347800000", "status": "SUCCESS"}
    )
    assert delivered is not None and delivered.status is Status.SENT
    assert delivered.at == datetime(2018, 5, 15, 1, 30, tzinfo=UTC)
    dnd = dlt_sms.report_of(
        {"externalId": "3946", "status": "FAILURE", "errCode": "006", "cause": "DND_FAIL"}
    )
    assert dnd is not None and dnd.suppress and dnd.reason == "dlt 006: dnd (DND_FAIL)"
    assert dlt_sms.report_of({"externalId": "3947", "status": "UNKNOWN"}) is None
    assert dlt_sms.report_of({"status": "SUCCESS"}) is None


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # the euro sign takes an escape and a septet
        ("नमस्ते", "UCS-2", 6, 1),
        ("a" * 70 + "é", "GSM-7", 71, 1),  # é is in the GSM alphabet
        ("a" * 70 + "ą", "UCS-2", 71, 2),
        ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: two code units each
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_sms_parts_as_billed(text: str, encoding: str, units: int, parts: int) -> None:
    counted = sms_parts(text)
    assert (counted.encoding, counted.units, counted.parts) == (encoding, units, parts)


def test_a_chosen_provider_must_be_configured_and_production_wants_long_secrets() -> None:
    from services.delivery.providers.settings import ProviderSettings, check_providers
    from shared.settings import ConfigurationError

    base: dict[str, Any] = {"env": "test", "mysql_url": "mysql+asyncmy://u:p@127.0.0.1/x"}
    check_providers(ProviderSettings(**base))  # the simulator: nothing to configure
    with pytest.raises(ConfigurationError, match="BEACON_TWILIO_AUTH_TOKEN"):
        check_providers(ProviderSettings(**base, sms_provider="twilio"))
    check_providers(
        ProviderSettings(
            **base,
            sms_provider="twilio",
            twilio_account_sid="AC1",
            twilio_auth_token="t",
            twilio_sender="+1",
        )
    )
    with pytest.raises(ConfigurationError, match="BEACON_WHATSAPP_APP_SECRET"):
        check_providers(
            ProviderSettings(**{**base, "env": "production"}, whatsapp_app_secret="short")
        )


async def test_a_provider_channel_sorts_each_message_and_names_the_refused() -> None:
    """Accepted, failed (not resent when the outcome is unknown), refused (the person to be
    suppressed), or left for retry once the deadline would pass."""
    import asyncio

    from services.delivery.provider_channel import ProviderChannel
    from services.delivery.providers.base import Accepted
    from services.delivery.store.log import Outgoing as Row

    answers: dict[str, Accepted | Exception] = {
        "+1": Accepted("SM1"),
        "+2": Rejected("invalid_number"),
        "+3": Rejected("unsubscribed", suppress=True),
        "+4": OutcomeUnknown("outcome_unknown", "read timeout"),
        "+5": Unavailable("too_many_requests", retry_after_s=3600),
        "+6": Unavailable("throughput_limit"),  # once, then taken: retried after back-off
    }
    calls: list[str] = []

    class Fake:
        async def send(self, message: Any) -> Accepted:
            calls.append(message.to)
            answer = answers[message.to]
            if message.to == "+6" and calls.count("+6") > 1:
                answer = Accepted("SM6")
            if isinstance(answer, Exception):
                raise answer
            return answer

        async def close(self) -> None:
            return None

    channel = ProviderChannel(
        Fake(), name="twilio", concurrency=2, rate_limit=0, backoff_base_s=0.01, backoff_max_s=0.02
    )
    rows = [Row(i, f"m{i}", f"+{i}", "hi", f"c{i}") for i in range(1, 7)]
    deadline = asyncio.get_running_loop().time() + 5
    result = await channel.send(rows, deadline=deadline)
    assert [m.message_id for m in result.accepted] == ["m1", "m6"]
    assert {m.message_id: r for m, r in result.failed} == {
        "m2": "twilio rejected: invalid_number",
        "m3": "twilio rejected: unsubscribed",
        "m4": "twilio outcome_unknown (not resent): read timeout",
    }
    assert [m.message_id for m in result.refused] == ["m3"]
    assert result.retry == "twilio unavailable: too_many_requests"  # Retry-After past deadline
    # Each tried once, but the one throttled for a moment, tried again.
    assert sorted(calls) == ["+1", "+2", "+3", "+4", "+5", "+6", "+6"]
