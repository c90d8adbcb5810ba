"""Throwaway MariaDB and RabbitMQ containers for the integration tests (testcontainers).

Two image sources (``BEACON_TEST_IMAGES``, see ``images.py``):

``local`` (default)
    Images built here from Debian's packages. The engine runs without a bridge or iptables
    (``deploy/scripts/dockerd.sh``), so the containers use host networking and each listens on
    127.0.0.1 on a port picked free here, never 3306/5672/4369/25672 (the machine's own MariaDB
    and RabbitMQ). MariaDB: user ``beacon``/``beacon`` with every privilege, matching a client on
    127.0.0.1. RabbitMQ: ``guest``/``guest`` from loopback, node ``rabbit@localhost`` with its own
    epmd and distribution ports.
``registry``
    The official ``mariadb:10.11`` (root/``beacon``) and ``rabbitmq:3.13-management``
    (``guest``/``guest``, ``loopback_users`` emptied) images with ordinary port mapping, each on
    a host port picked free here, so a restarted broker comes back on the same port.

Readiness is a real login (asyncmy ``SELECT 1``; aio-pika connection and channel) polled until a
deadline (``BEACON_TEST_STARTUP_TIMEOUT``, default 120 s); a container that exits while starting
(e.g. its port was taken meanwhile) is replaced, with new ports, up to three times.
Ryuk is disabled: ``close()`` removes the containers, and containers left by a test process that
died are removed at the next start (they carry the owner's pid and host name as labels).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import WaitStrategy, WaitStrategyTarget

from .engine import Engine, client_environment
from .errors import BackendError
from .images import LOCAL, ImageSet
from .probes import mariadb_answers, rabbitmq_answers

testcontainers_config.ryuk_disabled = True

LOG = logging.getLogger("beacon.tests.backends")

KIND = "containers"
LABEL = "org.beacon.test"
LABEL_PID = "org.beacon.test.pid"
LABEL_HOST = "org.beacon.test.host"
LOOPBACK = "127.0.0.1"
LOCAL_DB_USER = "beacon"
LOCAL_DB_PASSWORD = "beacon"
REGISTRY_DB_PASSWORD = "beacon"
AMQP_USER = "guest"
AMQP_PASSWORD = "guest"
PORT_RANGE = (20000, 32767)  # below Linux's ephemeral range (32768-60999 by default)
RESERVED_PORTS = frozenset({3306, 4369, 5672, 15672, 25672})
START_ATTEMPTS = 3
POLL_INTERVAL_S = 0.25
STOP_TIMEOUT_S = 30

_handed_out: set[int] = set()


def startup_timeout_s() -> float:
    """Deadline for a container to answer, from ``BEACON_TEST_STARTUP_TIMEOUT`` (seconds)."""
    return float(os.environ.get("BEACON_TEST_STARTUP_TIMEOUT") or 120)


def _bindable(port: int) -> bool:
    attempts: list[tuple[socket.AddressFamily, str]] = [(socket.AF_INET, "0.0.0.0")]
    if socket.has_ipv6:
        attempts.append((socket.AF_INET6, "::"))
    for family, address in attempts:
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((address, port))
        except OSError as exc:
            if family == socket.AF_INET6 and exc.errno in {97, 99}:  # no IPv6 here
                continue
            return False
    return True


def free_port() -> int:
    """A TCP port free on every address of this host, outside the ephemeral range."""
    for _ in range(500):
        port = random.randint(*PORT_RANGE)
        if port in RESERVED_PORTS or port in _handed_out:
            continue
        if _bindable(port):
            _handed_out.add(port)
            return port
    raise BackendError(f"no free TCP port found in {PORT_RANGE}")


class ContainerExited(BackendError):
    """The container stopped while we waited for it to answer."""


class ProbeWaitStrategy(WaitStrategy):
    """Wait until ``probe(host)`` succeeds, polling until a deadline; fail fast if it exits."""

    def __init__(self, what: str, probe: Callable[[str], None], host: str | None) -> None:
        super().__init__()
        self._what = what
        self._probe = probe
        self._host = host
        self._startup_timeout = startup_timeout_s()
        self._poll_interval = POLL_INTERVAL_S

    def host(self, container: WaitStrategyTarget) -> str:
        """The address to reach the service at (fixed, or the container's host IP)."""
        return self._host or container.get_container_host_ip()

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        started = time.monotonic()
        deadline = started + self._startup_timeout
        host = self.host(container)
        last_error: BaseException | None = None
        while True:
            container.reload()
            if container.status in {"exited", "dead"}:
                raise ContainerExited(
                    f"{self._what} container exited while starting; its log ends with:\n"
                    f"{_log_tail(container)}"
                )
            try:
                self._probe(host)
            except Exception as exc:  # noqa: BLE001 - any failure: not ready yet
                last_error = exc
            else:
                LOG.info("%s answers after %.1f s", self._what, time.monotonic() - started)
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{self._what} did not answer within {self._startup_timeout:.0f} s "
                    f"(last error: {last_error!r}); its log ends with:\n{_log_tail(container)}"
                )
            time.sleep(self._poll_interval)


