"""One WebSocket connection: its receive loop, its sender task, and giving up on it.

Per connection two tasks run: the receiver parses what the client sends (a bad message
gets an error reply, never a crash) and the sender writes what the mailbox says is due,
plus a ping every ``stats_ws_ping_s``. Only the sender writes to the socket. A write that
does not finish within ``stats_ws_send_timeout_s`` means the client does not read: it is
disconnected (its transport aborted: a graceful close would wait on the same full buffer).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncEngine

from services.stats.auth import Session, TokenExpired, open_session
from services.stats.domain.counters import snapshot
from services.stats.domain.messages import ClientMessageError, Reauthenticate, parse_client_message
from services.stats.hub import Client, Hub
from services.stats.metrics import WS_CLIENTS, WS_DISCONNECTS, WS_MESSAGES
from services.stats.settings import StatsSettings
from services.stats.store import counters
from services.stats.transport import ABORT_KEY
from shared.auth.principal import AuthError
from shared.logging import get_logger

log = get_logger(__name__)
PING = {"type": "ping"}


class SlowClient(Exception):
    """The client does not take what it is sent; it is to be disconnected."""


async def serve(
    websocket: WebSocket, hub: Hub, engine: AsyncEngine, settings: StatsSettings
) -> None:
    session = await open_session(websocket)  # accepted; closed with 1008 without a good token
    if session is None:
        WS_DISCONNECTS.labels("unauthorized").inc()
        return
    client = hub.connect()  # a new connection gets every campaign's changes
    WS_CLIENTS.inc()
    sender = asyncio.create_task(_send_loop(websocket, client, settings))
    receiver = asyncio.create_task(_receive_loop(websocket, client, engine, settings, session))
    expiry = asyncio.create_task(session.watch())
    tasks = {sender, receiver, expiry}
    reason = "closed"
    unauthorized: str | None = None
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        error = next((t.exception() for t in done if t.exception() is not None), None)
        if isinstance(error, TokenExpired | AuthError):
            reason = "unauthorized"
            unauthorized = error.code if isinstance(error, AuthError) else "token_expired"
        elif isinstance(error, SlowClient):
            reason = "slow"
            log.warning("ws_client_too_slow", reason=str(error), pending=client.mailbox.pending())
        elif error is not None and not isinstance(error, WebSocketDisconnect | OSError):
            reason = "error"
            log.error("ws_client_failed", error=repr(error)[:300])
    finally:
        hub.disconnect(client)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        WS_CLIENTS.dec()
        WS_DISCONNECTS.labels(reason).inc()
    if unauthorized is not None:
        with suppress(Exception):
            async with asyncio.timeout(1.0):
                await websocket.close(code=1008, reason=unauthorized)
    elif reason != "closed":
        await _drop(websocket)


async def _send_loop(websocket: WebSocket, client: Client, settings: StatsSettings) -> None:
    loop = asyncio.get_running_loop()
    next_ping = loop.time() + settings.stats_ws_ping_s
    while True:
        if client.mailbox.overflowed:
            raise SlowClient(f"over {client.mailbox.max_pending} campaigns waiting")
        client.wake.clear()  # before take: an offer made while we send wakes us again
        now = loop.time()
        messages = client.mailbox.take(now)
        if now >= next_ping:
            messages.append(PING)
            next_ping = now + settings.stats_ws_ping_s
        for message in messages:
            await _send(websocket, message, settings.stats_ws_send_timeout_s)
        now = loop.time()
        due = client.mailbox.next_due(now)
        wait = next_ping - now if due is None else min(due, next_ping - now)
        if wait > 0:
            with suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await client.wake.wait()


async def _send(websocket: WebSocket, message: dict[str, Any], timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            await websocket.send_text(orjson.dumps(message).decode())
    except TimeoutError:
        raise SlowClient(f"a send took over {timeout}s") from None
    WS_MESSAGES.labels(message["type"]).inc()


async def _receive_loop(
    websocket: WebSocket,
    client: Client,
    engine: AsyncEngine,
    settings: StatsSettings,
    session: Session,
) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("text")
        if data is None:
            data = message.get("bytes") or b""
        try:
            request = parse_client_message(data, max_ids=settings.stats_ws_max_subscribe)
        except ClientMessageError as error:
            client.notice({"type": "error", "message": str(error)})
            continue
        if request is None:
            continue
        if isinstance(request, Reauthenticate):
            await session.reauthenticate(request.access_token)  # AuthError closes with 1008
            continue
        # Narrow first, then read: a change committed after the read reaches this client
        # through the hub, one committed before is in the read; revisions sort out overlap.
        client.mailbox.subscribe(request.campaign_ids)
        if not request.campaign_ids:
            continue
        try:
            async with engine.connect() as conn:
                current = await counters.get_many(conn, list(request.campaign_ids))
        except Exception as error:  # the database is away: tell the client, keep serving
            log.warning("ws_subscribe_read_failed", error=repr(error)[:300])
            client.notice({"type": "error", "message": "current stats unavailable; retry"})
            continue
        for found in current:
            client.offer(snapshot(found), reply=True)


async def _drop(websocket: WebSocket) -> None:
    """Disconnect a client that does not read: abort its transport when the server lets us
    (see ``transport.py``), else try a close frame for a moment."""
    abort = websocket.scope.get(ABORT_KEY)
    if callable(abort):
        abort()
        return
    with suppress(Exception):
        async with asyncio.timeout(1.0):
            await websocket.close(code=1013)
