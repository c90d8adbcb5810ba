"""One error body for every 4xx and 5xx, whatever raised it, and the documents that say so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.errors import (
    ApiError,
    ErrorBody,
    ErrorItem,
    field_path,
    install_error_handlers,
    invalid,
    responses,
)
from shared.health import install_request_middleware


class Body(BaseModel):
    email: str = Field(min_length=3)
    count: int = Field(ge=1)


def _app() -> FastAPI:
    app = FastAPI()
    install_request_middleware(app, max_body_bytes=1000)
    install_error_handlers(app)
    router = APIRouter()

    @router.post("/things")
    async def create(body: Body) -> dict[str, Any]:
        return body.model_dump()

    @router.get("/things")
    async def things() -> list[Any]:
        return []

    @router.get("/things/{tid}", responses=responses(404))
    async def thing(tid: str) -> dict[str, Any]:
        raise ApiError(404, f"thing {tid!r} not found")

    @router.get("/legacy/{shape}")
    async def legacy(shape: str) -> None:
        raise HTTPException(422, LEGACY[shape])

    @router.get("/batch")
    async def batch() -> None:
        raise invalid([ErrorItem(field="body.items[3].email", message="not an email")])

    app.include_router(router, responses=responses(401, 403, 413, 422))
    return app


LEGACY: dict[str, Any] = {
    "fastapi": [{"loc": ["query", "cursor"], "msg": "bad cursor", "type": "value_error"}],
    "items": [{"index": 3, "field": "body.items[3].email", "message": "not an email"}],
    "rules": [{"path": "body.rules.rules[0].value", "message": "not a number"}],
    "text": "plain words",
}


def _assert_one_shape(body: dict[str, Any]) -> ErrorBody:
    assert set(body) == {"detail", "message", "code", "correlation_id", "errors"}, body
    return ErrorBody.model_validate(body)


def test_field_paths_read_like_the_body() -> None:
    assert field_path(("body", "items", 3, "email")) == "body.items[3].email"
    assert field_path(("query", "cursor")) == "query.cursor"
    assert field_path(("body",)) == "body"


def test_a_validation_error_lists_each_problem_with_its_field() -> None:
    with TestClient(_app()) as client:
        response = client.post("/things", json={"email": "x", "count": 0})
    assert response.status_code == 422
    body = _assert_one_shape(response.json())
    assert body.code == "validation_error"
    assert [e.field for e in body.errors] == ["body.email", "body.count"]
    assert body.message == f"body.email: {body.errors[0].message} (and 1 more problem)"
    # ``detail`` keeps FastAPI's list, as ARCHITECTURE.md promises.
    assert isinstance(body.detail, list)
    assert [(p.loc, p.msg) for p in body.detail] == [
        (["body", "email"], body.errors[0].message),
        (["body", "count"], body.errors[1].message),
    ]


@pytest.mark.parametrize("shape", sorted(LEGACY))
def test_any_shape_an_http_exception_carries_leaves_as_the_one_body(shape: str) -> None:
    with TestClient(_app()) as client:
        response = client.get(f"/legacy/{shape}")
    body = _assert_one_shape(response.json())
    if shape == "text":
        assert (body.message, body.errors) == ("plain words", [])
        assert isinstance(body.detail, list) and body.detail[0].msg == "plain words"
    else:
        assert len(body.errors) == 1 and body.errors[0].field.startswith(("body.", "query."))


def test_not_found_unparsable_too_large_and_unknown_method_share_the_body() -> None:
    with TestClient(_app()) as client:
        missing = client.get("/things/7")
        garbage = client.post(
            "/things", content=b"\xff{", headers={"content-type": "application/json"}
        )
        large = client.post("/things", content=b"x" * 1001)
        method = client.delete("/things")
    assert missing.status_code == 404 and _assert_one_shape(missing.json()).code == "not_found"
    assert garbage.status_code == 422
    assert _assert_one_shape(garbage.json()).errors[0].field == "body"
    assert large.status_code == 413 and _assert_one_shape(large.json()).code == "body_too_large"
    assert method.status_code == 405 and _assert_one_shape(method.json())
    # Both routes of the path, not only the first Starlette tried.
    assert method.headers["allow"] == "GET, POST"


def test_the_openapi_document_gives_every_error_status_the_error_body() -> None:
    document = _app().openapi()
    ref = "#/components/schemas/ErrorBody"
    operation = document["paths"]["/things/{tid}"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "413", "422"}
    for status in ("401", "403", "404", "413", "422"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": ref}, (status, schema)
    assert "HTTPValidationError" not in document["components"]["schemas"]
