"""MariaDB and RabbitMQ for Beacon's integration tests: throwaway containers, or the environment.

``start_backends()`` picks the backends from ``BEACON_TEST_BACKEND``:

``containers``
    Fresh MariaDB and RabbitMQ containers (testcontainers). The Docker engine is the one named by
    ``DOCKER_HOST`` (or the default socket) when it answers, else the private engine of
    ``deploy/scripts/dockerd.sh``, started here and stopped again by ``close()``. Images come from
    ``BEACON_TEST_IMAGES``: ``local`` (default; built here from Debian's packages by
    ``deploy/scripts/build-images.sh``, cached by a hash of their inputs) or ``registry``
    (official images). Any failure raises ``BackendError``: never a silent skip.
``env``
    Servers already running, from ``BEACON_MYSQL_URL`` and ``BEACON_AMQP_URL``. Fault injection
    raises ``FaultInjectionUnsupported`` (pytest's skip exception).
``auto`` (default)
    ``containers`` when an engine answers or the ``dockerd`` binary is installed (as root), else
    ``env``.

Usage (e.g. from a session-scoped fixture)::

    backends = start_backends()
    try:
        ...  # backends.mysql_url, backends.amqp_url, backends.stop_broker(), restart_db(), ...
    finally:
        backends.close()
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Protocol

from .errors import BackendError, FaultInjectionUnsupported

__all__ = [
    "BackendError",
    "Backends",
    "FaultInjectionUnsupported",
    "selected_backend",
    "start_backends",
]

LOG = logging.getLogger("beacon.tests.backends")


class Controller(Protocol):
    """What a kind of backends does for fault injection and clean-up."""

    def stop_broker(self) -> None: ...
    def start_broker(self) -> None: ...
    def pause_db(self) -> None: ...
    def unpause_db(self) -> None: ...
    def stop_db(self) -> None: ...
    def start_db(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class Backends:
    """Where the tests' MariaDB and RabbitMQ are, and the faults that can be injected into them."""

    mysql_url: str  # "mysql+asyncmy://user:password@127.0.0.1:PORT" (no database path)
    amqp_url: str  # "amqp://guest:guest@127.0.0.1:PORT/"
    kind: str  # "containers" or "env"
    controller: Controller | None = field(default=None, repr=False, compare=False)
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # seconds, by step

    def _control(self) -> Controller:
        if self.controller is None:
            raise FaultInjectionUnsupported("fault injection", self.kind)
        return self.controller

    def stop_broker(self) -> None:
        """Stop the RabbitMQ container (containers only; raises FaultInjectionUnsupported else)."""
        self._control().stop_broker()

    def start_broker(self) -> None:
        """Start it again on the same port; returns once it accepts AMQP connections."""
        self._control().start_broker()

    def pause_db(self) -> None:
        """``docker pause`` the MariaDB container."""
        self._control().pause_db()

    def unpause_db(self) -> None:
        """``docker unpause`` the MariaDB container; returns once it answers again."""
        self._control().unpause_db()

    def stop_db(self) -> None:
        """``docker stop`` the MariaDB container: connections are refused until start_db."""
        self._control().stop_db()

    def start_db(self) -> None:
        """Start it again on the same port with its data; returns once it answers."""
        self._control().start_db()

    def restart_db(self) -> None:
        """Stop and start MariaDB (a real server restart, not a pause)."""
        self.stop_db()
        self.start_db()

    def restart_broker(self) -> None:
        """Stop and start RabbitMQ (durable queues and persistent messages survive)."""
        self.stop_broker()
        self.start_broker()

    def close(self) -> None:
        """Remove the containers (and stop dockerd if it was started for them). Idempotent."""
        if self.controller is not None:
            self.controller.close()


def selected_backend() -> str:
    """``containers`` or ``env``, as ``BEACON_TEST_BACKEND`` (default ``auto``) decides."""
    choice = (os.environ.get("BEACON_TEST_BACKEND") or "auto").strip().lower()
    if choice in {"containers", "env"}:
        return choice
    if choice != "auto":
        raise BackendError(
            f"BEACON_TEST_BACKEND must be 'containers', 'env' or 'auto', not {choice!r}"
        )
    from .engine import engine_available

    return "containers" if engine_available() else "env"


def start_backends() -> Backends:
    """Start (or find) MariaDB and RabbitMQ for the tests; see the module docstring."""
    kind = selected_backend()
    if kind == "env":
        from .env import EnvController, env_urls

        mysql_url, amqp_url = env_urls()
        LOG.info("test backends from the environment: %s, %s", mysql_url, amqp_url)
        return Backends(mysql_url, amqp_url, "env", EnvController())
    return _start_containers()


def _start_containers() -> Backends:
    from .containers import KIND, start_containers
    from .engine import acquire_engine
    from .images import ensure_images

    timings: dict[str, float] = {}
    began = time.monotonic()
    engine = acquire_engine()
    timings["engine"] = time.monotonic() - began
    try:
        step = time.monotonic()
        images = ensure_images(engine)
        timings["images"] = time.monotonic() - step
        step = time.monotonic()
        controller = start_containers(engine, images)
        timings["containers"] = time.monotonic() - step
    except BaseException:
        engine.release()
        raise
    timings["total"] = time.monotonic() - began
    backends = Backends(
        mysql_url=controller.db.url(),
        amqp_url=controller.broker.url(),
        kind=KIND,
        controller=controller,
        timings=timings,
    )
    atexit.register(controller.close)  # safety net; close() is idempotent
    LOG.info(
        "test containers ready in %.1f s (%s): %s, %s",
        timings["total"],
        ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total"),
        backends.mysql_url,
        backends.amqp_url,
    )
    return backends
