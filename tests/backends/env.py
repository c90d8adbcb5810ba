"""Backends taken from the environment: MariaDB and RabbitMQ that are already running.

``BEACON_MYSQL_URL`` (default ``mysql+asyncmy://root@127.0.0.1:3306``) and ``BEACON_AMQP_URL``
(default ``amqp://guest:guest@127.0.0.1:5672/``). Nothing is started or stopped, so faults
(broker stop, DB pause) cannot be injected: those methods raise ``FaultInjectionUnsupported``,
which pytest reports as a skip.
"""

from __future__ import annotations

import os

from .errors import FaultInjectionUnsupported

DEFAULT_MYSQL_URL = "mysql+asyncmy://root@127.0.0.1:3306"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
KIND = "env"


class EnvController:
    """Controller of the ``env`` backends: no fault injection, nothing to close."""

    kind = KIND

    def stop_broker(self) -> None:
        raise FaultInjectionUnsupported("stopping the broker", KIND)

    def start_broker(self) -> None:
        raise FaultInjectionUnsupported("starting the broker", KIND)

    def pause_db(self) -> None:
        raise FaultInjectionUnsupported("pausing the database", KIND)

    def unpause_db(self) -> None:
        raise FaultInjectionUnsupported("unpausing the database", KIND)

    def stop_db(self) -> None:
        raise FaultInjectionUnsupported("stopping the database", KIND)

    def start_db(self) -> None:
        raise FaultInjectionUnsupported("starting the database", KIND)

    def close(self) -> None:
        return None


def env_urls() -> tuple[str, str]:
    """The MariaDB (SQLAlchemy, no database path) and AMQP URLs from the environment."""
    mysql_url = os.environ.get("BEACON_MYSQL_URL") or DEFAULT_MYSQL_URL
    amqp_url = os.environ.get("BEACON_AMQP_URL") or DEFAULT_AMQP_URL
    return mysql_url, amqp_url
