"""Settings shared by every service, read from the environment with the ``BEACON_`` prefix."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# The only values ``BEACON_ENV`` may take, spelled exactly so: anything else (``prod``,
# ``'production '``, ``staging``, an empty string) or no value at all refuses to start, so
# a typo can never turn the production guards off (fail closed).
#   development: one's own box; dev sign-in (no Google client id), dev keys and secrets.
#   test:        automated tests and CI; dev keys and secrets, no dev sign-in route.
#   production:  every guard on (see docs/security.md).
ENVIRONMENTS = ("development", "test", "production")
# Shortest secret production accepts (bytes): a key pepper, the vendor's signing secret.
MIN_SECRET_BYTES = 32


class ConfigurationError(RuntimeError):
    """Settings that must not be served with (the process refuses to start)."""


def check_env(value: Any) -> str | None:
    """``BEACON_ENV`` exactly as one of :data:`ENVIRONMENTS` (None: not set), or a clear
    refusal. A service refuses to start unset too (:meth:`ServiceSettings.require_env`);
    tools that only read a URL from the settings do not need it."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in ENVIRONMENTS:
        raise ValueError(
            f"BEACON_ENV={value!r} is not one of {', '.join(ENVIRONMENTS)} (exact spelling, "
            "lower case, no spaces); refusing to start rather than guess"
        )
    return value


def require_secret(settings: ServiceSettings, name: str, value: str) -> None:
    """Production refuses a secret shorter than :data:`MIN_SECRET_BYTES` (or none)."""
    if settings.production and len(value.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"BEACON_ENV=production needs {name} of at least {MIN_SECRET_BYTES} bytes "
            f"(it has {len(value.encode())}); e.g. `openssl rand -base64 48`"
        )


def schema_url(mysql_url: str, schema: str) -> str:
    """The URL of one schema on the server of ``mysql_url`` (the server itself for ""). The
    query is kept where it belongs, after the path: TLS is set there (``?ssl_ca=…``, see
    docs/operations.md), and a schema appended after it would be read as part of it."""
    url = make_url(mysql_url)._replace(database=schema or None)
    return url.render_as_string(hide_password=False)


class ServiceSettings(BaseSettings):
    """The base every service's settings class extends.

    ``namespace`` exists so that several independent copies of Beacon (one per test, say) can
    share one MariaDB and one RabbitMQ: it prefixes every schema, exchange and queue name.
    Empty (the default) gives exactly the names of the architecture contract.
    """

    model_config = SettingsConfigDict(env_prefix="BEACON_", extra="ignore")

    mysql_url: str = "mysql+asyncmy://root@127.0.0.1:3306"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    namespace: str = ""
    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    db_pool_size: int = 10
    publish_timeout_s: float = 5.0
    prefetch: int = 16
    outbox_batch: int = 500
    outbox_poll_s: float = 0.2
    # Required, one of ENVIRONMENTS exactly: "production" turns on the guards (no dev
    # secrets, no dev sign-in); dev sign-in needs an explicit "development".
    env: str | None = Field(default=None, validate_default=True)
    # Consumers: in-process attempts at a transient failure (deadlock, database away) before
    # the message goes back to the broker, and how many deliveries the broker allows before
    # it parks the message in the queue's DLQ (quorum queues' x-delivery-limit).
    transient_attempts: int = 6
    delivery_limit: int = 50
    # Batched consumers (shared.batch_consumer): a batch is cut at this many messages or
    # this long after its first, whichever comes first; this many batches are applied at
    # once (more overlap the database's round trips, but contend for the same rows).
    batch_max_messages: int = 64
    batch_max_wait_ms: float = 5.0
    batch_in_flight: int = 2
    # Queues a 202 API publishes into hold at most this many messages; beyond it the
    # broker refuses the publish and the API answers 503 (back-pressure).
    max_queue_length: int = 100_000
    # Request bodies larger than this are refused with 413 before they are read.
    max_body_bytes: int = 1024 * 1024
    # Inbox and published outbox rows older than this are pruned (0 keeps them forever).
    retention_days: float = 14.0
    retention_sweep_s: float = 3600.0
    # Upgrade the schema at start (false where a migration job with its own user does it
    # and the service's database user has no DDL rights).
    migrate_on_start: bool = True
    # OpenTelemetry traces (shared.tracing): off unless an OTLP/HTTP collector's base URL is
    # set (spans go to <url>/v1/traces, as service beacon-<service>).
    otel_exporter_otlp_endpoint: str = ""

    @field_validator("env", mode="before")
    @classmethod
    def _strict_env(cls, value: Any) -> str | None:
        return check_env(value)

    def require_env(self) -> str:
        """What a service checks as it starts: ``BEACON_ENV`` must be set (fail closed)."""
        if self.env is None:
            raise ConfigurationError(
                f"BEACON_ENV is not set: set it to one of {', '.join(ENVIRONMENTS)} "
                "(`make up`, `make token` and the tests set development)"
            )
        return self.env

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def development(self) -> bool:
        """Only an explicit ``BEACON_ENV=development`` (dev sign-in, ``make token``)."""
        return self.env == "development"

    # Sign-in and API keys (see docs/security.md); production refuses dev sign-in, the dev
    # keypair and a missing pepper.
    ui_origin: str = "http://127.0.0.1:8080"  # the one origin CORS allows
    auth_signing_key: str = ""  # Ed25519 private key PEM (campaigns, the issuer)
    auth_public_keys: str = ""  # PEM public key(s) that verify tokens (several while rotating)
    auth_dev_key_file: str = ""  # dev/test keypair file; default .run/auth/dev-ed25519.pem
    auth_issuer: str = "beacon"
    auth_audience: str = "beacon-api"
    auth_access_ttl_s: int = 900
    auth_refresh_ttl_s: int = 30 * 24 * 3600
    # A session ends this long after its sign-in however often it is refreshed (then sign in
    # again); each refresh also asks the allow-list and the admin list again.
    auth_session_max_s: int = 30 * 24 * 3600
    auth_google_client_id: str = ""
    auth_google_certs_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    auth_allowed_domains: str = ""  # comma-separated Workspace domains (the ``hd`` claim)
    auth_allowed_emails: str = ""  # comma-separated single addresses
    auth_admin_emails: str = ""  # comma-separated; these sign in as admin
    auth_default_role: str = "marketer"  # role of a new user who is neither first nor admin
    auth_key_pepper: str = ""  # HMAC secret for API key hashes (same on every service)
    auth_key_cache_s: float = 2.0  # how long a replica trusts a key lookup (revocation lag)
    # Per client IP and process (shared.auth.ratelimit): sign-in, refresh and sign-out calls,
    # and failed API key lookups, beyond these answer 429 with Retry-After ("" turns one off).
    auth_rate_limit: str = "10/second;60/minute"
    auth_key_failure_limit: str = "30/minute"
    # Proxies whose X-Forwarded-For names the client (nginx, the ingress, the preview server).
    trusted_proxies: str = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"

    def schema_name(self, service: str) -> str:
        """The MySQL schema a service owns, e.g. ``beacon_ingest``."""
        base = f"beacon_{service}"
        return f"{self.namespace}_{base}" if self.namespace else base

    def amqp_name(self, name: str) -> str:
        """An exchange or queue name, prefixed by the namespace when one is set."""
        return f"{self.namespace}.{name}" if self.namespace else name
