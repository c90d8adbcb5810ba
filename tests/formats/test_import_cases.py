"""The shared table ``tests/fixtures/import_cases.json`` through ``beacon_formats.read``:
the same cases ingest's dashboard upload test runs through its route, so the CLI and the
upload give the same result on the same file. No I/O beyond the in-memory file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from beacon_formats import FormatError, Options, read

TABLE = Path(__file__).parents[1] / "fixtures" / "import_cases.json"
CASES: list[dict[str, Any]] = json.loads(TABLE.read_text(encoding="utf-8"))["cases"]


def as_csv(case: dict[str, Any]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(case["header"])
    writer.writerows(case["rows"])
    return text.getvalue().encode()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    options = Options(source=case["source"], **case.get("options", {}))
    body = io.BytesIO(as_csv(case))
    if "error" in case:
        with pytest.raises(FormatError, match=case["error"]):
            read(case["kind"], body, options, name="case.csv")
        return
    with read(case["kind"], body, options, name="case.csv") as reading:
        records = list(reading)
    assert len(records) == len(case["expect"])
    for record, expected in zip(records, case["expect"], strict=True):
        if "item" in expected:
            assert record.problems == [], record.problems
            assert record.item == expected["item"]
            assert [f for f, _ in record.warnings] == expected.get("warnings", [])
        else:
            assert record.item is None
            assert [f for f, _ in record.problems] == expected["problems"]
            assert expected.get("reason_contains", "") in record.error
        if "first_line" in expected:
            assert (record.first_line, record.last_line) == (
                expected["first_line"],
                expected["last_line"],
            )
        # The rows as written, for the bad-rows report in the file's own layout.
        assert all(isinstance(row, list) for row in record.rows)


def test_every_preset_and_kind_has_cases() -> None:
    assert {(c["source"], c["kind"]) for c in CASES} == {
        (source, kind)
        for source in ("generic", "shopify", "woocommerce")
        for kind in ("customers", "orders")
    }
