"""CPU and memory meters: where the time goes on a shared 2-core machine.

* :class:`CpuMeter`: CPU seconds per role (service processes, MariaDB, RabbitMQ, the bench
  client) between marks, and ``other``: every other process on the machine;
* :class:`MachineMeter`: cores busy on the whole machine since it was made;
* :class:`RssSampler`: peak resident memory per role, sampled on a thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psutil

from bench.harness.machine import machine_busy_s


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port (MariaDB, RabbitMQ), when visible."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                return conn.pid
    except psutil.AccessDenied:
        return None
    return None


def server_roles(mysql_port: int = 3306, amqp_port: int = 5672) -> dict[str, list[int]]:
    """``mariadb`` and ``rabbitmq`` roles, for the servers this user can see."""
    roles: dict[str, list[int]] = {}
    for name, port in (("mariadb", mysql_port), ("rabbitmq", amqp_port)):
        pid = listening_pid(port)
        if pid:
            roles[name] = [pid]
    return roles


def process_tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


class CpuMeter:
    """CPU seconds (user + system) used by each role between two marks.

    A role counts its processes with their children, except roles in ``alone``: the bench
    client's children are the services it started, which have roles of their own.
    ``other`` in :meth:`delta` is every other process on the machine (other people's work).
    """

    def __init__(self, roles: Mapping[str, Sequence[int]], alone: Iterable[str] = ()) -> None:
        self.roles = {role: list(pids) for role, pids in roles.items() if pids}
        self.alone = set(alone)

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far per role, ``machine``: all CPU time of the machine, ``at``."""
        out: dict[str, float] = {}
        for role, pids in self.roles.items():
            total = 0.0
            for pid in pids:
                try:
                    procs = [psutil.Process(pid)] if role in self.alone else process_tree(pid)
                except psutil.Error:
                    procs = []
                for proc in procs:
                    try:
                        t = proc.cpu_times()
                        total += t.user + t.system
                    except psutil.Error:
                        pass
            out[role] = total
        out["machine"] = machine_busy_s()
        out["at"] = time.time()
        return out

    @staticmethod
    def delta(
        before: dict[str, float], after: dict[str, float], wall: float | None = None
    ) -> dict[str, Any]:
        """CPU seconds and cores busy per role, most first (``wall``: the phase's seconds,
        by default the time between the snapshots)."""
        if wall is None:
            wall = after["at"] - before["at"]
        used = {role: after[role] - before.get(role, 0.0) for role in after if role != "at"}
        machine = used.pop("machine", 0.0)
        used["other"] = max(0.0, machine - sum(used.values()))
        ranked = sorted(used.items(), key=lambda kv: -kv[1])
        return {
            "started": before.get("at", 0.0),
            "wall_s": round(wall, 3),
            "cpu_s": {role: round(v, 2) for role, v in ranked},
            "cores_busy": {role: round(v / wall, 2) for role, v in ranked} if wall > 0 else {},
            "machine_cores_busy": round(machine / wall, 2) if wall > 0 else 0.0,
        }


class MachineMeter:
    """Cores busy on the whole machine between its making and :meth:`read`."""

    def __init__(self) -> None:
        self._t = time.monotonic()
        self._cpu = machine_busy_s()

    def read(self) -> dict[str, float]:
        wall = time.monotonic() - self._t
        busy = machine_busy_s() - self._cpu
        return {
            "wall_s": round(wall, 2),
            "machine_cores_busy": round(busy / wall, 2) if wall > 0 else 0.0,
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }


class RssSampler(threading.Thread):
    """Peak resident memory per role (any one process of it, with its children), sampled
    every ``interval`` s.

    Process objects are cached and the child list refreshed every 2 s: walking /proc for
    children on every sample costs the client (and so the measurement) real CPU.
    """

    def __init__(self, roles: Mapping[str, Sequence[int]], interval: float = 0.1) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.roles = {role: list(pids) for role, pids in roles.items()}
        self.interval = interval
        self.peak_mib: dict[str, float] = {role: 0.0 for role in roles}
        self._halt = threading.Event()

    def run(self) -> None:
        trees: dict[int, list[psutil.Process]] = {}
        refreshed = 0.0
        while not self._halt.is_set():
            if time.monotonic() - refreshed > 2.0:
                trees = {pid: process_tree(pid) for pids in self.roles.values() for pid in pids}
                refreshed = time.monotonic()
            for role, pids in self.roles.items():
                for pid in pids:
                    rss = 0
                    for proc in trees.get(pid, []):
                        try:
                            rss += proc.memory_info().rss
                        except psutil.Error:
                            pass
                    self.peak_mib[role] = max(self.peak_mib[role], rss / 2**20)
            self._halt.wait(self.interval)

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join(2)
        return {role: round(v, 1) for role, v in self.peak_mib.items()}
