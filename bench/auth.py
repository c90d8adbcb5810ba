"""The bearer token benchmarks and the demo-data loader send: signed on this box with the
same keys the services they start use (configured, or the dev keypair file)."""

from __future__ import annotations

from functools import cache

from shared.auth.tokens import dev_token
from shared.settings import ServiceSettings


@cache
def token(role: str = "admin") -> str:
    return dev_token(ServiceSettings(), "bench@example.com", role, ttl_s=6 * 3600)


def auth_headers(role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role)}"}
