"""Accounting after a chaos run, in the manner of Jepsen's RabbitMQ checker: every accepted
item is ok, lost, duplicated or unexpected; then the cross-service invariants."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from tests.chaos.faults import FaultLog
from tests.chaos.load import ClientLog


@dataclass(frozen=True)
class Tally:
    invariant: str
    ok: int
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    note: str = ""

    @property
    def held(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.unexpected == 0


def count(invariant: str, accepted: set[str], stored: Iterable[str], note: str = "") -> Tally:
    """Compare what was accepted with what was stored (a multiset: duplicates show)."""
    seen = Counter(stored)
    return Tally(
        invariant,
        ok=sum(1 for item in accepted if seen[item] == 1),
        lost=sum(1 for item in accepted if seen[item] == 0),
        duplicated=sum(1 for item, n in seen.items() if n > 1),
        unexpected=sum(1 for item in seen if item not in accepted),
        note=note,
    )


def check(invariant: str, ok: int, bad: int, note: str = "") -> Tally:
    """An invariant over ``ok + bad`` items where every bad one is 'unexpected'."""
    return Tally(invariant, ok=ok, unexpected=bad, note=note)


def render(
    mode: str, seconds: float, faults: FaultLog, clients: ClientLog, tallies: list[Tally]
) -> str:
    lines = [
        f"## Chaos run ({mode}), {seconds:.0f} s",
        "",
        "| fault injected | count |",
        "|---|---|",
    ]
    lines += [f"| SIGKILL {name} | {n} |" for name, n in sorted(faults.kills.items())]
    lines.append(f"| SIGKILL, total | {sum(faults.kills.values())} |")
    lines.append(
        f"| RabbitMQ restarts (down s) | {len(faults.broker_restarts)} ({', '.join(f'{s:.1f}' for s in faults.broker_restarts)}) |"
    )
    lines.append(
        f"| MariaDB restarts (down s) | {len(faults.db_restarts)} ({', '.join(f'{s:.1f}' for s in faults.db_restarts)}) |"
    )
    lines.append(f"| processes restarted by the supervisor | {sum(faults.restarts.values())} |")
    crashes = ", ".join(f"{k} {v}" for k, v in sorted(faults.crashes.items())) or "none"
    lines.append(f"| exits nobody asked for | {crashes} |")
    answers = ", ".join(f"{k}: {v}" for k, v in sorted(clients.answers.items()))
    lines.append(f"| client answers (retried until 202) | {answers} |")
    lines += [
        "",
        "| invariant | ok | lost | duplicated | unexpected | held | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in tallies:
        mark = "yes" if t.held else "**NO**"
        lines.append(
            f"| {t.invariant} | {t.ok} | {t.lost} | {t.duplicated} | {t.unexpected} | {mark} | {t.note} |"
        )
    return "\n".join(lines)
