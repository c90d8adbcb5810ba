"""The CLI's logic without servers: the 422 fallback, --max-bad, plain messages for common
mistakes. (Reading files, the API's item rules and their table against the API's models are
``beacon_formats``'s: tests/formats.)"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError
from beacon_cli.importer import Importer, Options, Summary, Threshold, exit_code


async def test_rows_the_api_refuses_go_to_the_report_and_the_rest_is_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client let a row through that the API refuses: report it (in the file's own
    layout), resend the rest of the batch."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,amount,ordered_at,note\n"
        + "".join(f'O{i},C1,1,2026-01-01,"a, b"\n' for i in range(5))
    )
    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/imports"):
            made = {"import_id": "9", "status": "open", "sent": 0, "processed": 0}
            return httpx.Response(201 if request.url.path == "/api/v1/imports" else 200, json=made)
        bodies.append(request.content)
        assert json.loads(request.content)["import_id"] == "9"
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
    assert (tmp_path / "orders.bad.csv").read_text().splitlines() == [
        "order_id,customer_id,amount,ordered_at,note,Beacon Error",
        'O3,C1,1,2026-01-01,"a, b",line 5: order_id: taken by another shop',
    ]


@pytest.mark.parametrize(
    ("given", "bad", "total", "code"),
    [
        (None, 0, 10, 0),
        (None, 1, 10, 3),
        ("1", 1, 10, 0),
        ("1", 2, 10, 3),
        ("10%", 1, 10, 0),
        ("10%", 2, 10, 3),
        ("0%", 1, 1000, 3),
    ],
)
def test_max_bad_decides_the_exit_code(given: str | None, bad: int, total: int, code: int) -> None:
    threshold = Threshold.parse(given) if given is not None else None
    assert exit_code(Summary(sent=total - bad, bad=bad), threshold) == code


@pytest.mark.parametrize("given", ["x", "-1", "150%", "%"])
def test_max_bad_refuses_nonsense(given: str) -> None:
    with pytest.raises(CliError, match="--max-bad"):
        Threshold.parse(given)


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


@pytest.mark.parametrize(
    "rows",
    [
        [["O1", "C1", "10", "2026-01-01"]],
        [["#1001", "a@b.in", 'Gift wrap, "Happy Diwali"', "line one\nline two", ""]],
        [["#1001", "", "paid"], ["#1001", "", ""], ["#1001", "x;y", "a\r\nb"]],
        [["", "", ""]],
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_rows_kept_in_flight_unpack_as_they_were(rows: list[list[str]], delimiter: str) -> None:
    from beacon_cli.report import pack, unpack

    assert unpack(pack(rows, delimiter), delimiter) == rows
