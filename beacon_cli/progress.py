"""The import's progress bar: bytes of the file for the bar and ETA, rows and rows/s beside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from beacon_cli.importer import Progress as Callback


class RowsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        rows = task.fields.get("rows", 0)
        sent = task.fields.get("sent", 0)
        rate = rows / task.elapsed if task.elapsed else 0.0
        return Text(f"{rows:,} rows, {sent:,} sent, {rate:,.0f}/s")


@contextmanager
def import_progress(console: Console, path: Path, kind: str) -> Iterator[Callback]:
    size = path.stat().st_size if path.exists() else None
    with Progress(
        TextColumn(f"[bold]{kind}[/]"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        RowsColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(kind, total=size, rows=0, sent=0)

        def update(position: int, rows: int, sent: int) -> None:
            progress.update(task, completed=position, rows=rows, sent=sent)

        yield update
