"""Where Beacon is and who the CLI is, from the environment (``BEACON_`` prefix) or options.

Each service has its own base URL (defaults: the ports of ``make up``). ``BEACON_URL`` (or
``--url``) replaces them all with one origin that routes by path, such as the dashboard's
http://127.0.0.1:8080 which proxies every ``/api/*`` route: every route starts with a
prefix only one service uses, so one origin is enough.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEACON_", extra="ignore")

    url: str | None = None  # one origin for every service (the dashboard proxies them all)
    ingest_url: str = "http://127.0.0.1:8001"
    segments_url: str = "http://127.0.0.1:8002"
    campaigns_url: str = "http://127.0.0.1:8003"
    delivery_url: str = "http://127.0.0.1:8004"
    stats_url: str = "http://127.0.0.1:8005"
    api_key: str | None = None  # sent as X-API-Key
    token: str | None = None  # a sign-in access token, sent as Authorization: Bearer
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    namespace: str = ""
    timeout_s: float = 60.0
    # The shop's zone: times without an offset in an imported file are read in it.
    timezone: str = "Asia/Kolkata"

    def base_url(self, service: str) -> str:
        if self.url:
            return self.url.rstrip("/")
        return str(getattr(self, f"{service}_url")).rstrip("/")

    def auth_headers(self) -> dict[str, str]:
        if self.api_key:
            return {"X-API-Key": self.api_key}
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def amqp_name(self, name: str) -> str:
        """A queue or exchange name as the services declare it (namespace-prefixed)."""
        return f"{self.namespace}.{name}" if self.namespace else name
