"""How results look in the terminal: summaries and tables (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from beacon_cli.dlq import Parked, QueueCount
    from beacon_cli.importer import Options, Summary


def print_import_summary(console: Console, options: Options, summary: Summary) -> None:
    m = summary.mapping
    if m is not None:
        pairs = ", ".join(f"{f}←{h!r}" for f, h in m.columns.items())
        console.print(f"columns: {pairs}", highlight=False)
        for note in m.notes:
            console.print(f"[yellow]note:[/] {note}", highlight=False)
        if m.ignored:
            console.print(f"ignored columns: {', '.join(m.ignored)}", highlight=False)
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    verb = "valid (dry run, nothing sent)" if options.dry_run else "accepted"
    good = summary.rows - summary.bad if options.dry_run else summary.sent
    console.print(
        f"[bold]{options.kind}[/]: {summary.rows:,} rows read in {summary.seconds:,.1f} s "
        f"({rate:,.0f} rows/s); {good:,} {verb}; [bold]{summary.bad:,} bad[/]"
        + (f" (report: {options.report})" if summary.bad else "")
        + (
            f"; {summary.skipped:,} skipped (settled by the earlier run)" if summary.skipped else ""
        ),
        highlight=False,
    )


def stats_line(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "no statistics yet"
    return (
        f"audience {stats.get('audience_size') or 0:,}  sent {stats.get('sent', 0):,}  "
        f"failed {stats.get('failed', 0):,}  pending {stats.get('pending', 0):,}"
    )


def campaigns_table(items: list[dict[str, Any]], stats: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="Campaigns (newest first)")
    for column in ("id", "name", "status", "created", "audience", "sent", "failed"):
        table.add_column(
            column, justify="right" if column in ("audience", "sent", "failed") else "left"
        )
    for c in items:
        s = stats.get(c["id"], {})
        table.add_row(
            c["id"],
            c["name"],
            c["status"],
            str(c.get("created_at", ""))[:19],
            f"{s.get('audience_size') or 0:,}",
            f"{s.get('sent', 0):,}",
            f"{s.get('failed', 0):,}",
        )
    return table


def campaign_table(campaign: dict[str, Any], stats: dict[str, Any] | None) -> Table:
    table = Table(show_header=False, title=f"Campaign {campaign['id']}")
    table.add_column("", style="bold")
    table.add_column("")
    for key in ("name", "status", "message", "created_at", "launched_at", "schedule_at", "reason"):
        if campaign.get(key) is not None:
            table.add_row(key, str(campaign[key]))
    for key in ("audience_size", "pending", "sent", "failed", "updated_at"):
        value = (stats or {}).get(key)
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value or "-"))
    return table


def dlq_table(counts: list[QueueCount]) -> Table:
    table = Table(title="Dead-letter queues")
    table.add_column("queue")
    table.add_column("dlq")
    table.add_column("messages", justify="right")
    for c in counts:
        table.add_row(c.queue, c.dlq, f"{c.messages:,}")
    return table


def parked_table(messages: list[Parked]) -> Table:
    table = Table(title="Parked messages", show_lines=True)
    for column in ("#", "type", "reason", "from queue", "original exchange / key", "event id"):
        table.add_column(column, overflow="fold")
    for m in messages:
        table.add_row(
            str(m.index),
            m.type or "?",
            m.reason or "?",
            m.queue or "?",
            f"{m.exchange or '?'} / {m.routing_key or '?'}",
            m.event_id or "?",
        )
    return table
