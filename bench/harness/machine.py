"""What a result was measured on: the machine, the MariaDB server, the code, the load.

The machine is shared (2 cores, other people's work): every result records how busy it
was before the run, and :func:`wait_quiet` can wait for a quieter moment.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness.processes import ROOT

SERVER_VARIABLES = (
    "innodb_buffer_pool_size",
    "innodb_flush_log_at_trx_commit",
    "innodb_log_file_size",
    "log_bin",
    "sync_binlog",
    "max_connections",
)


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
        "platform": platform.platform(),
        "numpy": np.__version__,
    }


async def server_info(
    engine: AsyncEngine, variables: Sequence[str] = SERVER_VARIABLES
) -> dict[str, Any]:
    """MariaDB's version and the settings that move the numbers (durability, memory);
    ``optimizer_switch`` is reduced to whether ``split_materialized`` is on."""
    marks = ", ".join(f":v{i}" for i in range(len(variables)))
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT VERSION()"))).scalar()
        rows = (
            await conn.execute(
                text(f"SHOW VARIABLES WHERE Variable_name IN ({marks})"),
                {f"v{i}": name for i, name in enumerate(variables)},
            )
        ).all()
    found: dict[str, Any] = {str(k): str(v) for k, v in rows}
    if "optimizer_switch" in found:
        found["split_materialized"] = "split_materialized=on" in found.pop("optimizer_switch")
    return {"mariadb": version, **found}


def source_info(
    source: Path = ROOT, paths: Sequence[str] = ("services", "shared")
) -> dict[str, Any]:
    """The commit the services ran from, and files under ``paths`` changed since (a
    ``--source`` copy outside git reports only its path)."""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(source), *cmd], capture_output=True, text=True, timeout=10
            ).stdout.rstrip("\n")  # keep the leading blank of a porcelain status line
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = git("status", "--porcelain", "--", *paths)
    return {
        "path": str(source),
        "commit": git("rev-parse", "--short", "HEAD").strip(),
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


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent so far (every process, the kernel's too)."""
    m = psutil.cpu_times()
    return m.user + m.nice + m.system + m.irq + m.softirq + getattr(m, "steal", 0.0)


async def wait_quiet(max_wait: float, threshold: float = 0.3, window: float = 3.0) -> float:
    """Cores busy on the machine before the run (over ``window`` s).

    With ``max_wait`` > 0, keep sampling until fewer than ``threshold`` cores are busy or
    ``max_wait`` seconds have passed: on a shared machine other work skews every number.
    """
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy_s()
        await asyncio.sleep(window)
        busy = (machine_busy_s() - before) / window
        if busy < threshold or time.monotonic() >= deadline:
            if busy >= threshold:
                print(f"note: {busy:.2f} cores already busy on this machine before the run")
            return round(busy, 2)
        print(f"waiting for a quieter machine ({busy:.2f} cores busy) ...", flush=True)
