"""Local stand-ins for providers that publish no OpenAPI document, built from what their
documents say a request, an answer and a webhook look like (Twilio's is served by Prism
from its published document instead: tests/providers/test_provider_adapters.py).

- :class:`WhatsAppCloudMock`: Meta's WhatsApp Cloud API, ``POST /{version}/{phone-number-id}
  /messages`` (developers.facebook.com/docs/whatsapp/cloud-api/reference/messages): a bearer
  token, a template message body, ``{"messaging_product", "contacts", "messages": [{"id":
  "wamid..."}]}`` back, or ``{"error": {"message", "type", "code", "error_data",
  "fbtrace_id"}}`` (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes);
  and the status webhook it would send (…/cloud-api/webhooks/components, statuses),
  signed ``X-Hub-Signature-256``.
- :class:`DltGatewayMock`: Gupshup Enterprise SMS (docs.gupshup.io "Send Messages to Single
  Number"): a form POST with the DLT fields, ``{"response": {"id", "phone", "details",
  "status"}}`` back.
Each records what it was sent, and refuses (as the real one would) what breaks its rules.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qs

from services.delivery.providers import whatsapp

VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAtest-token"


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _reply(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def whatsapp_error(code: int, message: str, details: str = "") -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or message},
            "fbtrace_id": "AbCdEfGhIjK",
        }
    }


class WhatsAppCloudMock(_Server):
    """``failures``: recipient digits → (HTTP status, error code) to answer instead."""

    def __init__(self, failures: dict[str, tuple[int, int]] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.failures = failures or {}
        ids = count(1)
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                if self.path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
                    return _reply(self, 400, whatsapp_error(100, "Unsupported post request"))
                if self.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
                    return _reply(self, 401, whatsapp_error(190, "Invalid OAuth access token"))
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                problem = _whatsapp_problem(body)
                if problem:
                    return _reply(self, 400, whatsapp_error(100, "Invalid parameter", problem))
                to = body["to"]
                if to in mock.failures:
                    status, code = mock.failures[to]
                    return _reply(self, status, whatsapp_error(code, f"error {code}"))
                mock.sent.append(body)
                wamid = f"wamid.HBgM{next(ids):08d}"
                _reply(
                    self,
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": wamid}],
                    },
                )

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)
        self.api_url = f"{self.url}/{VERSION}"


def _whatsapp_problem(body: Any) -> str | None:
    """What the Cloud API would refuse in a template message (its reference's rules)."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    to = body.get("to")
    if not isinstance(to, str) or not to.isdigit():
        return "to must be the number's digits, country code first"
    if body.get("type") != "template":
        return "only template messages may start a conversation"
    template = body.get("template") or {}
    if not template.get("name") or not (template.get("language") or {}).get("code"):
        return "template.name and template.language.code are required"
    for component in template.get("components", []):
        for parameter in component.get("parameters", []):
            if parameter.get("type") != "text" or not isinstance(parameter.get("text"), str):
                return "parameters must be {type: text, text}"
    return None


def whatsapp_status_webhook(
    statuses: list[dict[str, Any]], app_secret: str
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Meta POSTs for these statuses (each ``{"id", "status",
    "timestamp", "recipient_id", "biz_opaque_callback_data", "errors"?}``)."""
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": PHONE_NUMBER_ID,
                                },
                                "statuses": statuses,
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }
    ).encode()
    headers = {
        "content-type": "application/json",
        whatsapp.SIGNATURE_HEADER: whatsapp.sign(app_secret, body),
    }
    return body, headers


class DltGatewayMock(_Server):
    """``failures``: recipient digits → (error id, details) to answer instead."""

    REQUIRED = (
        "method",
        "send_to",
        "msg",
        "msg_type",
        "userid",
        "password",
        "auth_scheme",
        "v",
        "format",
        "mask",
        "principalEntityId",
        "dltTemplateId",
    )

    def __init__(self, failures: dict[str, tuple[str, str]] | None = None) -> None:
        self.sent: list[dict[str, str]] = []
        self.failures = failures or {}
        ids = count(1)
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers["content-length"])).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                missing = [k for k in DltGatewayMock.REQUIRED if not form.get(k)]
                phone = form.get("send_to", "")
                if missing:
                    return _reply(
                        self,
                        200,
                        {
                            "response": {
                                "id": "101",
                                "phone": phone,
                                "details": f"missing {missing}",
                                "status": "error",
                            }
                        },
                    )
                if phone in mock.failures:
                    code, details = mock.failures[phone]
                    return _reply(
                        self,
                        200,
                        {
                            "response": {
                                "id": code,
                                "phone": phone,
                                "details": details,
                                "status": "error",
                            }
                        },
                    )
                mock.sent.append(form)
                _reply(
                    self,
                    200,
                    {
                        "response": {
                            "id": f"39{next(ids):017d}",
                            "phone": phone,
                            "details": "",
                            "status": "success",
                        }
                    },
                )

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)
