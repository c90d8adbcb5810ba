"""HTTP error shapes shared by the services.

Errors answer ``{"detail": ..., "correlation_id": ...}``: ``detail`` as FastAPI gives it
(a 422 lists each problem), plus the request's correlation id so a user can quote it and
we can find the log lines. Unexpected errors become a 500 in ``shared.health``'s
middleware, which holds the correlation id's scope.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.logging import current_correlation_id, get_logger

log = get_logger(__name__)


class ServiceUnavailable(Exception):
    """A dependency (the broker, the database) cannot take the request right now."""


def error_body(detail: object) -> dict[str, object]:
    return {"detail": detail, "correlation_id": current_correlation_id()}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_: Request, error: ServiceUnavailable) -> JSONResponse:
        return JSONResponse(
            error_body(str(error) or "service unavailable"),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(error.detail), status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()
        ]
        return JSONResponse(error_body(problems), status_code=422)