def _log_tail(container: WaitStrategyTarget, lines: int = 40) -> str:
    try:
        out, err = container.get_logs()
    except Exception as exc:  # noqa: BLE001
        return f"(no log: {exc!r})"
    text = (out + err).decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Service:
    """One started container, how to tell it answers, and its URL."""

    what: str
    container: DockerContainer
    strategy: ProbeWaitStrategy
    url_for_host: Callable[[str], str]

    @property
    def wrapped(self) -> Any:
        return self.container.get_wrapped_container()

    def url(self) -> str:
        return self.url_for_host(self.strategy.host(self.container))

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.container.stop(force=True, delete_volume=True)


def _labels() -> dict[str, str]:
    return {LABEL: "1", LABEL_PID: str(os.getpid()), LABEL_HOST: socket.gethostname()}


def _name(what: str) -> str:
    return f"beacon-test-{what}-{os.getpid()}-{random.randrange(16**6):06x}"


def make_mariadb(engine: Engine, images: ImageSet) -> Service:
    """A MariaDB container (not started yet) on a fresh free port."""
    port = free_port()
    container = DockerContainer(images.mariadb, docker_client_kw=engine.client_kw())
    container.with_name(_name("mariadb"))
    host: str | None
    if images.source == LOCAL:
        user, password, host = LOCAL_DB_USER, LOCAL_DB_PASSWORD, LOOPBACK
        container.with_envs(MARIADB_PORT=str(port), MARIADB_USER=user, MARIADB_PASSWORD=password)
        container.with_kwargs(network="host", labels=_labels())
    else:
        user, password, host = "root", REGISTRY_DB_PASSWORD, None
        container.with_env("MARIADB_ROOT_PASSWORD", password).with_bind_ports(3306, port)
        container.with_command(
            [
                "--character-set-server=utf8mb4",
                "--skip-name-resolve",
                # As the local image and compose (docs/operations.md, "Big campaigns").
                "--innodb-buffer-pool-size=1G",
            ]
        )
        container.with_kwargs(labels=_labels())
    strategy = ProbeWaitStrategy(
        "MariaDB", lambda h: mariadb_answers(h, port, user, password), host
    )
    container.waiting_for(strategy)
    return Service(
        "MariaDB", container, strategy, lambda h: f"mysql+asyncmy://{user}:{password}@{h}:{port}"
    )


def make_rabbitmq(engine: Engine, images: ImageSet) -> Service:
    """A RabbitMQ container (not started yet) on a fresh free port."""
    port = free_port()
    container = DockerContainer(images.rabbitmq, docker_client_kw=engine.client_kw())
    container.with_name(_name("rabbitmq"))
    host: str | None
    if images.source == LOCAL:
        host = LOOPBACK
        container.with_envs(
            RABBITMQ_NODE_PORT=str(port),
            ERL_EPMD_PORT=str(free_port()),
            RABBITMQ_DIST_PORT=str(free_port()),
            RABBITMQ_NODENAME="rabbit@localhost",
        ).with_kwargs(network="host", labels=_labels())
    else:
        host = None
        container.with_env(
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-rabbit loopback_users []"
        ).with_bind_ports(5672, port)
        container.with_kwargs(labels=_labels())

    def url(h: str) -> str:
        return f"amqp://{AMQP_USER}:{AMQP_PASSWORD}@{h}:{port}/"

    strategy = ProbeWaitStrategy("RabbitMQ", lambda h: rabbitmq_answers(url(h)), host)
    container.waiting_for(strategy)
    return Service("RabbitMQ", container, strategy, url)


