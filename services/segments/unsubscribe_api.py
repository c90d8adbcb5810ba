"""``POST /api/v1/unsubscribe?token=…``: RFC 8058 one-click unsubscribe, public.

The mail client (or the person) posts the link from the email's ``List-Unsubscribe``
header; the signed token (``shared.unsubscribe``) says who and which channel. The
suppression is recorded at once, with no confirmation page and no sign-in: the next email
campaign's audience leaves that customer out. Segments serves it because it keeps the
suppression list, which audience resolution reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.segments.settings import SegmentsSettings
from services.segments.store import suppressions
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
            400: {"model": ErrorBody, "description": "Not an unsubscribe token"},
            403: {"model": ErrorBody, "description": "The token's signature does not match"},
        },
    )
    async def unsubscribe(
        token: Annotated[str, Query(min_length=1, max_length=MAX_TOKEN)],
    ) -> Response:
        # The body (List-Unsubscribe=One-Click) is not read: the signed token is the proof.
        try:
            who = read_token(settings.unsubscribe_secret, token)
        except BadToken as error:
            raise HTTPException(403 if error.forged else 400, str(error)) from None
        async with unit_of_work(engine) as conn:
            await suppressions.suppress(conn, who.customer_id, who.channel, "unsubscribed")
        return Response(status_code=204)

    return public
