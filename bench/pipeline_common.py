"""What the send-pipeline benchmarks share (``bench/campaign.py``, ``bench/stats.py``).

* :class:`Processes`: ``python -m services.<name> <mode> --port N`` children in one bench
  namespace (``BEACON_NAMESPACE``), each with its own log file, readiness wait and stop;
* :func:`load_profiles`: the customers, written straight into the segments ``profiles``
  table (after ``python -m services.segments migrate`` in the namespace) with one
  ``INSERT ... SELECT`` per chunk from MariaDB's Sequence engine (``seq_1_to_N``): these
  benchmarks measure the send pipeline, not ingest;
* :class:`RoleCpu`: CPU seconds per role (each service process, MariaDB, RabbitMQ, the
  bench itself, everything else) between two marks: where the time goes on 2 cores;
* :class:`Profiler`: optional py-spy sampling of service processes (``--py-spy PATH``),
  summarised by :func:`top_frames`;
* :func:`delete_namespace`: drops the namespace's schemas, queues and exchanges.

Only 127.0.0.1 is contacted (the default URLs).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import numpy as np
import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import drop_schema
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SERVICES = ("segments", "campaigns", "delivery", "stats")
# Every durable queue a service of the pipeline declares (each has a ``.dlq`` twin); the
# per-process listener queues are exclusive and auto-delete, so they go with the process.
QUEUES = (
    "segments.profiles",
    "segments.audiences",
    "campaigns.progress",
    "delivery.campaigns",
    "delivery.audience",
    "delivery.receipts",
    "stats.counters",
    # Sign-in: the API-key copies and the key-usage queue.
    "campaigns.key_usage",
    *(f"{s}.api_keys" for s in ("ingest", "segments", "delivery", "stats")),
)
EXCHANGES = tuple(f"beacon.{s}" for s in ("ingest", *SERVICES)) + ("beacon.dlx",)
MESSAGE = "Hi {first_name|there}, your {name} account has 10% off this week. Reply STOP to opt out."


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    """One service child process and its log file."""

    role: str  # e.g. "delivery-worker-1"
    service: str
    mode: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

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
    log_dir: Path
    base_env: dict[str, str]
    source: Path = ROOT  # the checkout whose services/ and shared/ run (--source)
    procs: list[Proc] = field(default_factory=list)

    def start(
        self, role: str, service: str, mode: str, *, port: int | None = None, **env: str
    ) -> Proc:
        port = port or free_port()
        log = self.log_dir / f"{role}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                [*self.command(service, mode), "--port", str(port)],
                cwd=self.source,
                env={**os.environ, **self.base_env, **env},
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

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.popen.wait(20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(10)


def run_migrate(service: str, env: dict[str, str], source: Path = ROOT) -> None:
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


# --------------------------------------------------------------------------- data


FIRST = ("Aarav", "Zoë", "Priya", "Rohan", "Ananya", "Vikram", "Meera", "Kabir", "Isha", "Arjun")
LAST = ("Iyer", "Sharma", "Patel", "Reddy", "Nair", "Gupta", "Das", "Menon", "Khan", "Singh")
CITIES = ("Pune", "Mumbai", "Bengaluru", "Delhi", "Chennai", "Kolkata", "Hyderabad", "Jaipur")


def _elt(expr: str, values: Sequence[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ELT(1 + ({expr}) % {len(values)}, {quoted})"


async def load_profiles(engine: AsyncEngine, count: int, chunk: int = 250_000) -> float:
    """``count`` known profiles ``C00000001``...; every one has an address (about 1 in 10
    a phone only), so every message goes to the vendor. Returns the seconds it took."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM profiles"))
    first = 1
    while first <= count:
        last = min(count, first + chunk - 1)
        sql = f"""
            INSERT INTO profiles (customer_id, known, version, revision, name, email, phone,
                city, created_at, total_spend, visits, first_visit_at, last_visit_at,
                updated_at)
            SELECT CONCAT('C', LPAD(seq, 8, '0')), 1, 1, 1,
                CONCAT({_elt("seq", FIRST)}, ' ', {_elt("seq DIV 10", LAST)}),
                IF(seq % 10 = 3, NULL, CONCAT('c', seq, '@example.in')),
                CONCAT('+9198', LPAD(seq, 8, '0')),
                {_elt("seq DIV 7", CITIES)},
                UTC_TIMESTAMP(6) - INTERVAL (seq % 1000) DAY,
                (seq % 997) * 12.5, seq % 23,
                UTC_TIMESTAMP(6) - INTERVAL (seq % 900) DAY,
                UTC_TIMESTAMP(6) - INTERVAL (seq % 90) DAY,
                UTC_TIMESTAMP(6)
            FROM seq_{first}_to_{last}
        """
        async with engine.begin() as conn:
            await conn.execute(text("SET SESSION unique_checks = 0"))
            await conn.execute(text(sql))
        first = last + 1
    return round(time.perf_counter() - started, 2)


