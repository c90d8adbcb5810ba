"""The faults of a chaos run, and the supervisor that brings crashed processes back.

The supervisor plays the part of systemd or Kubernetes: any process that exits (killed here
or crashed on its own) is started again on the same port. The killer SIGKILLs a random
worker every few seconds. Broker and database restarts are one-off, on the test backends'
own containers (never the machine's MariaDB or RabbitMQ).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.backends import Backends
from tests.support.processes import ServiceProcess


@dataclass
class FaultLog:
    """What was injected, and what the suite did about it."""

    kills: Counter[str] = field(default_factory=Counter)
    restarts: Counter[str] = field(default_factory=Counter)  # by the supervisor
    crashes: Counter[str] = field(default_factory=Counter)  # exits nobody asked for
    broker_restarts: list[float] = field(default_factory=list)  # seconds down
    db_restarts: list[float] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        line = f"{time.monotonic() - self.started:7.1f}s {what}"
        self.timeline.append(line)
        print(f"chaos: {line}", flush=True)  # live progress under pytest -s


def name_of(process: ServiceProcess) -> str:
    return f"{process.service}-{process.mode}"


class Supervisor:
    """Restarts any supervised process that has exited, until stopped."""

    def __init__(self, processes: list[ServiceProcess], log: FaultLog) -> None:
        self.processes = processes
        self.log = log
        self._killed: set[int] = set()  # ids of processes we killed on purpose
        self._stop = asyncio.Event()

        self.started_at: dict[int, float] = {id(p): time.monotonic() for p in processes}
        self.ready_since: dict[int, float] = {}  # first seen ready since its last start

    def expect_exit(self, process: ServiceProcess) -> None:
        self._killed.add(id(process))

    def up_for(self, process: ServiceProcess) -> float:
        """Seconds since the supervisor last started ``process``."""
        return time.monotonic() - self.started_at.get(id(process), 0.0)

    async def run(self) -> None:
        while not self._stop.is_set():
            for process in self.processes:
                if process.proc is not None and process.proc.poll() is not None:
                    name = name_of(process)
                    if id(process) in self._killed:
                        self._killed.discard(id(process))
                    else:
                        self.log.crashes[name] += 1
                        self.log.note(f"{name} exited by itself ({process.proc.returncode})")
                    process.start(wait=False)
                    self.started_at[id(process)] = time.monotonic()
                    self.ready_since.pop(id(process), None)
                    self.log.restarts[name] += 1
            try:
                await asyncio.wait_for(self._stop.wait(), 0.3)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()


async def kill_workers(
    workers: list[ServiceProcess],
    supervisor: Supervisor,
    log: FaultLog,
    *,
    every_s: tuple[float, float],
    min_kills: int,
    done: asyncio.Event,
    rng: random.Random,
    min_work_s: float = 10.0,
) -> None:
    """SIGKILL a worker every uniform(*every_s) seconds until ``done`` is set and at least
    ``min_kills`` kills happened. Victims come from a shuffled cycle over the workers, so
    each is killed as often as the others (a plain random pick left some never killed). A
    worker is killed only once it has been ready for ``min_work_s``: on a busy machine a
    restart takes longer than the kill interval, and a worker killed before it ever
    consumed would test nothing but start-up (the long run stalled that way)."""
    cycle: list[ServiceProcess] = []
    while not (done.is_set() and sum(log.kills.values()) >= min_kills):
        await asyncio.sleep(rng.uniform(*every_s))
        if done.is_set() and sum(log.kills.values()) >= min_kills:
            break
        if not cycle:
            cycle = rng.sample(workers, len(workers))
        victim = cycle.pop()
        while True:
            if await working_for(victim, supervisor, min_work_s):
                break
            await asyncio.sleep(0.5)
        await kill(victim, supervisor, log)


async def working_for(process: ServiceProcess, supervisor: Supervisor, seconds: float) -> bool:
    """True once ``process`` has answered /readyz for at least ``seconds`` since its start."""
    if supervisor.up_for(process) < seconds:
        return False
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            ready = (await client.get(f"{process.url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False
    if ready and id(process) not in supervisor.ready_since:
        supervisor.ready_since[id(process)] = time.monotonic()
    since = supervisor.ready_since.get(id(process))
    return ready and since is not None and time.monotonic() - since >= seconds


async def kill(victim: ServiceProcess, supervisor: Supervisor, log: FaultLog) -> None:
    """SIGKILL one process (if it is running); the supervisor starts it again."""
    if victim.proc is None or victim.proc.poll() is not None:
        return
    supervisor.expect_exit(victim)
    await asyncio.to_thread(victim.kill)
    log.kills[name_of(victim)] += 1
    log.note(f"SIGKILL {name_of(victim)}")


async def restart_broker(backends: Backends, log: FaultLog, down_s: float = 3.0) -> None:
    """Stop RabbitMQ, keep it down ``down_s`` (clients see 503s), start it again."""
    began = time.monotonic()
    log.note("RabbitMQ stop")
    await asyncio.to_thread(backends.stop_broker)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(backends.start_broker)
    log.broker_restarts.append(time.monotonic() - began)
    log.note("RabbitMQ answers again")


async def restart_db(backends: Backends, log: FaultLog, down_s: float = 3.0) -> None:
    """Stop MariaDB (a clean shutdown), keep it down ``down_s``, start it again."""
    began = time.monotonic()
    log.note("MariaDB stop")
    await asyncio.to_thread(backends.stop_db)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(backends.start_db)
    log.db_restarts.append(time.monotonic() - began)
    log.note("MariaDB answers again")