def start_service(make: Callable[[], Service]) -> Service:
    """Start a container and wait until it answers; retry with new ports if it exits early."""
    last: ContainerExited | None = None
    for attempt in range(1, START_ATTEMPTS + 1):
        service = make()
        try:
            service.container.start()
            return service
        except ContainerExited as exc:
            LOG.warning("%s attempt %d/%d: %s", service.what, attempt, START_ATTEMPTS, exc)
            last = exc
            service.remove()
        except BaseException:
            service.remove()
            raise
    raise BackendError(f"could not start a container after {START_ATTEMPTS} attempts") from last


def remove_stale_containers(engine: Engine) -> None:
    """Remove test containers left by test processes of this host that no longer exist."""
    client = docker.from_env(environment=client_environment(engine.docker_host))
    try:
        for container in client.containers.list(all=True, filters={"label": LABEL}):
            labels = container.labels or {}
            if labels.get(LABEL_HOST) != socket.gethostname():
                continue
            try:
                pid = int(labels.get(LABEL_PID, ""))
            except ValueError:
                continue
            if pid == os.getpid() or _pid_alive(pid):
                continue
            LOG.info("removing %s left by dead test process %d", container.name, pid)
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
    finally:
        client.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ContainerController:
    """Fault injection on, and clean-up of, the two containers (and the engine if ours)."""

    kind = KIND

    def __init__(self, engine: Engine, db: Service, broker: Service) -> None:
        self.engine = engine
        self.db = db
        self.broker = broker
        self._closed = False

    def stop_broker(self) -> None:
        """``docker stop`` the RabbitMQ container (kept, with its data, for start_broker)."""
        self._check_open()
        self.broker.wrapped.stop(timeout=STOP_TIMEOUT_S)
        self.broker.wrapped.reload()

    def start_broker(self) -> None:
        """``docker start`` the same RabbitMQ container (same port, users and durable data)."""
        self._check_open()
        self.broker.wrapped.reload()
        if self.broker.wrapped.status != "running":
            self.broker.wrapped.start()
        self.broker.strategy.wait_until_ready(self.broker.container)

    def pause_db(self) -> None:
        """``docker pause`` the MariaDB container: connections hang until unpause."""
        self._check_open()
        self.db.wrapped.pause()

    def unpause_db(self) -> None:
        """``docker unpause`` the MariaDB container and wait until it answers again."""
        self._check_open()
        self.db.wrapped.unpause()
        self.db.strategy.wait_until_ready(self.db.container)

    def stop_db(self) -> None:
        """``docker stop`` the MariaDB container (SIGTERM: a clean shutdown; data kept)."""
        self._check_open()
        self.db.wrapped.stop(timeout=STOP_TIMEOUT_S)
        self.db.wrapped.reload()

    def start_db(self) -> None:
        """``docker start`` the same MariaDB container (same port, users and data) and wait
        until it answers again."""
        self._check_open()
        self.db.wrapped.reload()
        if self.db.wrapped.status != "running":
            self.db.wrapped.start()
        self.db.strategy.wait_until_ready(self.db.container)

    def close(self) -> None:
        """Remove both containers, then stop the engine if it was started for these tests."""
        if self._closed:
            return
        self._closed = True
        for service in (self.broker, self.db):
            service.remove()
        self.engine.release()

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("these backends are closed")


def start_containers(engine: Engine, images: ImageSet) -> ContainerController:
    """Start MariaDB and RabbitMQ side by side and wait until both answer."""
    with contextlib.suppress(Exception):
        remove_stale_containers(engine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        db_future = pool.submit(start_service, lambda: make_mariadb(engine, images))
        broker_future = pool.submit(start_service, lambda: make_rabbitmq(engine, images))
        concurrent.futures.wait([db_future, broker_future])
    errors = [f.exception() for f in (db_future, broker_future) if f.exception() is not None]
    if errors:
        for future in (db_future, broker_future):
            if future.exception() is None:
                future.result().remove()
        first = errors[0]
        raise BackendError(f"starting the test containers failed: {first}") from first
    return ContainerController(engine, db_future.result(), broker_future.result())
