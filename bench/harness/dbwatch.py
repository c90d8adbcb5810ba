"""What MariaDB does while a benchmark runs, and small polling helpers.

* :class:`DbWatch`: a commit-latency probe and the process list of the bench namespace's
  schemas by service, statement and state (where the services wait on the database);
* :class:`DbActivity`: how many statements of *other* schemas run meanwhile (the server
  is shared; that skews a phase);
* :func:`scalar`, :func:`wait_count`: one value, and polling a count with a deadline.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness.report import pct


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def wait_count(
    engine: AsyncEngine, sql: str, want: int, timeout: float, interval: float = 0.1, **params: Any
) -> float:
    """Poll a COUNT until it reaches ``want``; the wall time when it did."""
    deadline = time.monotonic() + timeout
    while True:
        got = int(await scalar(engine, sql, **params))
        if got >= want:
            return time.time()
        if time.monotonic() > deadline:
            raise TimeoutError(f"count {got} of {want} after {timeout}s: {sql}")
        await asyncio.sleep(interval)


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


class DbActivity:
    """Samples MariaDB's process list: queries running for other schemas than ours.

    The server is shared; its CPU seconds count other people's queries too. The average
    number of foreign statements running says how much that skews a phase.
    """

    def __init__(self, engine: AsyncEngine, ours: Sequence[str], interval: float = 0.25) -> None:
        self.engine = engine
        self.ours = list(ours)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        marks = ", ".join(f":s{i}" for i in range(len(self.ours)))
        query = text(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query'"
            f" AND ID <> CONNECTION_ID() AND (DB IS NULL OR DB NOT IN ({marks}))"
        )
        params = {f"s{i}": name for i, name in enumerate(self.ours)}
        try:
            async with self.engine.connect() as conn:
                while True:
                    n = int((await conn.execute(query, params)).scalar() or 0)
                    await conn.rollback()
                    self.samples.append((time.time(), n))
                    await asyncio.sleep(self.interval)
        except asyncio.CancelledError:
            raise
        except Exception:  # the sampler is a nicety; never fail the run for it
            return

    def average(self, start: float, end: float) -> float | None:
        window = [n for t, n in self.samples if start <= t <= end]
        return round(sum(window) / len(window), 2) if window else None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