ALL_RULE: dict[str, Any] = {
    "combinator": "and",
    "rules": [{"field": "visits", "operator": ">=", "value": 0}],
}


# --------------------------------------------------------------------------- measuring


def pct(values: Sequence[float], *qs: float) -> dict[str, float | None]:
    if not len(values):
        return {f"p{q:g}": None for q in qs}
    arr = np.asarray(values, dtype=float)
    return {f"p{q:g}": round(float(np.percentile(arr, q)), 3) for q in qs}


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port (MariaDB, RabbitMQ), when visible."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                return conn.pid
    except psutil.AccessDenied:
        return None
    return None


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


class RoleCpu:
    """CPU seconds per role between marks. ``bench`` counts this process alone (its
    children are the services, which have roles of their own); ``other`` is every other
    process on the machine (other people's work, the kernel's)."""

    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.roles = {role: pids for role, pids in roles.items() if pids}
        self._procs: dict[int, psutil.Process] = {}

    def _cpu(self, pid: int, alone: bool) -> float:
        total = 0.0
        procs = [psutil.Process(pid)] if alone else _tree(pid)
        for proc in procs:
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def snapshot(self) -> dict[str, float]:
        out = {
            role: sum(self._cpu(pid, role in ("bench", "mariadb", "rabbitmq")) for pid in pids)
            for role, pids in self.roles.items()
        }
        m = psutil.cpu_times()
        out["machine"] = m.user + m.nice + m.system + m.irq + m.softirq + getattr(m, "steal", 0.0)
        out["at"] = time.monotonic()
        return out

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
        wall = after["at"] - before["at"]
        used = {r: after[r] - before.get(r, 0.0) for r in after if r not in ("at", "machine")}
        machine = after["machine"] - before["machine"]
        used["other"] = max(0.0, machine - sum(used.values()))
        return {
            "wall_s": round(wall, 2),
            "cpu_s": {r: round(v, 2) for r, v in sorted(used.items(), key=lambda kv: -kv[1])},
            "cores_busy": {
                r: round(v / wall, 2) for r, v in sorted(used.items(), key=lambda kv: -kv[1])
            }
            if wall > 0
            else {},
            "machine_cores_busy": round(machine / wall, 2) if wall > 0 else 0.0,
        }


def service_roles(processes: Processes) -> dict[str, list[int]]:
    """Roles for :class:`RoleCpu`: each service process, MariaDB, RabbitMQ, the bench."""
    roles = processes.by_role()
    for name, port in (("mariadb", 3306), ("rabbitmq", 5672)):
        pid = listening_pid(port)
        if pid:
            roles[name] = [pid]
    roles["bench"] = [os.getpid()]
    return roles


