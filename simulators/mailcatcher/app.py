"""The mail catcher: an SMTP server (aiosmtpd) that keeps every message it is sent, and a
page (``/``) and JSON API (``/api/messages``) to read them. Nothing is relayed anywhere.

Message bodies are shown as they were sent, but never as live HTML on this page: the HTML
part is rendered in a sandboxed frame (no scripts, no same-origin access) and the text part
escaped.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response

from simulators.mailcatcher.inbox import Inbox
from simulators.mailcatcher.settings import MailCatcherSettings


class _Handler:
    """aiosmtpd's handler: every message is accepted and kept."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        content = envelope.original_content or b""
        self.inbox.add(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content))
        return "250 Message accepted for delivery"


def build_app(settings: MailCatcherSettings) -> FastAPI:
    inbox = Inbox(settings.mailcatcher_keep)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        handler = _Handler(inbox)
        server = await loop.create_server(
            lambda: SMTP(handler, enable_SMTPUTF8=True, hostname="beacon-mailcatcher"),
            host=settings.host,
            port=settings.mailcatcher_smtp_port,
        )
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    app = FastAPI(title="Beacon mail catcher", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/messages")
    async def messages() -> dict[str, Any]:
        return {"items": [m.summary() for m in inbox.all()]}

    @app.get("/api/messages/{message_id}")
    async def message(message_id: int) -> Response:
        caught = inbox.get(message_id)
        if caught is None:
            return JSONResponse({"detail": f"no message {message_id}"}, status_code=404)
        return JSONResponse(caught.detail())

    @app.delete("/api/messages", status_code=204)
    async def clear() -> Response:
        inbox.clear()
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        rows = "".join(
            f"<tr><td>{html.escape(m.received_at.strftime('%H:%M:%S'))}</td>"
            f"<td>{html.escape(', '.join(m.envelope_to))}</td>"
            f'<td><a href="/messages/{m.id}">'
            f"{html.escape(m.subject or '(no subject)')}</a></td></tr>"
            for m in inbox.all()
        )
        body = (
            f"<table><thead><tr><th>Time (UTC)</th><th>To</th><th>Subject</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            if rows
            else "<p>No mail yet. Launch an email campaign from the dashboard.</p>"
        )
        return _page("Mail caught", f"<h1>Mail caught ({len(inbox.all())})</h1>{body}")

    @app.get("/messages/{message_id}", response_class=HTMLResponse)
    async def one(message_id: int) -> HTMLResponse:
        caught = inbox.get(message_id)
        if caught is None:
            return HTMLResponse(_page("Not found", "<p>No such message.</p>"), status_code=404)
        headers = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in caught.message.items()
        )
        text, rich = caught.part("plain"), caught.part("html")
        parts = f"<h2>Plain text</h2><pre>{html.escape(text)}</pre>" if text is not None else ""
        if rich is not None:
            # srcdoc, escaped, in a frame with every sandbox restriction on.
            parts += (
                '<h2>HTML</h2><iframe sandbox="" title="HTML part" '
                f'srcdoc="{html.escape(rich, quote=True)}"></iframe>'
            )
        return HTMLResponse(
            _page(
                caught.subject or "(no subject)",
                f'<p><a href="/">All mail</a></p><h1>{html.escape(caught.subject)}</h1>'
                f"<table class=headers>{headers}</table>{parts}",
            )
        )

    return app


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)} · Beacon mail catcher</title>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;"
        "padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px "
        "solid #ddd;padding:.4rem;text-align:left;vertical-align:top}.headers th{width:12rem;"
        "font-weight:600}pre{white-space:pre-wrap;background:#f6f7f9;padding:1rem}"
        "iframe{width:100%;height:30rem;border:1px solid #ddd}</style></head>"
        f"<body>{body}</body></html>"
    )
