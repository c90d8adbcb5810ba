"""Settings shared by every service, read from the environment with the ``BEACON_`` prefix."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


def schema_url(mysql_url: str, schema: str) -> str:
    """The URL of one schema on the server of ``mysql_url`` (the server itself for "")."""
    return f"{mysql_url.rstrip('/')}/{schema}"


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
    # "production" turns on the guards: no dev secrets, no dev sign-in.
    env: str = "development"
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

    @property
    def production(self) -> bool:
        return self.env.lower() in ("production", "prod")

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
    auth_google_client_id: str = ""
    auth_google_certs_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    auth_allowed_domains: str = ""  # comma-separated Workspace domains (the ``hd`` claim)
    auth_allowed_emails: str = ""  # comma-separated single addresses
    auth_admin_emails: str = ""  # comma-separated; these sign in as admin
    auth_default_role: str = "marketer"  # role of a new user who is neither first nor admin
    auth_key_pepper: str = ""  # HMAC secret for API key hashes (same on every service)
    auth_key_cache_s: float = 2.0  # how long a replica trusts a key lookup (revocation lag)

    def schema_name(self, service: str) -> str:
        """The MySQL schema a service owns, e.g. ``beacon_ingest``."""
        base = f"beacon_{service}"
        return f"{self.namespace}_{base}" if self.namespace else base

    def amqp_name(self, name: str) -> str:
        """An exchange or queue name, prefixed by the namespace when one is set."""
        return f"{self.namespace}.{name}" if self.namespace else name
