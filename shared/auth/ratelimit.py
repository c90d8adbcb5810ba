"""Per-client-IP rate limits on sign-in routes and on failed API key lookups (429 with
``Retry-After``), on the ``limits`` library's moving window.

Counts live in each process's memory: a limit holds per replica, so with N replicas behind
a balancer a client gets at most N times it (docs/security.md). ``limits`` can keep them in
Redis or Memcached instead if that ever matters; a guessed 256-bit key or refresh token is
out of reach either way, so the point is to keep floods off the database and Google's keys.

The client is the TCP peer, unless the peer is a trusted proxy (``BEACON_TRUSTED_PROXIES``:
loopback and private networks by default, where nginx, the ingress and the preview server
run): then the right-most address in ``X-Forwarded-For`` that is not itself a trusted
proxy, which a client cannot forge (each proxy appends the address it saw).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Sequence
from functools import cached_property

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from shared.errors import ApiError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(value: str) -> tuple[Network, ...]:
    """``BEACON_TRUSTED_PROXIES``: comma-separated addresses or CIDR blocks."""
    parts = [part.strip() for part in value.split(",") if part.strip()]
    return tuple(ipaddress.ip_network(part, strict=False) for part in parts)


def is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_ip(request: Request, trusted: Sequence[Network]) -> str:
    """The address a request came from, through trusted proxies (see the module doc)."""
    peer = request.client.host if request.client else ""
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not is_trusted(hop, trusted):
            return hop
    return peer


class RateLimit:
    """One limit (e.g. ``"30/minute"``, or several: ``"10/second;60/minute"``) per client IP;
    an empty rate turns it off."""

    def __init__(self, name: str, rate: str, trusted: Sequence[Network]) -> None:
        self.name = name
        self.items: list[RateLimitItem] = parse_many(rate) if rate.strip() else []
        self.trusted = tuple(trusted)

    @cached_property
    def limiter(self) -> MovingWindowRateLimiter:
        return MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None while it is under every limit."""
        waits = []
        for item in self.items:
            if not self.limiter.test(item, self.name, key):
                reset, _ = self.limiter.get_window_stats(item, self.name, key)
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    def hit(self, key: str) -> int | None:
        """Count one attempt of ``key``; the wait if that was one too many."""
        allowed = all([self.limiter.hit(item, self.name, key) for item in self.items])
        return None if allowed else self.retry_after(key) or 1

    def refuse(self, wait: int) -> ApiError:
        return ApiError(
            429,
            f"too many {self.name} attempts from this address; retry in {wait} s",
            code="rate_limited",
            headers={"Retry-After": str(wait)},
        )

    def check(self, request: Request) -> None:
        """Count this request; raise 429 when it is over the limit."""
        if not self.items:
            return
        wait = self.hit(client_ip(request, self.trusted))
        if wait is not None:
            raise self.refuse(wait)
