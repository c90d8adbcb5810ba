"""The one error body every service answers for every 4xx and 5xx, and its handlers.

Every error is an :class:`ErrorBody`::

    {"detail": [{"loc": ["body", "items", 3, "email"], "msg": "not an email",
                 "type": "value_error"}],
     "message": "body.items[3].email: not an email", "code": "validation_error",
     "correlation_id": "...", "errors": [{"field": "body.items[3].email",
     "message": "not an email", "type": "value_error"}]}

``detail`` is what ARCHITECTURE.md fixes ("as FastAPI does, with a 422 listing each
problem"): FastAPI's list of ``{loc, msg, type}`` for a 422, the sentence otherwise.
``message`` is always one sentence a person can read; ``code`` is for programs (``token_expired``,
``not_found``, ...); ``errors`` lists each problem of a 422 with the path of the field it is
about (``body.``/``query.``/``path.``/``header.`` then dots and ``[index]``), empty for the
others. The correlation id lets a user quote the request and us find its log lines.

Routes raise :class:`ApiError` (or :func:`invalid`); an ``HTTPException`` of any other
shape is turned into the same body here, so no other shape can leave a service.
Unexpected errors become a 500 in ``shared.health``'s middleware, which holds the
correlation id's scope; it builds the body with :func:`error_body` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi import HTTPException as FastApiHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from shared.logging import current_correlation_id, get_logger

log = get_logger(__name__)

# The code a status gets when the raiser names none.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


# FastAPI's own 400 for a body it cannot decode (fastapi.routing).
FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"


class ErrorItem(BaseModel):
    """One problem of a request."""

    # Answered with every field: the document says so (a generated type then needs none).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    field: str = Field(
        description='Where: "body", "query", "path" or "header", then the path inside it, '
        'e.g. "body.items[3].email" or "query.cursor"'
    )
    message: str
    type: str = Field(default="value_error", description="The kind of problem, e.g. missing")


class Problem(BaseModel):
    """One problem of a 422 in FastAPI's own shape (``detail`` keeps it, as the contract says)."""

    loc: list[str | int] = Field(description='Where, e.g. ["body", "items", 3, "email"]')
    msg: str
    type: str


class ErrorBody(BaseModel):
    """What every service answers for every 4xx and 5xx."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    detail: str | list[Problem] = Field(
        description="For a 422, each problem as FastAPI lists them; otherwise the sentence"
    )
    message: str = Field(description="What went wrong, in one sentence")
    code: str = Field(description="Machine-readable reason, e.g. not_found or token_expired")
    correlation_id: str | None = Field(
        description="The request's X-Correlation-ID: quote it when reporting a problem"
    )
    errors: list[ErrorItem] = Field(
        default_factory=list, description="Each problem of a 422, with its field; else empty"
    )


# What each documented error status means, for the OpenAPI documents.
DESCRIPTIONS = {
    401: "No valid token or API key (``code`` says why)",
    403: "The caller lacks the role or the key lacks the scope; nothing was done",
    404: "No such resource",
    409: "The request conflicts with the resource's state",
    413: "The request body is over the service's limit",
    422: "The request is not valid; ``errors`` lists each problem with its field",
    429: "Too many attempts from this address; retry after Retry-After seconds",
    503: "A dependency cannot take the request now; nothing was done, retry after Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route (or router): these statuses answer an :class:`ErrorBody`."""
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in statuses}


class ServiceUnavailable(Exception):
    """A dependency (the broker, the database) cannot take the request right now."""


class ApiError(FastApiHTTPException):
    """An HTTP error in the one shape; ``errors`` name the fields at fault."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        errors: Sequence[ErrorItem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, headers=dict(headers) if headers else None)
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.errors = list(errors)


def field_path(parts: Iterable[str | int]) -> str:
    """``("body", "items", 3, "email")`` → ``"body.items[3].email"``."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def field_parts(field: str) -> list[str | int]:
    """``"body.items[3].email"`` → ``["body", "items", 3, "email"]`` (``field_path``'s inverse)."""
    parts: list[str | int] = []
    for token in re.findall(r"\[(\d+)\]|([^.\[\]]+)", field):
        index, name = token
        parts.append(int(index) if index else name)
    return parts


