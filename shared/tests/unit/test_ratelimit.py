"""Rate limits per client IP (issue 25): who the client is behind proxies, the limit itself."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from shared.auth.ratelimit import RateLimit, client_ip, networks
from shared.errors import ApiError

TRUSTED = networks("127.0.0.0/8,10.0.0.0/8")


def request(peer: str, forwarded: str | None = None) -> Request:
    headers: list[tuple[bytes, bytes]] = []
    if forwarded is not None:
        headers.append((b"x-forwarded-for", forwarded.encode()))
    scope: dict[str, Any] = {"type": "http", "client": (peer, 1234), "headers": headers}
    return Request(scope)


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_ip(request("203.0.113.7"), TRUSTED) == "203.0.113.7"
    # An untrusted peer cannot name someone else.
    assert client_ip(request("203.0.113.7", "198.51.100.1"), TRUSTED) == "203.0.113.7"
    # Behind nginx (10.x) which appended what it saw: the right-most untrusted hop, so a
    # client's own forged X-Forwarded-For ("1.2.3.4, ") is ignored.
    assert client_ip(request("10.0.0.5", "1.2.3.4, 198.51.100.1"), TRUSTED) == "198.51.100.1"
    assert client_ip(request("10.0.0.5", "198.51.100.1, 10.0.0.9"), TRUSTED) == "198.51.100.1"
    assert client_ip(request("127.0.0.1"), TRUSTED) == "127.0.0.1"
    assert client_ip(request("127.0.0.1", "garbage"), TRUSTED) == "garbage"


def test_a_limit_refuses_with_a_retry_after_then_others_go_on() -> None:
    limit = RateLimit("sign-in", "2/minute", TRUSTED)
    assert limit.hit("a") is None and limit.hit("a") is None
    wait = limit.hit("a")
    assert wait is not None and 1 <= wait <= 60
    assert limit.retry_after("a") is not None and limit.retry_after("b") is None
    assert limit.hit("b") is None
    with pytest.raises(ApiError) as refused:
        limit.check(request("198.51.100.3"))
        limit.check(request("198.51.100.3"))
        limit.check(request("198.51.100.3"))
    assert refused.value.status_code == 429
    assert refused.value.headers is not None and int(refused.value.headers["Retry-After"]) >= 1


def test_an_empty_rate_is_off() -> None:
    limit = RateLimit("sign-in", "", TRUSTED)
    for _ in range(100):
        limit.check(request("198.51.100.4"))
