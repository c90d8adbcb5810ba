"""HTTP error shapes shared by the services.

Errors answer ``{"detail": ...}`` as FastAPI does. An unexpected error answers 500 with the
correlation id, so a user can quote it and we can find the log line.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.logging import current_correlation_id, get_logger

log = get_logger(__name__)


class ServiceUnavailable(Exception):
    """A dependency (the broker, the database) cannot take the request right now."""


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_: Request, error: ServiceUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error) or "service unavailable"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return JSONResponse(
            {"detail": "internal error", "correlation_id": current_correlation_id()},
            status_code=500,
        )