def summary(errors: Sequence[ErrorItem]) -> str:
    """A 422's ``detail``: its first problem, and how many more there are."""
    if not errors:
        return "the request is not valid"
    first = errors[0]
    text = f"{first.field}: {first.message}" if first.field else first.message
    more = len(errors) - 1
    return text + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def invalid(errors: Sequence[ErrorItem], *, code: str | None = None) -> ApiError:
    """A 422 listing every problem."""
    return ApiError(422, summary(errors), code=code, errors=errors)


def invalid_field(field: str, message: str, type_: str = "value_error") -> ApiError:
    """A 422 for one field, e.g. ``invalid_field("query.cursor", "is not a cursor ...")``."""
    return invalid([ErrorItem(field=field, message=message, type=type_)])


def error_body(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: Sequence[ErrorItem] = (),
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """The JSON of an :class:`ErrorBody` (for answers built outside FastAPI's handlers)."""
    problems: str | list[dict[str, Any]] = detail
    if status == 422:
        listed = errors or [ErrorItem(field="", message=detail)]
        problems = [{"loc": field_parts(e.field), "msg": e.message, "type": e.type} for e in listed]
    return {
        "detail": problems,
        "message": detail,
        "code": code or DEFAULT_CODES.get(status, "error"),
        "correlation_id": correlation_id or current_correlation_id(),
        "errors": [e.model_dump() for e in errors],
    }


def _item(problem: object) -> ErrorItem:
    """One problem of a legacy-shaped ``detail`` list (FastAPI's ``{loc, msg, type}``)."""
    if isinstance(problem, Mapping):
        if "loc" in problem:
            return ErrorItem(
                field=field_path(problem["loc"]),
                message=str(problem.get("msg", "")),
                type=str(problem.get("type", "value_error")),
            )
        return ErrorItem(
            field=str(problem.get("field") or problem.get("path") or ""),
            message=str(problem.get("message", problem)),
            type=str(problem.get("type", "value_error")),
        )
    return ErrorItem(field="", message=str(problem))


def from_http_exception(error: HTTPException) -> dict[str, Any]:
    if isinstance(error, ApiError):
        return error_body(
            error.status_code, str(error.detail), code=error.code, errors=error.errors
        )
    detail = error.detail
    if isinstance(detail, list):
        items = [_item(p) for p in detail]
        return error_body(error.status_code, summary(items), errors=items)
    if isinstance(detail, Mapping):
        return error_body(
            error.status_code,
            str(detail.get("message", detail)),
            code=str(detail["error"]) if "error" in detail else None,
        )
    return error_body(error.status_code, str(detail))


def validation_items(errors: Sequence[Any]) -> list[ErrorItem]:
    """FastAPI's/pydantic's ``{loc, msg, type}`` problems as :class:`ErrorItem`."""
    return [
        ErrorItem(
            field=field_path(e["loc"]),
            message=str(e["msg"]).removeprefix("Value error, "),
            type=str(e["type"]),
        )
        for e in errors
    ]


def _allowed(request: Request) -> str | None:
    """The methods the OpenAPI document gives the request's path: Starlette names only
    those of the first route matching it, and a path served by several routes (GET and
    POST) allows all of theirs. None for a path the document does not describe."""
    paths = request.app.openapi().get("paths", {})
    candidates = sorted(paths, key=lambda template: template.count("{"))  # literal first
    for template in candidates:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            return ", ".join(sorted(m.upper() for m in paths[template]))
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_: Request, error: ServiceUnavailable) -> JSONResponse:
        return JSONResponse(
            error_body(503, str(error) or "service unavailable"),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        headers = error.headers
        if error.status_code == 400 and error.detail == FASTAPI_UNPARSABLE_BODY:
            # A body that is not JSON is a 422 like every other invalid request.
            error = invalid_field("body", "is not valid JSON", "json_invalid")
        allowed = _allowed(request) if error.status_code == 405 else None
        if allowed:
            headers = {**(headers or {}), "Allow": allowed}
        return JSONResponse(
            from_http_exception(error), status_code=error.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        items = validation_items(error.errors())
        return JSONResponse(error_body(422, summary(items), errors=items), status_code=422)
