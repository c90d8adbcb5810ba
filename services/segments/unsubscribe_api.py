"""``POST /api/v1/unsubscribe?token=…``: RFC 8058 one-click unsubscribe, public.

The mail client posts the link from the email's ``List-Unsubscribe`` header; the signed
token (``shared.unsubscribe``) says who and which channel. The suppression is recorded at
once, with no confirmation page and no sign-in (204): the next email campaign's audience
leaves that customer out. Segments serves it because it keeps the suppression list, which
audience resolution reads.

The same link is in every footer, where a person opens it in a browser (a GET): that
answers a one-button page whose form posts it (``via=page``, answered with a line of HTML
instead of a 204). A GET itself never unsubscribes: mail scanners follow links (RFC 8058's
reason for the POST).
"""

from __future__ import annotations

import html
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.segments import service
from services.segments.settings import SegmentsSettings
from shared.db import unit_of_work
from shared.errors import ErrorBody
from shared.unsubscribe import MAX_TOKEN, BadToken, read_token


def build_public_router(settings: SegmentsSettings, engine: AsyncEngine) -> APIRouter:
    public = APIRouter(prefix="/api/v1/unsubscribe")

    @public.post(
        "",
        status_code=204,
        summary="One-click unsubscribe (RFC 8058): the token from the email's link",
        responses={
            200: {
                "description": "via=page (the footer page's button): a line of HTML",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            400: {"model": ErrorBody, "description": "Not an unsubscribe token"},
            403: {"model": ErrorBody, "description": "The token's signature does not match"},
        },
    )
    async def unsubscribe(
        token: Annotated[str, Query(min_length=1, max_length=MAX_TOKEN)],
        via: Annotated[
            Literal["page"] | None, Query(description="page: the footer page's button")
        ] = None,
    ) -> Response:
        # The body (List-Unsubscribe=One-Click) is not read: the signed token is the proof.
        try:
            who = read_token(settings.unsubscribe_secret, token)
        except BadToken as error:
            raise HTTPException(403 if error.forged else 400, str(error)) from None
        async with unit_of_work(engine) as conn:
            await service.suppress(conn, who.customer_id, who.channel, "unsubscribed")
        if via == "page":
            return HTMLResponse(_page("You are unsubscribed: we will not email you again."))
        return Response(status_code=204)

    @public.get(
        "",
        # Response, not HTMLResponse: that would document every error (JSON) as text/html.
        response_class=Response,
        summary="The footer link opened in a browser: a page whose button unsubscribes",
        responses={
            200: {"content": {"text/html": {"schema": {"type": "string"}}}},
            400: {"model": ErrorBody, "description": "Not an unsubscribe token"},
            403: {"model": ErrorBody, "description": "The token's signature does not match"},
        },
    )
    async def unsubscribe_page(
        token: Annotated[str, Query(min_length=1, max_length=MAX_TOKEN)],
    ) -> HTMLResponse:
        try:
            read_token(settings.unsubscribe_secret, token)
        except BadToken as error:
            raise HTTPException(403 if error.forged else 400, str(error)) from None
        action = html.escape(f"?{urlencode({'token': token, 'via': 'page'})}", quote=True)
        return HTMLResponse(
            _page(
                f'<form method="post" action="{action}">'
                '<button type="submit">Unsubscribe from these emails</button></form>'
            )
        )

    return public


def _page(body: str) -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title>'
        '<meta name="viewport" content="width=device-width"></head>'
        f"<body><p>{body}</p></body></html>"
    )
