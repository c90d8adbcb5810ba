"""What ASGI does not offer a WebSocket handler: a bounded socket buffer and an abort.

A client that stops reading fills, in turn, its own receive buffer, the server's kernel
send buffer (autotuned up to ``net.ipv4.tcp_wmem`` max, 4 MB by default, per connection)
and the event loop's transport buffer; only then does a send block and the send timeout
notice. Capping ``SO_SNDBUF`` on WebSocket connections bounds the memory a stalled client
holds and lets it be noticed after a few hundred KB instead of megabytes (our push rate is
a few KB/s per client, far below what even a small buffer carries).

Giving up on such a client needs an abort: a close frame queues behind the unread data and
the socket lingers as long as the peer keeps it open. Under uvicorn the server's ``send`` is
a method of its protocol object, which holds the transport; this middleware, outside
FastAPI's own wrappers of ``send``, reaches it. Best effort: on another server nothing is
captured and the handler falls back to a close frame.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.logging import get_logger

log = get_logger(__name__)
ABORT_KEY = "beacon.abort"  # scope key: a callable that aborts the connection


def install_websocket_transport_hooks(app: FastAPI, *, send_buffer: int) -> None:
    """Add the middleware; ``send_buffer`` bytes for SO_SNDBUF (0: the kernel's default)."""

    class WebSocketTransportHooks:
        def __init__(self, inner: ASGIApp) -> None:
            self.inner = inner

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket":
                transport = getattr(getattr(send, "__self__", None), "transport", None)
                if transport is not None:
                    sock = _socket_of(transport)
                    if sock is not None and send_buffer > 0:
                        _set(sock, socket.SO_SNDBUF, send_buffer)
                    abort = getattr(transport, "abort", None)
                    if callable(abort):
                        scope = {**scope, ABORT_KEY: _hard_abort(abort, sock)}
            await self.inner(scope, receive, send)

    app.add_middleware(WebSocketTransportHooks)


def _socket_of(transport: object) -> Any:
    get_extra_info = getattr(transport, "get_extra_info", None)
    return get_extra_info("socket") if callable(get_extra_info) else None


def _set(sock: Any, option: int, value: int | bytes) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, value)
    except OSError as error:  # not fatal: the connection still works, only less bounded
        log.warning("ws_socket_option_not_set", option=option, error=repr(error)[:200])


def _hard_abort(abort: Callable[[], None], sock: Any) -> Callable[[], None]:
    """Abort with a reset: with SO_LINGER 0 the kernel drops the unsent data at once
    instead of keeping it (and retrying a peer that never reads) for minutes."""

    def hard_abort() -> None:
        if sock is not None:
            _set(sock, socket.SO_LINGER, struct.pack("ii", 1, 0))
        abort()

    return hard_abort
