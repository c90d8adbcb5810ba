"""The CLI's logic without servers: validation agrees with the API's models, header mapping
and its suggestions, the 422 fallback, and reading gzip and JSON Lines."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from beacon_cli import mapping, validation
from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError
from beacon_cli.importer import Importer, Options
from beacon_cli.records import Source
from services.ingest.domain import models

ORDERS: list[dict[str, Any]] = [
    {"order_id": "O1", "customer_id": "C1", "amount": "10.50", "ordered_at": "2026-01-01"},
    {"order_id": "O1", "customer_id": "C1", "amount": "-1", "ordered_at": "2026-01-01"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1.234", "ordered_at": "2026-01-01"},
    {"order_id": "", "customer_id": "C1", "amount": "1", "ordered_at": "2026-01-01"},
    {"order_id": "x" * 65, "customer_id": "C1", "amount": "1", "ordered_at": "2026-01-01"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "1899-12-31T23:00Z"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "2199-12-31T23:00Z"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "yesterday"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "1900-01-01T12:00Z"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "0001-01-01T00:00+05:30"},
    {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "9999-12-31T23:00-05:00"},
    {"order_id": 7, "customer_id": 8, "amount": 1e3, "ordered_at": 1700000000},
    {"order_id": "O1", "customer_id": "C1", "amount": "1e20", "ordered_at": "2026-01-01"},
]
CUSTOMERS: list[dict[str, Any]] = [
    {"customer_id": "C1", "name": "Zoë"},
    {"customer_id": "C1", "name": ""},
    {"customer_id": "C1", "name": "A", "email": "nope"},
    {"customer_id": "C1", "name": "A", "email": "a@b.in", "phone": "+91 (98) 450-12.345"},
    {"customer_id": "C1", "name": "A", "phone": "call me"},
    {"customer_id": "C1", "name": "A", "city": "x" * 101},
    {"customer_id": "C1", "name": "A", "created_at": "2026-02-30"},
    {"customer_id": "C1", "name": "x" * 201},
]


def accepts(model: type[Any], row: dict[str, Any]) -> bool:
    try:
        model.model_validate(row)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("row", ORDERS)
def test_order_rules_match_the_api(row: dict[str, Any]) -> None:
    assert accepts(validation.Order, row) == accepts(models.Order, row)


@pytest.mark.parametrize("row", CUSTOMERS)
def test_customer_rules_match_the_api(row: dict[str, Any]) -> None:
    assert accepts(validation.Customer, row) == accepts(models.Customer, row)


def test_shop_spellings_map_and_first_last_names_join() -> None:
    m = mapping.build(
        "customers", ["Customer ID", "First Name", "Last Name", "E-mail", "Created At", "Tags"], {}
    )
    assert m.columns == {
        "customer_id": "Customer ID",
        "email": "E-mail",
        "created_at": "Created At",
    }
    assert m.apply({"First Name": "Asha", "Last Name": "Iyer"})["name"] == "Asha Iyer"
    assert m.ignored == ["Tags"]
    orders = mapping.build("orders", ["Order Number", "Customer", "Amount", "Created At"], {})
    assert orders.columns["ordered_at"] == "Created At"


def test_unknown_headers_get_the_closest_suggestion() -> None:
    with pytest.raises(CliError, match="did you mean 'Ordred At'"):
        mapping.build("orders", ["Order ID", "Customer ID", "Amount", "Ordred At"], {})
    with pytest.raises(CliError, match="did you mean 'Full Name'"):
        mapping.build("customers", ["Customer ID", "Full Name"], {"name": "Full Nme"})
    with pytest.raises(CliError, match="did you mean 'amount'"):
        mapping.parse_overrides("orders", ["amont=Total"])


def test_date_format_and_money_spellings() -> None:
    row = {
        "order_id": "O1",
        "customer_id": "C1",
        "amount": "₹1,499.00",
        "ordered_at": "05/11/2026 10:30",
    }
    order = validation.validate("orders", row, "%d/%m/%Y %H:%M")
    assert str(order.amount) == "1499.00"  # type: ignore[attr-defined]
    assert order.ordered_at.month == 11  # type: ignore[attr-defined]
    with pytest.raises(validation.Problem) as problem:
        validation.validate("orders", row)
    assert problem.value.unreadable_date and problem.value.field == "ordered_at"


def test_gzip_jsonl_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write('{"order_id": "O1", "amount": 1}\n\nnot json\n{"order_id": "O2"}\n')
    source = Source(path)
    assert source.format == "jsonl" and source.peek_headers() == ["order_id", "amount"]
    rows = list(source.rows())
    assert [line for line, _, _ in rows] == [1, 3, 4]
    assert "__error__" in rows[1][1]
    source.close()


async def test_rows_the_api_refuses_go_to_the_report_and_the_rest_is_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client let a row through that the API refuses: report it, resend the rest."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,amount,ordered_at\n"
        + "".join(f"O{i},C1,1,2026-01-01\n" for i in range(5))
    )
    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if b"O3" in request.content:
            return httpx.Response(
                422,
                json={
                    "detail": [
                        {
                            "loc": ["body", "items", 3, "order_id"],
                            "msg": "taken by another shop",
                            "type": "value_error",
                        }
                    ],
                    "message": "body.items[3].order_id: taken by another shop",
                    "code": "validation_error",
                    "correlation_id": "c1",
                    "errors": [
                        {
                            "field": "body.items[3].order_id",
                            "message": "taken by another shop",
                            "type": "value_error",
                        }
                    ],
                },
            )
        return httpx.Response(202, json={"accepted": 4})

    real = httpx.AsyncClient
    monkeypatch.setattr(
        httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(answer), **kw)
    )
    job = Importer(CliSettings(), Options("orders", path))
    job.open()
    summary = await job.run()
    assert (summary.sent, summary.bad, len(bodies)) == (4, 1, 2)
    assert "taken by another shop" in (tmp_path / "orders.csv.orders.bad.jsonl").read_text()
    assert '"line":5' in (tmp_path / "orders.csv.orders.bad.jsonl").read_text()


def test_plain_messages_for_common_mistakes(tmp_path: Path) -> None:
    from tests.cli.support import cli

    missing = cli("import", "orders", str(tmp_path / "nope.csv"), env={})
    assert missing.returncode == 1 and "file not found" in missing.stderr
    (tmp_path / "o.csv").write_text("order_id,customer_id,amount,ordered_at\nO1,C1,1,2026-01-01\n")
    down = cli(
        "import", "orders", str(tmp_path / "o.csv"), env={"BEACON_INGEST_URL": "http://127.0.0.1:9"}
    )
    assert down.returncode == 1 and "cannot reach the ingest service" in down.stderr
    assert "Traceback" not in down.stderr


def test_expired_token_says_so() -> None:
    from beacon_cli.client import check

    request = httpx.Request("GET", "http://x/api/v1/campaigns")
    response = httpx.Response(
        401,
        request=request,
        # "expired" only in the code: the CLI reads the code, not just the sentence.
        json={
            "detail": "valid until 10:00",
            "message": "valid until 10:00",
            "code": "token_expired",
            "correlation_id": "c1",
            "errors": [],
        },
    )
    with pytest.raises(CliError, match="expired") as error:
        check(response, "GET /api/v1/campaigns")
    assert error.value.hint and "BEACON_API_KEY" in error.value.hint
