"""The edge refuses what the stores cannot hold: times, ids, cursors, correlation ids, sizes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from shared.errors import install_error_handlers
from shared.health import install_request_middleware
from shared.pagination import (
    CURSOR_PATTERN,
    TEXT_CURSOR_PATTERN,
    decode_cursor,
    decode_text_cursor,
    encode_cursor,
    encode_text_cursor,
)
from shared.validation import UtcTime, parse_int_id, valid_correlation_id

TIMES = TypeAdapter(UtcTime)


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+05:30",
        "9999-12-31T23:59:59-05:00",
        "1899-12-31T00:00:00Z",
        "2200-01-02",
    ],
)
def test_times_outside_the_range_are_a_validation_error_not_an_overflow(raw: str) -> None:
    with pytest.raises(ValidationError, match="between 1900-01-01 and 2200-01-01"):
        TIMES.validate_python(raw)


def test_times_are_utc() -> None:
    assert TIMES.validate_python("2026-11-01T10:00:00+05:30") == datetime(
        2026, 11, 1, 4, 30, tzinfo=UTC
    )
    assert TIMES.validate_python("2026-11-01T10:00:00").tzinfo is UTC


@pytest.mark.parametrize("raw", ["²", "%C2%B2", "0", "-1", "1" * 5000, "١٢", "12a", ""])
def test_ids_are_strict_ascii_digits(raw: str) -> None:
    assert parse_int_id(raw) is None


def test_ids_parse() -> None:
    assert parse_int_id("42") == 42


@pytest.mark.parametrize(
    "value,ok", [("a" * 64, True), ("a" * 65, False), ("req-1:2.3_x", True), ("a b", False)]
)
def test_correlation_ids(value: str, ok: bool) -> None:
    assert valid_correlation_id(value) is ok


def test_cursors_round_trip_and_every_value_of_the_pattern_is_a_position() -> None:
    assert decode_cursor(encode_cursor(7)) == 7
    assert decode_cursor("9" * 18) == 10**18 - 1
    assert decode_cursor("99", maximum=50) == 50  # past the last key: the same place
    assert decode_text_cursor(encode_text_cursor("café-1")) == "café-1"
    assert decode_text_cursor("ff") == "\ufffd"  # not UTF-8: still a place in the order
    for wrong in ("9" * 19, "0", "-5", "!!!", "x" * 5000, "²"):
        with pytest.raises(HTTPException) as raised:
            decode_cursor(wrong)
        assert raised.value.status_code == 422
    cases: tuple[tuple[str, list[str], list[str]], ...] = (
        (CURSOR_PATTERN, ["1", "9" * 18], ["0", "01", "9" * 19, "-1", "1a"]),
        (TEXT_CURSOR_PATTERN, ["00", "ab" * 256], ["", "a", "AB", "ab" * 257]),
    )
    for pattern, good, bad in cases:
        assert all(re.fullmatch(pattern, v) for v in good)
        assert not any(re.fullmatch(pattern, v) for v in bad)


def _app() -> FastAPI:
    app = FastAPI()
    install_request_middleware(app, max_body_bytes=1000)
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/boom")
    async def boom() -> None:
        raise OverflowError("unexpected")

    return app


def test_a_long_correlation_id_is_a_422_naming_the_header() -> None:
    with TestClient(_app()) as client:
        response = client.post("/echo", content=b"{}", headers={"X-Correlation-ID": "x" * 100})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "header.X-Correlation-ID"
    assert body["code"] == "validation_error" and body["message"].startswith("header.")
    assert body["detail"][0]["loc"] == ["header", "X-Correlation-ID"]
    assert body["correlation_id"] == response.headers["x-correlation-id"]


def test_bodies_over_the_limit_are_413_declared_or_streamed() -> None:
    with TestClient(_app()) as client:
        declared = client.post("/echo", content=b"x" * 1001)
        streamed = client.post("/echo", content=iter([b"x" * 600, b"x" * 600]))
        fits = client.post("/echo", content=b"x" * 1000)
    assert declared.status_code == 413 and declared.json()["correlation_id"]
    assert streamed.status_code == 413 and streamed.json()["correlation_id"]
    assert fits.json() == {"size": 1000}


def test_errors_carry_the_correlation_id() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        missing = client.get("/nowhere", headers={"X-Correlation-ID": "abc"})
        boom = client.get("/boom", headers={"X-Correlation-ID": "def"})
    assert missing.status_code == 404 and missing.json()["correlation_id"] == "abc"
    assert boom.status_code == 500 and boom.json() == {
        "detail": "internal error",
        "message": "internal error",
        "code": "internal_error",
        "correlation_id": "def",
        "errors": [],
    }
