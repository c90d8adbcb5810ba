"""Finding (or starting) the Docker engine the test containers run on.

Order: the engine named by ``DOCKER_HOST`` (or the current docker context), the default socket
``/var/run/docker.sock``, the private engine of ``deploy/scripts/dockerd.sh`` if it is already
running, and last, starting that private engine (only where the ``dockerd`` binary is installed
and we are root).

The private engine is shared between test processes that run at the same time: each holds a
lease (``<run-dir>/leases/<pid>-<id>``) while it uses it. When the tests started the engine (marker
``<run-dir>/started-by-tests``), the last process to release its lease stops it, unless
``BEACON_KEEP_DOCKERD=1``. An engine that was already running otherwise (a developer's, or one
started by hand with ``dockerd.sh start``) is left running.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from testcontainers.core.docker_client import get_docker_host

from .errors import BackendError

LOG = logging.getLogger("beacon.tests.backends")

REPO = Path(__file__).resolve().parents[2]
DOCKERD_SCRIPT = REPO / "deploy" / "scripts" / "dockerd.sh"
DEFAULT_SOCKET_HOST = "unix:///var/run/docker.sock"
SCRIPT_TIMEOUT_S = 180.0
TESTS_MARKER = "started-by-tests"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def client_environment(docker_host: str) -> dict[str, str]:
    """The environment docker-py should read to talk to ``docker_host`` (keeps TLS settings)."""
    return {**os.environ, "DOCKER_HOST": docker_host}


def ping(docker_host: str, timeout_s: float = 5.0) -> bool:
    """True when a Docker engine answers at ``docker_host``."""
    try:
        client = docker.from_env(environment=client_environment(docker_host), timeout=timeout_s)
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False
    finally:
        client.close()


def private_engine_host() -> str:
    """The DOCKER_HOST of the private engine of ``deploy/scripts/dockerd.sh``."""
    return _run_script("host").strip().splitlines()[-1]


def private_run_dir() -> Path:
    """The folder of the private engine's runtime files (pid, socket, leases)."""
    return Path(_run_script("run-dir").strip().splitlines()[-1])


def can_start_private_engine() -> bool:
    """True where ``dockerd.sh start`` can work: dockerd installed, running as root."""
    return shutil.which("dockerd") is not None and os.geteuid() == 0 and DOCKERD_SCRIPT.exists()


def _candidates() -> list[str]:
    hosts: list[str] = []
    configured = get_docker_host()
    if configured:
        hosts.append(configured)
    hosts.append(DEFAULT_SOCKET_HOST)
    if DOCKERD_SCRIPT.exists():
        hosts.append(private_engine_host())
    return list(dict.fromkeys(hosts))


def engine_available() -> bool:
    """True when containers can be had: an engine answers, or ours can be started."""
    return any(ping(host, timeout_s=3.0) for host in _candidates()) or can_start_private_engine()


def _process_start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: start time since boot


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Engine:
    """A Docker engine to run the test containers on."""

    docker_host: str
    lease: Path | None = None  # set for the private engine: our lease on it
    started_here: bool = False  # this process started the private engine

    def client_kw(self) -> dict[str, Any]:
        """Keyword arguments for testcontainers' ``DockerContainer(docker_client_kw=...)``."""
        return {"environment": client_environment(self.docker_host)}

    def release(self) -> None:
        """Give up this process's lease; the last user stops an engine the tests started."""
        if self.lease is None:
            return
        lease, self.lease = self.lease, None
        run_dir = lease.parent.parent
        with _locked(run_dir / "leases.lock"):
            lease.unlink(missing_ok=True)
            if _live_leases(run_dir):
                LOG.info("private dockerd still used by other test processes; leaving it running")
                return
            if not (run_dir / TESTS_MARKER).exists():
                return  # started by hand (or by build-images.sh): not ours to stop
            if _truthy(os.environ.get("BEACON_KEEP_DOCKERD")):
                LOG.info("leaving dockerd running at %s (BEACON_KEEP_DOCKERD)", self.docker_host)
                return
            _run_script("stop")
            LOG.info("stopped the private dockerd")


def _live_leases(run_dir: Path) -> list[Path]:
    live = []
    leases = run_dir / "leases"
    for lease in leases.glob("*") if leases.is_dir() else []:
        try:
            pid = int(lease.name.split("-", 1)[0])
            recorded = lease.read_text().strip()
        except (ValueError, OSError):
            lease.unlink(missing_ok=True)
            continue
        if _process_start_time(pid) == recorded:
            live.append(lease)
        else:
            lease.unlink(missing_ok=True)  # its process is gone
    return live


def _acquire_private(may_start: bool) -> Engine:
    run_dir = private_run_dir()
    with _locked(run_dir / "leases.lock"):
        host = private_engine_host()
        started = False
        if not ping(host):
            if not may_start:
                raise BackendError(f"the private engine at {host} stopped answering")
            host = _run_script("start").strip().splitlines()[-1]
            if not ping(host):
                raise BackendError(f"dockerd.sh start printed {host!r} but no engine answers")
            (run_dir / TESTS_MARKER).write_text(f"{os.getpid()}\n")
            started = True
            LOG.info("started the private Docker engine at %s", host)
        else:
            LOG.info("using the private Docker engine at %s", host)
        leases = run_dir / "leases"
        leases.mkdir(parents=True, exist_ok=True)
        lease = leases / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # one per Backends, not per pid
        lease.write_text(f"{_process_start_time(os.getpid())}\n")
    return Engine(docker_host=host, lease=lease, started_here=started)


def acquire_engine() -> Engine:
    """An engine that answers: an existing one, else the private one, started here."""
    configured = get_docker_host()
    private = private_engine_host() if DOCKERD_SCRIPT.exists() else None
    for host in _candidates():
        if ping(host):
            if host == private:
                return _acquire_private(may_start=can_start_private_engine())
            LOG.info("using the Docker engine at %s", host)
            return Engine(docker_host=host)
        if host == configured:
            LOG.warning("DOCKER_HOST=%s does not answer; looking for another engine", host)
    if not can_start_private_engine():
        raise BackendError(
            "BEACON_TEST_BACKEND=containers needs a Docker engine: none answers "
            f"(tried {', '.join(_candidates())}) and the private one cannot be started "
            "(needs root and dockerd: apt-get install -y docker.io)"
        )
    return _acquire_private(may_start=True)


def _run_script(command: str) -> str:
    try:
        proc = subprocess.run(
            ["bash", str(DOCKERD_SCRIPT), command],
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackendError(
            f"{DOCKERD_SCRIPT} {command} took over {SCRIPT_TIMEOUT_S:.0f} s"
        ) from exc
    if proc.returncode != 0:
        raise BackendError(
            f"{DOCKERD_SCRIPT} {command} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    return proc.stdout