class Profiler:
    """py-spy ``record --format raw`` of chosen processes while a phase runs."""

    def __init__(self, exe: str | None, out_dir: Path) -> None:
        self.exe = exe
        self.out_dir = out_dir
        self.files: dict[str, Path] = {}
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self, procs: Iterable[Proc]) -> None:
        if not self.exe:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for proc in procs:
            out = self.out_dir / f"pyspy-{proc.role}.txt"
            self.files[proc.role] = out
            self._running.append(
                subprocess.Popen(
                    [self.exe, "record", "--pid", str(proc.pid), "--rate", "100", "--format",
                     "raw", "--output", str(out), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip

    def stop(self) -> dict[str, dict[str, list[tuple[str, float]]]]:
        for proc in self._running:
            proc.send_signal(signal.SIGINT)
        for proc in self._running:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._running = []
        return {role: top_frames(path) for role, path in self.files.items() if path.exists()}


def top_frames(path: Path, n: int = 10) -> dict[str, list[tuple[str, float]]]:
    """A collapsed-stack profile in short: % of samples per leaf function (``self``) and
    inclusive % of frames in ``services/`` and ``shared/`` (``project``)."""
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
            if "(services/" in frame or "(shared/" in frame or "services/" in frame:
                inclusive[frame] = inclusive.get(frame, 0) + c
    if not total:
        return {"self": [], "project": []}

    def ranked(counts: dict[str, int]) -> list[tuple[str, float]]:
        best = sorted(counts.items(), key=lambda kv: -kv[1])[:n]
        return [(frame, round(100 * c / total, 1)) for frame, c in best]

    return {"samples": [("total", float(total))], "self": ranked(own), "project": ranked(inclusive)}


async def queue_depths(
    channel: aio_pika.abc.AbstractChannel, names: dict[str, str]
) -> dict[str, int]:
    """Messages ready in each queue (passive declare; a missing queue reads -1)."""
    out: dict[str, int] = {}
    for short, full in names.items():
        try:
            q = await channel.declare_queue(full, passive=True)
            out[short] = int(q.declaration_result.message_count or 0)
        except Exception:
            out[short] = -1
    return out


def parse_metrics(body: str) -> dict[str, float]:
    """Prometheus text format: ``name{labels} value`` per line."""
    out: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


RECEIPTS_LABEL = 'consumer="delivery.receipts"'


def metric_sum(metrics: dict[str, float], name: str, *labels: str) -> float:
    """Sum of the series of ``name`` whose labels contain every ``labels`` item."""
    return sum(
        v
        for k, v in metrics.items()
        if (k == name or k.startswith(name + "{")) and all(lab in k for lab in labels)
    )


async def service_metrics(procs: Sequence[Proc]) -> dict[str, Any]:
    """What the services' own counters say about the run (scraped once, at the end)."""
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=10.0) as http:
        for proc in procs:
            try:
                m = parse_metrics((await http.get(f"{proc.url}/metrics")).text)
            except httpx.HTTPError:
                continue
            entry: dict[str, Any] = {}
            flushes = metric_sum(m, "beacon_consumer_batch_seconds_count", RECEIPTS_LABEL)
            if flushes:
                moved = metric_sum(m, "beacon_delivery_receipts_applied_total")
                entry["receipt_flushes"] = int(flushes)
                entry["receipt_flush_mean_ms"] = round(
                    metric_sum(m, "beacon_consumer_batch_seconds_sum", RECEIPTS_LABEL)
                    / flushes
                    * 1e3,
                    1,
                )
                entry["receipts_per_flush"] = round(moved / flushes, 1)
            consumed = {
                k.split("{", 1)[1].rstrip("}"): int(v)
                for k, v in m.items()
                if k.startswith("beacon_events_consumed_total{") and v
            }
            if consumed:
                entry["events_consumed"] = consumed
            count = metric_sum(m, "beacon_http_request_seconds_count", 'method="POST"')
            if count:
                total = metric_sum(m, "beacon_http_request_seconds_sum", 'method="POST"')
                entry["http_post_requests"] = int(count)
                entry["http_post_mean_ms"] = round(total / count * 1e3, 1)
            sent = metric_sum(m, "beacon_delivery_messages_sent_total")
            if sent:
                entry["messages_sent"] = int(sent)
                entry["vendor_errors"] = int(metric_sum(m, "beacon_delivery_vendor_errors_total"))
            if entry:
                out[proc.role] = entry
    return out


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


async def server_info(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT VERSION()"))).scalar()
        rows = (
            await conn.execute(
                text(
                    "SHOW VARIABLES WHERE Variable_name IN ('innodb_buffer_pool_size',"
                    " 'innodb_flush_log_at_trx_commit', 'innodb_log_file_size', 'log_bin',"
                    " 'sync_binlog', 'max_connections')"
                )
            )
        ).all()
    return {"mariadb": version, **{r[0]: r[1] for r in rows}}


def source_info(source: Path = ROOT) -> dict[str, Any]:
    """The commit the services ran from, and files of services/ and shared/ changed since
    (a ``--source`` copy outside git reports only its path)."""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(source), *cmd], capture_output=True, text=True, timeout=10
            ).stdout.rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = git("status", "--porcelain", "--", "services", "shared")
    return {
        "path": str(source),
        "commit": git("rev-parse", "--short", "HEAD"),
        "changed": [line[3:] for line in changed.splitlines()],
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def other_bench_processes() -> list[str]:
    """Other benchmarks or test runs on the machine (they share the 2 cores)."""
    me = psutil.Process()
    mine = {me.pid, *(p.pid for p in me.parents())}
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmd = p.info.get("cmdline") or []
        if p.info["pid"] in mine or not cmd:
            continue
        line = " ".join(cmd)
        if ("-m bench." in line or "pytest" in line) and "pipeline" not in line:
            found.append(line[:120])
    return found


async def wait_quiet(max_wait: float, threshold: float = 0.5) -> float:
    """Cores busy before the run (waiting up to ``max_wait`` s for fewer than threshold)."""
    deadline = time.monotonic() + max_wait
    while True:
        psutil.cpu_percent(None)
        await asyncio.sleep(3.0)
        busy = psutil.cpu_percent(None) / 100 * (psutil.cpu_count() or 1)
        if busy < threshold or time.monotonic() >= deadline:
            return round(busy, 2)
        print(f"waiting for a quieter machine ({busy:.2f} cores busy) ...", flush=True)


class DbWatch:
    """What MariaDB does for the namespace, sampled while the run goes (cheap queries only).

    * commit probe: every ``probe_s`` one single-row INSERT + COMMIT into a scratch table of
      the namespace's delivery schema, timed: the latency any transaction of the pipeline
      pays for its commit at that moment (redo log flush, other people's load);
    * wait profile: ``information_schema.PROCESSLIST`` rows of the namespace's schemas that
      run a statement, by service, statement kind and state; count / samples = how many
      connections were on average busy with it (where the services wait on the database).
    """

    def __init__(self, engine: AsyncEngine, namespace: str, probe_s: float = 0.5) -> None:
        self.engine = engine
        self.namespace = namespace
        self.probe_s = probe_s
        self.commits_ms: list[float] = []
        self.profile: Counter[tuple[str, str, str]] = Counter()
        self.samples = 0

    async def setup(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS bench_probe (id BIGINT AUTO_INCREMENT"
                    " PRIMARY KEY, at DATETIME(6) NOT NULL)"
                )
            )

    async def run(self, stop: asyncio.Event) -> None:
        prefix = f"{self.namespace}\\_beacon\\_%"
        async with self.engine.connect() as probe, self.engine.connect() as plist:
            last_probe = 0.0
            while not stop.is_set():
                now = time.monotonic()
                if now - last_probe >= self.probe_s:
                    last_probe = now
                    started = time.perf_counter()
                    await probe.execute(text("INSERT INTO bench_probe (at) VALUES (NOW(6))"))
                    await probe.commit()
                    self.commits_ms.append((time.perf_counter() - started) * 1e3)
                rows = (
                    await plist.execute(
                        text(
                            "SELECT DB, STATE, LEFT(INFO, 400) FROM information_schema.PROCESSLIST"
                            " WHERE DB LIKE :p AND COMMAND = 'Query' AND ID <> CONNECTION_ID()"
                        ),
                        {"p": prefix},
                    )
                ).all()
                await plist.rollback()
                self.samples += 1
                for db, state, info in rows:
                    if info and "bench_probe" in info:
                        continue
                    service = str(db).rsplit("_beacon_", 1)[-1]
                    self.profile[(service, classify(info or ""), str(state or ""))] += 1
                try:
                    await asyncio.wait_for(stop.wait(), timeout=0.25)
                except TimeoutError:
                    pass

    def report(self, top: int = 14) -> dict[str, Any]:
        busy = [
            {
                "service": svc,
                "statement": stmt,
                "state": state,
                "avg_connections": round(n / max(self.samples, 1), 3),
            }
            for (svc, stmt, state), n in self.profile.most_common(top)
        ]
        return {
            "commit_probe_ms": {**pct(self.commits_ms, 50, 90, 99), "n": len(self.commits_ms)},
            "processlist_samples": self.samples,
            "busy_statements": busy,
        }


_VERB = re.compile(r"^(INSERT(?: IGNORE)? INTO|UPDATE|DELETE FROM|SELECT|COMMIT|ROLLBACK)\b")


def classify(info: str) -> str:
    """A short name for a statement: verb, table and a hint of which query it is."""
    s = " ".join(info.split()).upper()
    m = _VERB.match(s)
    if not m:
        return s[:30]
    verb = m.group(1).replace(" IGNORE", "").replace(" INTO", "").replace(" FROM", "")
    if verb in ("COMMIT", "ROLLBACK"):
        return verb
    if verb == "SELECT":
        found = re.search(r"\bFROM `?(\w+)", s)
    else:
        found = re.match(r"^\w+(?: IGNORE)?(?: INTO| FROM)? `?(\w+)", s)
    table = found.group(1).lower() if found else "?"
    hint = ""
    if "JSON_TABLE" in s:
        hint = " (receipts)"
    elif "SET SENT_TO_VENDOR_AT" in s:
        hint = " (mark sent)"
    elif "SET CLAIMED_UNTIL" in s:
        hint = " (claim)"
    elif verb == "SELECT" and "CLAIMED_UNTIL" in s:
        hint = " (claim)"
    elif verb == "SELECT" and "MESSAGE_ID IN" in s and table == "communications_log":
        hint = " (by message id)"
    return f"{verb} {table}{hint}"


# --------------------------------------------------------------------------- cleanup


async def delete_namespace(mysql_url: str, amqp_url: str, namespace: str) -> None:
    """Drop the namespace's schemas, durable queues (and DLQs) and exchanges."""
    settings = ServiceSettings(mysql_url=mysql_url, amqp_url=amqp_url, namespace=namespace)
    for service in SERVICES:
        try:
            await drop_schema(mysql_url, settings.schema_name(service))
        except Exception as error:
            print(f"could not drop schema of {namespace}: {error!r}", file=sys.stderr)
    try:
        connection = await aio_pika.connect(amqp_url, timeout=10)
    except Exception as error:
        print(f"could not reach RabbitMQ to clean {namespace}: {error!r}", file=sys.stderr)
        return
    async with connection:
        names = [(q, "queue") for base in QUEUES for q in (base, f"{base}.dlq")]
        names += [(x, "exchange") for x in EXCHANGES]
        for name, kind in names:
            channel = await connection.channel()  # a failed delete closes its channel
            try:
                if kind == "queue":
                    await channel.queue_delete(settings.amqp_name(name))
                else:
                    await channel.exchange_delete(settings.amqp_name(name))
            except Exception:
                pass
            finally:
                if not channel.is_closed:
                    await channel.close()


# --------------------------------------------------------------------------- report


def ok(met: bool) -> str:
    return "MET" if met else "MISSED"


def table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    lines = [
        f"{'metric':<{width}}  {'value':>{vwidth}}  target / note",
        "-" * (width + vwidth + 40),
    ]
    lines += [f"{k:<{width}}  {v:>{vwidth}}  {t}".rstrip() for k, v, t in rows]
    return lines


def run_and_report(
    main: Callable[[], Coroutine[Any, Any, dict[str, Any]]],
    render: Callable[[dict[str, Any]], str],
    out: Path,
) -> int:
    """Run a bench's coroutine (on uvloop when installed), print its table, write its JSON."""
    warnings.filterwarnings("ignore", message=".*database doesn't exist")
    logging.getLogger("asyncmy").setLevel(logging.ERROR)
    try:
        import uvloop

        result = uvloop.run(main())
    except ImportError:
        result = asyncio.run(main())
    print()
    print(render(result))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nwrote {out}")
    return 0
