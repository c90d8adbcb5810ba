"""Reasons counted by kind: ``'378,00' reads two ways`` and ``'1.234,56' reads two ways``
are one kind of problem, shown once with a count and the first line it was seen on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Quoted values and numbers vary from row to row; what is left says what kind it is.
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d.,]*")


@dataclass
class Seen:
    count: int
    line: int
    field: str
    reason: str


@dataclass
class Tally:
    kinds: dict[tuple[str, str], Seen] = field(default_factory=dict)

    def add(self, line: int, field_: str, reason: str) -> None:
        key = (field_, _VARYING.sub("…", reason))
        seen = self.kinds.get(key)
        if seen is None:
            self.kinds[key] = Seen(1, line, field_, reason)
        else:
            seen.count += 1

    @property
    def total(self) -> int:
        return sum(s.count for s in self.kinds.values())

    def most_common(self) -> list[Seen]:
        return sorted(self.kinds.values(), key=lambda s: (-s.count, s.line))
