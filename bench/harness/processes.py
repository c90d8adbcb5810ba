"""Service child processes of a benchmark: start, wait until ready, stop; migrations; py-spy.

Every service is started as ``python -m services.<name> <mode> --port N`` from a checkout
(``--source``, to measure a change), with the bench's environment (its namespace) on top of
this process's, and its output in a log file of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    """One service child process and its log file."""

    role: str  # e.g. "api", "delivery-worker-1"
    service: str
    mode: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.perf_counter)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def rss_mib(self) -> float:
        try:
            return round(psutil.Process(self.pid).memory_info().rss / 2**20, 1)
        except psutil.Error:
            return 0.0


@dataclass
class Processes:
    """The service processes one benchmark started (stop them all with :meth:`stop_all`)."""

    log_dir: Path
    base_env: dict[str, str] = field(default_factory=dict)
    source: Path = ROOT  # the checkout whose services/ and shared/ run (--source)
    cprofile: Path | None = None  # run every service under cProfile, stats written here
    procs: list[Proc] = field(default_factory=list)

    def start(
        self,
        role: str,
        service: str,
        mode: str,
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Proc:
        port = port or free_port()
        log = self.log_dir / f"{role}-{port}.log"
        profile: list[str] = []
        if self.cprofile is not None:
            self.cprofile.mkdir(parents=True, exist_ok=True)
            profile = ["-m", "cProfile", "-o", str(self.cprofile / f"{role}.prof")]
        command = self.command(service, mode)
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                [command[0], *profile, *command[1:], "--port", str(port)],
                cwd=self.source,
                env={**os.environ, **self.base_env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(role, service, mode, port, popen, log)
        self.procs.append(proc)
        return proc

    def command(self, service: str, mode: str) -> list[str]:
        """``python -m services.<service> <mode>``; the ``vendor`` simulator is
        ``python -m simulators.vendor`` (``services.delivery vendor`` in a ``--source``
        checkout from before it moved)."""
        if service == "vendor":
            if (self.source / "simulators" / "vendor").is_dir():
                return [sys.executable, "-m", "simulators.vendor"]
            return [sys.executable, "-m", "services.delivery", "vendor"]
        return [sys.executable, "-m", f"services.{service}", mode]

    async def wait_ready(self, procs: Iterable[Proc] | None = None, timeout: float = 120.0) -> None:
        """Until ``GET /readyz`` answers 200 for each (all by default); fails fast when one
        exits, and after ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            for proc in list(procs if procs is not None else self.procs):
                last = ""
                while True:
                    if proc.popen.poll() is not None:
                        raise RuntimeError(
                            f"{proc.role} exited with {proc.popen.returncode}; see {proc.log}"
                        )
                    try:
                        response = await client.get(f"{proc.url}/readyz")
                        if response.status_code == 200:
                            break
                        last = response.text[:200]
                    except httpx.HTTPError as error:
                        last = repr(error)
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{proc.role} not ready after {timeout} s: {last}")
                    await asyncio.sleep(0.1)

    def check_alive(self) -> list[str]:
        """Roles whose process has exited (a crash during the run)."""
        return [
            f"{p.role} (exit {p.popen.returncode})"
            for p in self.procs
            if p.popen.poll() is not None
        ]

    def by_role(self) -> dict[str, list[int]]:
        return {p.role: [p.pid] for p in self.procs}

    def pids(self, role: str) -> list[int]:
        return [p.pid for p in self.procs if p.role == role]

    def stop(self, proc: Proc) -> None:
        self._signal(proc)
        self._reap(proc)

    def stop_all(self) -> None:
        for proc in self.procs:  # all at once: each takes a while to shut down
            self._signal(proc)
        for proc in self.procs:
            self._reap(proc)

    def _signal(self, proc: Proc) -> None:
        if proc.popen.poll() is None:
            # uvicorn re-raises the signal after its graceful shutdown: SIGINT ends in a
            # KeyboardInterrupt, so cProfile still writes its stats (SIGTERM would not).
            proc.popen.send_signal(signal.SIGINT if self.cprofile else signal.SIGTERM)

    @staticmethod
    def _reap(proc: Proc) -> None:
        try:
            proc.popen.wait(20)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(10)


def run_migrate(service: str, env: Mapping[str, str], source: Path = ROOT) -> None:
    """``python -m services.<service> migrate`` in the bench namespace."""
    done = subprocess.run(
        [sys.executable, "-m", f"services.{service}", "migrate"],
        cwd=source,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{service} migrate failed: {done.stdout[-800:]}{done.stderr[-800:]}")


class Profiler:
    """Optional py-spy sampling of chosen processes while a phase runs (``--py-spy PATH``).

    Writes collapsed stacks (``py-spy record --format raw``, one file per phase and
    process) that flamegraph tools read, and that :func:`top_frames` summarises.
    """

    def __init__(self, exe: str | None, out_dir: Path, rate: int = 100) -> None:
        self.exe = exe
        self.out_dir = out_dir
        self.rate = rate
        self.files: dict[str, Path] = {}
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self, targets: Mapping[str, Sequence[int]], phase: str = "") -> None:
        """Sample each pid of each role; files are ``pyspy-[phase-]role[k].txt``."""
        if not self.exe:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for role, pids in targets.items():
            for k, pid in enumerate(pids):
                name = f"{phase + '-' if phase else ''}{role}{k if len(pids) > 1 else ''}"
                out = self.out_dir / f"pyspy-{name}.txt"
                self.files[name] = out
                self._running.append(
                    subprocess.Popen(
                        [self.exe, "record", "--pid", str(pid), "--rate", str(self.rate),
                         "--format", "raw", "--output", str(out), "--nonblocking"],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )  # fmt: skip

    def stop(self) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Stop sampling; the summary of every profile written so far."""
        for proc in self._running:
            proc.send_signal(signal.SIGINT)
        for proc in self._running:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._running = []
        return {name: top_frames(path) for name, path in self.files.items() if path.exists()}

    def written(self) -> list[str]:
        return [str(path) for path in self.files.values() if path.exists()]


def top_frames(path: Path, n: int = 12) -> dict[str, list[tuple[str, float]]]:
    """A collapsed-stack profile in short: % of samples per function.

    ``self``: where the CPU is (leaf frames); ``project``: inclusive time of frames in
    ``services/`` and ``shared/``, which says which of our steps it is spent under.
    """
    total = 0
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        c = int(count)
        total += c
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + c
        for frame in set(frames):
            if "services/" in frame or "(shared/" in frame:
                inclusive[frame] = inclusive.get(frame, 0) + c
    if not total:
        return {"self": [], "project": []}

    def ranked(counts: dict[str, int]) -> list[tuple[str, float]]:
        best = sorted(counts.items(), key=lambda kv: -kv[1])[:n]
        return [(frame, round(100 * c / total, 1)) for frame, c in best]

    return {"samples": [("total", float(total))], "self": ranked(own), "project": ranked(inclusive)}


def add_run_arguments(parser: argparse.ArgumentParser, out: str) -> None:
    """The options every bench takes: the servers, the code to run, quiet, the result file."""
    parser.add_argument("--mysql-url", default="mysql+asyncmy://root@127.0.0.1:3306")
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="wait up to this many seconds for an idle machine before starting",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=ROOT,
        help="run the services from this checkout (services/, shared/) to measure a change;"
        " default: this repo",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / out)
