"""The vendor simulator's HTTP API.

- ``POST /vendor/v1/messages`` ``{"messages": [{"message_id", "to", "body"}], "callback_url"}``
  → 202 at once (or, with probability ``BEACON_VENDOR_ERROR_RATE``, 500 and nothing kept).
  Messages seen before are acknowledged and not delivered again.
- ``GET /vendor/v1/stats`` → ``{"received", "unique", "duplicates", "callbacks_sent",
  "by_status", ...}``; ``GET /vendor/v1/messages/{message_id}`` → how often it was received.
- ``/healthz``, ``/readyz``, ``/metrics``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.errors import install_error_handlers
from shared.health import install_request_middleware
from shared.logging import get_logger
from simulators.vendor.callbacks import CallbackDispatcher
from simulators.vendor.registry import Registry
from simulators.vendor.settings import VendorSettings

log = get_logger(__name__)


class VendorMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    to: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    body: str


class SendRequest(BaseModel):
    messages: Annotated[list[VendorMessage], Field(min_length=1, max_length=10_000)]
    callback_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]


def callback_allow_list(setting: str) -> dict[str, set[int] | None]:
    """``host`` or ``host:port`` entries (``[::1]:8004`` for IPv6): each host with the ports
    receipts may go to, ``None`` for any port (a bare host, for local runs on random ports).
    Compose and Kubernetes name the delivery API's port, so nothing else on that host (its
    database, its metrics) can be made to receive the simulator's posts."""
    allowed: dict[str, set[int] | None] = {}
    for raw in (e.strip().lower() for e in setting.split(",")):
        if not raw:
            continue
        parts = urlsplit(f"//{raw}")
        host, port = parts.hostname or raw, parts.port
        ports = allowed.get(host, set())
        if port is None or ports is None:
            allowed[host] = None
        else:
            allowed[host] = ports | {port}
    return allowed


def may_call_back(allowed: dict[str, set[int] | None], host: str, port: int) -> bool:
    if host not in allowed:
        return False
    ports = allowed[host]
    return ports is None or port in ports


def build_vendor_app(
    settings: VendorSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The simulator app; ``transport`` replaces the network for its callbacks (tests)."""
    registry = Registry(
        settings.vendor_seed, settings.vendor_failure_ratio, remember=settings.vendor_remember
    )
    allowed = callback_allow_list(settings.vendor_callback_hosts)
    rng = random.Random(settings.vendor_seed + 1)
    state: dict[str, Any] = {"errors_injected": 0}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        http = httpx.AsyncClient(timeout=settings.vendor_callback_timeout_s, transport=transport)
        dispatcher = CallbackDispatcher(settings, http)
        app.state.dispatcher = dispatcher
        task = asyncio.create_task(dispatcher.run())
        log.info("vendor_started", seed=settings.vendor_seed)
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await http.aclose()

    app = FastAPI(title="Beacon vendor simulator", lifespan=lifespan, version="0.1.0")
    # A send request holds up to 10,000 rendered messages.
    install_request_middleware(app, max_body_bytes=32 * 1024 * 1024)
    install_error_handlers(app)
    router = APIRouter()

    @router.post("/vendor/v1/messages", status_code=202)
    async def send(request: SendRequest) -> Response:
        if rng.random() < settings.vendor_error_rate:
            state["errors_injected"] += 1
            return JSONResponse({"detail": "injected vendor error"}, status_code=500)
        target = urlsplit(request.callback_url)
        try:
            port = target.port or (443 if target.scheme == "https" else 80)
        except ValueError:  # a port out of range or not a number
            port = -1
        host = (target.hostname or "").lower()
        if not may_call_back(allowed, host, port):
            # Else the simulator would sign receipts and post them to any URL it is given.
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["body", "callback_url"],
                        "msg": f"{host[:100]!r} port {port} is not in BEACON_VENDOR_CALLBACK_HOSTS",
                        "type": "value_error",
                    }
                ],
            )
        fresh = registry.accept([m.message_id for m in request.messages])
        app.state.dispatcher.schedule(request.callback_url, fresh)
        return JSONResponse({"accepted": len(request.messages), "new": len(fresh)}, status_code=202)

    @router.get("/vendor/v1/stats")
    async def stats() -> dict[str, Any]:
        dispatcher: CallbackDispatcher = app.state.dispatcher
        return {
            **registry.stats(),
            "callbacks_sent": dispatcher.callbacks_sent,
            "receipts_sent": dispatcher.receipts_sent,
            "duplicate_callbacks": dispatcher.duplicate_callbacks,
            "callbacks_failed": dispatcher.callbacks_failed,
            "receipts_dropped": dispatcher.receipts_dropped,
            "pending_receipts": dispatcher.pending,
            "errors_injected": state["errors_injected"],
        }

    @router.get("/vendor/v1/messages/{message_id}")
    async def message(message_id: str) -> dict[str, Any]:
        found = registry.message(message_id)
        if found is None:
            raise HTTPException(404, f"message {message_id!r} never received")
        return found

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "vendor"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, Any]:
        # Nothing to depend on: no database, no broker.
        return {"status": "ready", "service": "vendor", "checks": {}}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    return app
