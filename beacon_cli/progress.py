"""Progress bars: the import's reading and sending (bytes of the file for the bar and ETA,
records and records/s beside), then Beacon's processing of what was sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from beacon_cli.importer import Processing
from beacon_cli.importer import Progress as Callback


class RowsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        rows = task.fields.get("rows", 0)
        sent = task.fields.get("sent", 0)
        rate = rows / task.elapsed if task.elapsed else 0.0
        return Text(f"{rows:,} records, {sent:,} sent, {rate:,.0f}/s")


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


@contextmanager
def processing_progress(console: Console, label: str) -> Iterator[Processing]:
    """Beacon's side: items processed of those sent, until the import is done."""
    with Progress(
        TextColumn(f"[bold]{label}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(processed: int, sent: int) -> None:
            progress.update(task, completed=processed, total=max(sent, processed) or None)

        yield update
