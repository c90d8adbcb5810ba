"""The dashboard's upload: a shop's file read on the server by ``beacon_formats``, the same
reader ``beacon import`` runs, so a file gives the same items through both.

``read_upload`` (CPU work: run in a thread) reads every record, checks each item with the
API's own models (a row the API would refuse is a bad row here too), and keeps what a
person needs to see before anything is sent: the mapping, the first records as read, the
counts, the problems and the refused rows in the file's own layout. Sending is the route's
(``imports_api``): the good items go as batches of one import, as the CLI sends them.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from beacon_formats import BadRows, Options, read
from services.ingest.domain.models import Customer, Order

PREVIEW = 20  # records shown as read
LISTED = 200  # problems and warnings listed one by one (all are counted)
_MODELS: dict[str, TypeAdapter[Any]] = {
    "customers": TypeAdapter(Customer),
    "orders": TypeAdapter(Order),
}


@dataclass
class Uploaded:
    """A file as read: what is sent, and what a person is shown."""

    header: Any
    items: list[Any] = field(default_factory=list)  # the models to send
    rows: int = 0
    records: int = 0
    bad: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_counts: Counter[str] = field(default_factory=Counter)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    warning_counts: Counter[str] = field(default_factory=Counter)
    preview: list[dict[str, Any]] = field(default_factory=list)
    bad_csv: str | None = None

    def describe(self) -> dict[str, Any]:
        header = self.header
        return {
            "kind": header.kind,
            "source": header.source,
            "file_name": header.file_name,
            "mapping": [{"field": f, "column": c} for f, c in header.mapping.items()],
            "ignored": header.ignored,
            "notes": header.notes,
            "dates": header.dates,
            "timezone": header.timezone,
            "rows": self.rows,
            "records": self.records,
            "good": len(self.items),
            "bad": self.bad,
            "problems": self.problems,
            "problem_counts": dict(self.problem_counts),
            "warnings": self.warnings,
            "warning_counts": dict(self.warning_counts),
            "preview": self.preview,
            "bad_csv": self.bad_csv,
        }


def _api_problems(error: ValidationError) -> list[tuple[str, str]]:
    return [
        (".".join(str(p) for p in e["loc"]) or "(row)", e["msg"].removeprefix("Value error, "))
        for e in error.errors(include_url=False)
    ]


def _listed(line: int, field: str, reason: str) -> dict[str, Any]:
    return {"line": line, "field": field, "reason": reason}


def read_upload(kind: str, data: bytes, file_name: str, options: Options) -> Uploaded:
    """Read an uploaded file whole (it is at most the body limit); raises
    ``beacon_formats.FormatError`` for a file that cannot be read as asked."""
    model = _MODELS[kind]
    report = io.StringIO(newline="")
    with read(kind, io.BytesIO(data), options, name=file_name) as reading:
        out = Uploaded(reading.header)
        bad_rows = BadRows(report, reading.header)
        for record in reading:
            out.records += 1
            out.rows += len(record.rows)
            problems = list(record.problems)
            checked = None
            if record.item is not None and not problems:
                try:
                    checked = model.validate_python(record.item)
                except ValidationError as error:
                    problems = _api_problems(error)
            if len(out.preview) < PREVIEW:
                out.preview.append(
                    {
                        "line": record.first_line,
                        "item": record.item,
                        "problems": [{"field": f, "reason": r} for f, r in problems],
                        "warnings": [{"field": f, "reason": r} for f, r in record.warnings],
                    }
                )
            for name, reason in record.warnings:
                out.warning_counts[name] += 1
                if len(out.warnings) < LISTED:
                    out.warnings.append(_listed(record.first_line, name, reason))
            if checked is not None:
                out.items.append(checked)
                continue
            out.bad += 1
            bad_rows.add(record.first_line, record.last_line, record.rows, problems)
            for name, reason in problems:
                out.problem_counts[name] += 1
                if len(out.problems) < LISTED:
                    out.problems.append(_listed(record.first_line, name, reason))
    out.bad_csv = report.getvalue() if out.bad else None
    return out
