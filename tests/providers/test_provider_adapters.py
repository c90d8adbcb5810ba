"""The channel providers' clients against servers that behave as the providers document.

- Twilio: Prism serving Twilio's published OpenAPI document (twilio/twilio-oai
  ``spec/json/twilio_api_v2010.json``, trimmed to the Messages resource:
  tests/fixtures/providers/README.md). Prism checks each request against the document
  (path, basic auth, form fields and their formats) and answers with its examples, so a
  request our client shaped wrongly fails here.
- WhatsApp Cloud API and a DLT SMS gateway (Gupshup Enterprise style), which publish no
  OpenAPI document: tests/support/provider_mocks.py, built from their documented request,
  answer and error shapes (the documents are cited there).
Each refusal lands in the right bucket (rejected for good, unavailable for now, or outcome
unknown, never resent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.delivery.providers.base import (
    OutcomeUnknown,
    Outgoing,
    Rejected,
    Unavailable,
)
from services.delivery.providers.dlt_sms import DltIdentity, DltSmsClient
from services.delivery.providers.twilio import TwilioClient
from services.delivery.providers.whatsapp import WhatsAppClient
from tests.providers.conftest import ACCOUNT, TOKEN, twilio_up
from tests.support import provider_mocks as mocks
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def twilio(prism: str) -> AsyncIterator[TwilioClient]:
    await eventually(lambda: twilio_up(prism), bool, timeout=60, what="Prism listening")
    client = TwilioClient(
        api_url=prism,
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        sender="+14155550100",
        callback_url="https://beacon.example/api/v1/webhooks/twilio",
        timeout_s=10,
        max_connections=4,
    )
    yield client
    await client.close()


def sms(message_id: str, to: str = "+14155552345", body: str = "Hi Asha, 20% off") -> Outgoing:
    return Outgoing(message_id=message_id, to=to, body=body)


async def test_twilio_requests_pass_the_published_document(twilio: TwilioClient) -> None:
    accepted = await twilio.send(sms("m-1"))
    # The document's example answer, read as Twilio's would be.
    assert accepted.provider_id == "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    unicode = await twilio.send(sms("m-2", body="नमस्ते 🎉"))
    assert unicode.provider_id.startswith("SM")
    # A Messaging Service sender: the MessagingServiceSid field instead of From.
    form = TwilioClient(
        api_url="http://unused",
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        sender="MG" + "a" * 32,
        callback_url="https://beacon.example/api/v1/webhooks/twilio",
        timeout_s=1,
        max_connections=1,
    ).form(sms("m-3"))
    assert form["MessagingServiceSid"] == "MG" + "a" * 32 and "From" not in form
    assert form["StatusCallback"] == "https://beacon.example/api/v1/webhooks/twilio?message_id=m-3"


async def test_prism_refuses_what_the_document_refuses(prism: str) -> None:
    """The mock is not a yes-man: a request off the document is refused, and the client
    sorts the refusal (credentials: unavailable; a malformed request: rejected)."""
    await eventually(lambda: twilio_up(prism), bool, timeout=60, what="Prism listening")
    bad_account = TwilioClient(
        api_url=prism,
        account_sid="not-an-account",
        auth_token=TOKEN,
        sender="+14155550100",
        callback_url="https://beacon.example/cb",
        timeout_s=10,
        max_connections=1,
    )
    try:
        with pytest.raises((Unavailable, Rejected)):
            await bad_account.send(sms("m-4"))
    finally:
        await bad_account.close()
    async with httpx.AsyncClient(base_url=prism, auth=(ACCOUNT, TOKEN)) as raw:
        missing_to = await raw.post(
            f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json", data={"Body": "hi"}
        )
        assert missing_to.status_code == 422 and "To" in missing_to.text


async def test_twilio_unreachable_is_unavailable_not_unknown() -> None:
    client = TwilioClient(
        api_url="http://127.0.0.1:9",
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        sender="+14155550100",
        callback_url="https://beacon.example/cb",
        timeout_s=2,
        max_connections=1,
    )
    try:
        with pytest.raises(Unavailable) as refused:
            await client.send(sms("m-5"))
        assert refused.value.reason == "provider_unreachable"
    finally:
        await client.close()


def whatsapp_client(api_url: str, token: str = mocks.ACCESS_TOKEN) -> WhatsAppClient:
    return WhatsAppClient(
        api_url=api_url,
        phone_number_id=mocks.PHONE_NUMBER_ID,
        access_token=token,
        timeout_s=5,
        max_connections=4,
    )


def template(message_id: str, to: str, *params: str) -> Outgoing:
    return Outgoing(
        message_id=message_id, to=to, template="diwali_offer", language="en_GB", params=params
    )


async def test_whatsapp_template_messages_and_error_codes() -> None:
    mock = mocks.WhatsAppCloudMock(
        failures={
            "919800000049": (400, 131049),  # Meta's per-user marketing limit
            "919800000029": (400, 130429),  # the number's throughput limit
            "919800000050": (400, 131050),  # the person stopped marketing messages
            "919800000500": (500, 131000),  # something went wrong: maybe sent
        }
    )
    client = whatsapp_client(mock.api_url)
    try:
        accepted = await client.send(template("m-1", "+919812345678", "Asha", "20%"))
        assert accepted.provider_id.startswith("wamid.")
        [sent] = mock.sent
        assert sent == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "919812345678",
            "type": "template",
            "template": {
                "name": "diwali_offer",
                "language": {"code": "en_GB"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Asha"},
                            {"type": "text", "text": "20%"},
                        ],
                    }
                ],
            },
            "biz_opaque_callback_data": "m-1",
        }
        with pytest.raises(Rejected) as limit:
            await client.send(template("m-2", "+919800000049"))
        assert limit.value.reason == "marketing_limit" and not limit.value.suppress
        with pytest.raises(Unavailable) as throttled:
            await client.send(template("m-3", "+919800000029"))
        assert throttled.value.reason == "throughput_limit"
        with pytest.raises(Rejected) as stopped:
            await client.send(template("m-4", "+919800000050"))
        assert stopped.value.reason == "user_stopped_marketing" and stopped.value.suppress
        with pytest.raises(OutcomeUnknown):
            await client.send(template("m-5", "+919800000500"))
        with pytest.raises(Rejected) as no_template:
            await client.send(Outgoing(message_id="m-6", to="+919812345678"))
        assert no_template.value.reason == "no_template"
        assert len(mock.sent) == 1  # nothing refused was counted as sent
    finally:
        await client.close()
    expired = whatsapp_client(mock.api_url, token="EAAexpired")
    try:
        with pytest.raises(Unavailable) as auth:
            await expired.send(template("m-7", "+919812345678"))
        assert auth.value.reason == "access_token_expired"
    finally:
        await expired.close()
        mock.close()


async def test_dlt_gateway_gets_the_registered_identity_and_the_right_encoding() -> None:
    mock = mocks.DltGatewayMock(failures={"919800000175": ("175", "template does not match")})
    client = DltSmsClient(
        api_url=mock.url + "/GatewayAPI/rest",
        user_id="2000123456",
        password="pw",
        identity=DltIdentity(entity_id="1201159100000000001", header="BEACON"),
        timeout_s=5,
        max_connections=2,
    )
    try:
        plain = Outgoing("m-1", "+919812345678", "Hi Asha, 20% off", template="1207160000000000001")
        hindi = Outgoing("m-2", "+919812345679", "नमस्ते आशा", template="1207160000000000002")
        first = await client.send(plain)
        second = await client.send(hindi)
        assert first.provider_id != second.provider_id
        gsm, unicode = mock.sent
        assert {k: gsm[k] for k in ("send_to", "mask", "principalEntityId", "dltTemplateId")} == {
            "send_to": "919812345678",
            "mask": "BEACON",
            "principalEntityId": "1201159100000000001",
            "dltTemplateId": "1207160000000000001",
        }
        assert (gsm["msg_type"], unicode["msg_type"]) == ("TEXT", "Unicode_text")
        assert unicode["msg"] == "नमस्ते आशा"
        with pytest.raises(Rejected) as mismatch:
            await client.send(
                Outgoing("m-3", "+919800000175", "Hi", template="1207160000000000001")
            )
        assert mismatch.value.reason == "dlt_175"
        with pytest.raises(Rejected):
            await client.send(Outgoing("m-4", "+919812345678", "Hi"))  # no template id
        assert len(mock.sent) == 2
    finally:
        await client.close()
        mock.close()
