"""Results: percentiles, the metric / value / target table every bench prints (rich),
the same rows as markdown for docs/performance.md, and running a bench to its JSON.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import warnings
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

Row = tuple[str, str, str]  # metric, value, target or note


def pct(values: Sequence[float], *qs: float, digits: int = 3) -> dict[str, float | None]:
    """``{"p50": ..., "p99": ...}`` for the given percentiles (None for no values)."""
    if not len(values):
        return {f"p{q:g}": None for q in qs}
    arr = np.asarray(values, dtype=float)
    return {f"p{q:g}": round(float(np.percentile(arr, q)), digits) for q in qs}


def summary(values: Sequence[float], digits: int = 2) -> dict[str, float | None]:
    """p50 / p95 / p99, max and mean."""
    out = pct(values, 50, 95, 99, digits=digits)
    out["max"] = round(float(max(values)), digits) if len(values) else None
    out["mean"] = round(float(np.mean(values)), digits) if len(values) else None
    return out


def ok(met: bool) -> str:
    return "MET" if met else "MISSED"


def table(rows: Sequence[Row], note: str = "target / note") -> list[str]:
    """The rows as a plain-text table (rich, no colour: it is also written to files; never
    wrapped: a long note stays on its row)."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    grid.add_column("metric", no_wrap=True)
    grid.add_column("value", justify="right", no_wrap=True)
    grid.add_column(note, no_wrap=True)
    for row in rows:
        grid.add_row(*row)
    out = io.StringIO()
    Console(file=out, width=1000, color_system=None, highlight=False, emoji=False).print(grid)
    return [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]


def markdown(rows: Sequence[Row], note: str = "target / note") -> list[str]:
    """The same rows as a markdown table, to paste into docs/performance.md."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f"| metric | value | {note} |", "| --- | ---: | --- |"]
    lines += [f"| {cell(k)} | {cell(v)} | {cell(t)} |" for k, v, t in rows]
    return lines


def write_result(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nwrote {out}")


def quiet_driver_notes() -> None:
    """MariaDB's notes on ``DROP DATABASE IF EXISTS`` and the like are not news."""
    warnings.filterwarnings("ignore", message=".*database doesn't exist")
    logging.getLogger("asyncmy").setLevel(logging.ERROR)


def run_loop(main: Coroutine[Any, Any, Any]) -> Any:
    """Run a bench's coroutine on uvloop when installed (as the services run)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def run_and_report(
    main: Callable[[], Coroutine[Any, Any, dict[str, Any]]],
    render: Callable[[dict[str, Any]], str],
    out: Path,
) -> int:
    """Run a bench's coroutine, print its table, write its JSON."""
    quiet_driver_notes()
    result = run_loop(main())
    print()
    print(render(result))
    write_result(result, out)
    return 0
