"""How results look in the terminal: summaries and tables (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from beacon_cli.dlq import Parked, QueueCount
    from beacon_cli.importer import Options, Summary
    from beacon_cli.tally import Tally

SKIPPED = {
    "stale": "older than what Beacon has (updated_at)",
    "erased": "the person was erased",
}


def print_import_summary(console: Console, options: Options, summary: Summary) -> None:
    """How the file was read, what was sent, what Beacon made of it, what was refused."""
    h = summary.header
    if h is not None:
        pairs = ", ".join(f"{f} <- {c}" for f, c in h.mapping.items())
        console.print(f"{h.source} {h.kind}, {h.format}: {pairs}", highlight=False)
        console.print(
            f"dates: {h.dates}; times without an offset are {h.timezone}", highlight=False
        )
        for note in h.notes:
            console.print(f"[yellow]note:[/] {note}", highlight=False)
        if h.ignored:
            shown = ", ".join(h.ignored[:8])
            more = f" and {len(h.ignored) - 8} more" if len(h.ignored) > 8 else ""
            console.print(f"ignored columns: {shown}{more}", highlight=False)
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    verb = "valid (dry run, nothing sent)" if options.dry_run else "sent"
    where = f" (import {summary.import_id})" if summary.import_id else ""
    console.print(
        f"[bold]{options.kind}[/]{where}: {summary.records:,} records read in "
        f"{summary.seconds:,.1f} s ({rate:,.0f}/s); {summary.sent:,} {verb}; "
        f"[bold]{summary.bad:,} bad[/]"
        + (f" (report: {summary.report})" if summary.bad else "")
        + (
            f"; {summary.skipped:,} skipped (settled by the earlier run)" if summary.skipped else ""
        ),
        highlight=False,
    )
    outcome = summary.outcome
    if outcome and outcome.get("status") == "done":
        console.print(outcome_line(options.kind, outcome), highlight=False)
    elif outcome:
        console.print(f"import {summary.import_id} is {outcome.get('status')}", highlight=False)
    if summary.problems.kinds:
        console.print("[bold]bad rows[/] by reason:", highlight=False)
        print_tally(console, summary.problems)
    if summary.warnings.kinds:
        console.print(
            f"[bold]{summary.warnings.total:,} warnings[/] (sent without the field):",
            highlight=False,
        )
        print_tally(console, summary.warnings)


def outcome_line(kind: str, outcome: dict[str, Any]) -> str:
    c = outcome.get("counts") or {}
    parts = [f"{c.get(k, 0):,} {k}" for k in ("new", "updated", "unchanged", "merged")]
    line = "Beacon: " + ", ".join(parts)
    skipped = [f"{c[k]:,} {k} ({why})" for k, why in SKIPPED.items() if c.get(k)]
    line += "; skipped: " + (", ".join(skipped) if skipped else "none")
    if kind == "orders" and c.get("no_customer"):
        line += f"\n{c['no_customer']:,} orders name no known customer"
    return line


def print_tally(console: Console, tally: Tally, limit: int = 12) -> None:
    kinds = tally.most_common()
    for seen in kinds[:limit]:
        console.print(
            f"  {seen.count:>7,} x {seen.field}: {seen.reason} (line {seen.line})",
            highlight=False,
        )
    if len(kinds) > limit:
        rest = sum(s.count for s in kinds[limit:])
        console.print(f"  {rest:>7,} x other reasons", highlight=False)


def imports_table(items: list[dict[str, Any]]) -> Table:
    table = Table(title="Imports (newest first)")
    for column in ("id", "kind", "source", "file", "status", "created", "sent", "bad", "new"):
        table.add_column(column, justify="right" if column in ("sent", "bad", "new") else "left")
    for i in items:
        table.add_row(
            str(i.get("import_id")),
            str(i.get("kind")),
            str(i.get("source")),
            str(i.get("file_name") or ""),
            str(i.get("status")),
            str(i.get("created_at") or "")[:19],
            f"{i.get('sent') or 0:,}",
            f"{i.get('bad') or 0:,}",
            f"{(i.get('counts') or {}).get('new', 0):,}",
        )
    return table


def import_table(found: dict[str, Any]) -> Table:
    table = Table(show_header=False, title=f"Import {found.get('import_id')}")
    table.add_column("", style="bold")
    table.add_column("")
    for key in ("kind", "source", "file_name", "status", "created_at", "created_by"):
        value = found.get(key)
        if isinstance(value, dict):  # an actor: {"sub", "email"}
            value = value.get("email") or value.get("sub")
        if value is not None:
            table.add_row(key, str(value))
    for key in ("sent", "bad", "processed"):
        table.add_row(key, f"{found.get(key) or 0:,}")
    for key, value in (found.get("counts") or {}).items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    for key, value in (found.get("undo") or {}).items():
        table.add_row(f"undo {key}", f"{value:,}" if isinstance(value, int) else str(value))
    if found.get("finished_at"):
        table.add_row("finished_at", str(found["finished_at"]))
    return table


def stats_line(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "no statistics yet"
    return (
        f"audience {stats.get('audience_size') or 0:,}  sent {stats.get('sent', 0):,}  "
        f"failed {stats.get('failed', 0):,}  cancelled {stats.get('cancelled', 0):,}  "
        f"pending {stats.get('pending', 0):,}"
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
    for key in ("audience_size", "pending", "sent", "failed", "cancelled", "updated_at"):
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
