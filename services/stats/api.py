"""Stats' HTTP API and WebSocket route: translate HTTP to store and domain calls and back.

Reads go straight to the counters table (the source of truth); the WebSocket pushes what
the hub hears. Reads need a viewer (or a ``stats:read`` key), reconcile an admin; the
WebSocket checks its own ``access_token`` (``auth.py``).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Query, WebSocket
from sqlalchemy.ext.asyncio import AsyncEngine

from services.stats import service, ws
from services.stats.domain.counters import failure_rate, iso, snapshot
from services.stats.hub import Hub
from services.stats.responses import CampaignStats, CampaignStatsList, DriftReport, Overview, Series
from services.stats.settings import StatsSettings
from services.stats.store import counters, deltas
from shared.auth.dependency import Caller, access
from shared.db import unit_of_work
from shared.errors import ApiError, invalid_field, responses
from shared.pagination import (
    Cursor,
    decode_cursor,
    decode_text_cursor,
    encode_cursor,
    encode_text_cursor,
)

MAX_IDS = 100


# Cursors name a time before 2200; anything larger was not made by this API.
MAX_CURSOR_MICROS = 7_258_118_400 * 1_000_000


def _invalid(param: str, msg: str) -> NoReturn:
    raise invalid_field(f"query.{param}", msg)


def _split_ids(ids: str) -> list[str]:
    found = list(dict.fromkeys(i.strip() for i in ids.split(",") if i.strip()))
    if len(found) > MAX_IDS:
        _invalid("ids", f"at most {MAX_IDS} ids, got {len(found)}")
    return found


# The list's cursor: the last (updated_at in Unix microseconds, campaign id as UTF-8 hex).
RECENT_CURSOR_PATTERN = r"^(0|[1-9][0-9]{0,15})\.([0-9a-f]{2}){0,256}$"
RecentCursor = Annotated[
    str | None,
    Query(
        pattern=RECENT_CURSOR_PATTERN,
        description="the next_cursor of the previous page (any value of this pattern is a "
        "position); left out, the first page",
    ),
]


def _encode_recent(key: tuple[datetime, str] | None) -> str | None:
    if key is None:
        return None
    micros = calendar.timegm(key[0].timetuple()) * 1_000_000 + key[0].microsecond
    return f"{micros}.{encode_text_cursor(key[1]) or ''}"


def _decode_recent(cursor: str | None) -> tuple[datetime, str] | None:
    """A position (a time past 2200 is 2200: no counter is later)."""
    if not cursor:
        return None
    micros, _, cid = cursor.partition(".")
    if not micros.isascii() or not micros.isdigit() or len(micros) > 16:
        _invalid("cursor", "is not a cursor this API gave")
    at = datetime(1970, 1, 1) + timedelta(microseconds=min(int(micros), MAX_CURSOR_MICROS))
    return at, decode_text_cursor(cid)


def build_router(
    settings: StatsSettings, engine: AsyncEngine, hub: Hub, notify: Callable[[], None]
) -> tuple[APIRouter, APIRouter]:
    """(the WebSocket, which authenticates itself; the routes behind the shared dependency)"""
    router = APIRouter(prefix="/api/v1/stats")
    sockets = APIRouter(prefix="/api/v1/stats")

    @router.get("/campaigns", response_model=CampaignStatsList)
    async def list_stats(
        ids: Annotated[str | None, Query(description="comma-separated, at most 100")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: RecentCursor = None,
    ) -> dict[str, Any]:
        if ids is not None:
            async with engine.connect() as conn:
                found = await counters.get_many(conn, _split_ids(ids))
            return {"items": [snapshot(c) for c in found], "next_cursor": None}
        async with engine.connect() as conn:
            items, last = await counters.page(conn, after=_decode_recent(cursor), limit=limit)
        return {"items": [snapshot(c) for c in items], "next_cursor": _encode_recent(last)}

    @router.get("/campaigns/{campaign_id}", response_model=CampaignStats, responses=responses(404))
    async def get_stats(campaign_id: str) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await counters.get(conn, campaign_id)
        if found is None:
            raise ApiError(404, f"no stats for campaign {campaign_id!r}")
        return snapshot(found)

    @router.get("/campaigns/{campaign_id}/series", response_model=Series, responses=responses(404))
    async def get_series(
        campaign_id: str,
        limit: Annotated[int, Query(ge=1, le=86_400)] = 3_600,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        after = decode_cursor(cursor, maximum=MAX_CURSOR_MICROS // 1_000_000)
        async with engine.connect() as conn:
            if await counters.get(conn, campaign_id) is None:
                raise ApiError(404, f"no stats for campaign {campaign_id!r}")
            items, last = await deltas.series(
                conn,
                campaign_id,
                after=datetime.fromtimestamp(after, UTC).replace(tzinfo=None) if after else None,
                limit=limit,
            )
        next_key = calendar.timegm(last.timetuple()) if last else None
        return {
            "campaign_id": campaign_id,
            "bucket_seconds": 1,
            "items": items,
            "next_cursor": encode_cursor(next_key),
        }

    @router.get("/overview", response_model=Overview)
    async def overview() -> dict[str, Any]:
        since = counters.now() - timedelta(days=settings.stats_overview_days)
        async with engine.connect() as conn:
            totals = await counters.overview(conn, since)
        return {
            **totals,
            "failure_rate": failure_rate(totals["sent"], totals["failed"]),
            "since": iso(since),
        }

    @router.post(
        "/campaigns/{campaign_id}/reconcile",
        openapi_extra=access("admin", scope=None),
        response_model=DriftReport,
        responses=responses(404),
    )
    async def reconcile(campaign_id: str, who: Caller, fix: bool = False) -> dict[str, Any]:
        async with unit_of_work(engine) as conn:
            report = await service.reconcile_campaign(conn, campaign_id, fix=fix, actor=who.actor())
        if report is None:
            raise ApiError(404, f"no stats for campaign {campaign_id!r}")
        if report["fixed"]:
            notify()
        return report

    @sockets.websocket("/ws")
    async def websocket(websocket: WebSocket) -> None:
        await ws.serve(websocket, hub, engine, settings)

    return sockets, router
