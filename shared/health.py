"""``/healthz``, ``/readyz`` and ``/metrics`` for every service, plus request logging.

Liveness says the process answers; readiness says it can do its work right now: the
database answers and the broker connection is up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.rabbit import RabbitBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.contextvars import bind_contextvars, unbind_contextvars

from shared import tracing
from shared.errors import ApiError, ErrorItem, error_body, summary
from shared.logging import bind_correlation_id, get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.validation import MAX_CORRELATION_ID, valid_correlation_id

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"


def health_router(
    engine: AsyncEngine,
    broker: RabbitBroker,
    broker_ready: asyncio.Event,
    service: str,
    details: Mapping[str, Callable[[], dict[str, Any]]] | None = None,
) -> APIRouter:
    """``details``: extra state shown by ``/readyz`` that does not decide readiness (e.g.
    segments' profile cache, which is still loading while previews answer from SQL)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {
            "database": await _db_ok(engine),
            "broker": broker_ready.is_set() and await _broker_ok(broker),
        }
        ok = all(checks.values())
        body: dict[str, Any] = {
            "status": "ready" if ok else "not ready",
            "service": service,
            "checks": checks,
        }
        for name, describe in (details or {}).items():
            body[name] = describe()
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _db_ok(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def _broker_ok(broker: RabbitBroker) -> bool:
    try:
        return bool(await broker.ping(timeout=2))
    except Exception:
        return False


def install_request_middleware(app: FastAPI, *, max_body_bytes: int) -> None:
    """Bind a correlation id per request, echo it back, log and measure each request, and
    refuse bodies over ``max_body_bytes`` (413) before reading them."""
    app.add_middleware(RequestMiddleware, max_body_bytes=max_body_bytes)


class BodyTooLarge(ApiError):
    """Raised from ``receive`` when a streamed body passes the limit; FastAPI's handler for
    HTTP errors turns it into the 413 (with the correlation id) wherever the body is read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class RequestMiddleware:
    """Pure ASGI, not ``@app.middleware("http")``: that one costs a task group and a
    streamed response per request, measured at a fifth of a small request's CPU."""

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        declared = None
        for name, value in scope["headers"]:
            if name == b"x-correlation-id":
                given = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        bad_header = given is not None and not valid_correlation_id(given)
        cid = bind_correlation_id(None if bad_header else given)
        tracing.annotate(cid)  # on the request's server span, when tracing is on
        bind_contextvars(path=scope["path"])
        started = time.perf_counter()
        status = 500
        echo = (CORRELATION_HEADER.lower().encode(), cid.encode("latin-1"))

        started_response = False

        async def send_with_id(message: Any) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echo]}
            await send(message)

        limit = self.max_body_bytes
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            if bad_header:
                await _refuse(send_with_id, 422, _bad_correlation_id(cid))
            elif declared is not None and not _length_ok(declared, limit):
                too_large = f"request body larger than {limit} bytes"
                body = error_body(413, too_large, correlation_id=cid)
                await _refuse(send_with_id, 413, body, close=True)
            else:
                await self.app(scope, limited_receive, send_with_id)
        except Exception:
            # Answered here, inside the correlation id's scope, so a 500 names it and the
            # keep-alive connection survives (Starlette's own handler re-raises to uvicorn).
            log.exception("unhandled_error", method=scope["method"])
            if started_response:
                raise
            body = error_body(500, "internal error", correlation_id=cid)
            await _refuse(send_with_id, 500, body)
        finally:
            route_path = getattr(scope.get("route"), "path", "unmatched")
            if route_path != "unmatched":
                tracing.name_route(scope["method"], route_path)
            elapsed = time.perf_counter() - started
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route_path, str(status)).inc()
            HTTP_LATENCY.labels(method, route_path).observe(elapsed)
            if status >= 500:
                log.warning("http_request", method=method, status=status, ms=elapsed * 1e3)
            unbind_contextvars("path", "correlation_id")


def _length_ok(declared: bytes, limit: int) -> bool:
    digits = declared.strip()
    # A length of more digits than the limit's is over it (and never parsed as a huge int).
    return digits.isdigit() and len(digits) <= len(str(limit)) and int(digits) <= limit


def _bad_correlation_id(cid: str) -> dict[str, Any]:
    problem = ErrorItem(
        field=f"header.{CORRELATION_HEADER}",
        message=f"must be 1 to {MAX_CORRELATION_ID} letters, digits or ._:- characters",
    )
    return error_body(422, summary([problem]), errors=[problem], correlation_id=cid)


async def _refuse(send: Any, status: int, body: dict[str, Any], *, close: bool = False) -> None:
    """Answer without reading the body; ``close`` ends the connection so a client that is
    still sending a huge body is not read to its end."""
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
