"""``beacon segments``: preview a rules file, export a saved segment's members as CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from beacon_cli.client import Beacon
from beacon_cli.errors import CliError
from beacon_formats.spreadsheet import SEGMENT_MEMBER_COLUMNS, safe_row

__all__ = ["Beacon", "export", "preview", "read_rules"]
COLUMNS = SEGMENT_MEMBER_COLUMNS


def read_rules(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise CliError(f"file not found: {path}")
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise CliError(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise CliError(
            f'{path}: expected a rule group object, e.g. {{"combinator": "and", "rules": [...]}}'
        )
    return data["rules"] if "rules" in data and "combinator" not in data else data


def preview(beacon: Beacon, rules: dict[str, Any]) -> dict[str, Any]:
    response = beacon.request("segments", "POST", "/api/v1/segments/preview", json={"rules": rules})
    if response.status_code == 422:
        from beacon_cli.client import problems

        found = problems(response)
        # "body.rules.rules[1].value" names the rule as the file has it: "rules[1].value".
        lines = [
            f"{str(p.get('field', '?')).removeprefix('body.')}: {p.get('message')}" for p in found
        ]
        raise CliError("the rules are not valid:\n  " + "\n  ".join(lines or [response.text[:500]]))
    from beacon_cli.client import check

    return dict(check(response, "segment preview"))


def export(beacon: Beacon, segment_id: str, out: Path, page_size: int) -> int:
    """Write every member, page by page (never all in memory); the number written. The
    file appears only when the export is complete: a failed one leaves nothing behind."""
    written = 0
    cursor: str | None = None
    path = f"/api/v1/segments/{segment_id}/members"
    partial = out.with_name(out.name + ".part")
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            while True:
                page = beacon.get("segments", path, limit=page_size, cursor=cursor)
                # A name "=HYPERLINK(...)" is written as text, never run as a formula.
                writer.writerows(safe_row(item) for item in page["items"])
                written += len(page["items"])
                cursor = page.get("next_cursor")
                if not cursor:
                    break
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return written
