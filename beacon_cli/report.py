"""The bad-rows report: one JSON line per refused row (line number, field, reason, row)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson


class Report:
    def __init__(self, path: Path, *, keep_through_line: int | None = None) -> None:
        """Open for writing. When resuming, keep only the entries up to the confirmed line:
        later ones will be found again."""
        self.path = path
        kept: list[bytes] = []
        if keep_through_line is not None and path.exists():
            with path.open("rb") as old:
                kept = [ln for ln in old if orjson.loads(ln)["line"] <= keep_through_line]
        self.count = len(kept)
        self.first_date_problem: dict[str, Any] | None = None
        self._out: IO[bytes] = path.open("wb")
        self._out.writelines(kept)

    def add(self, line: int, field: str, reason: str, raw: str) -> None:
        entry = {"line": line, "field": field, "reason": reason, "row": raw[:2000]}
        self._out.write(orjson.dumps(entry) + b"\n")
        self.count += 1

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()
