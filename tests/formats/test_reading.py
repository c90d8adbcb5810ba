"""Opening and mapping files: gzip, JSON Lines, delimiters, byte-order marks, quoted line
breaks, header spellings and their suggestions, streams. Files in tmp_path only."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import pytest

from beacon_formats import BadRows, FormatError, Options, parse_overrides, read


def records(kind: str, source: Any, options: Options | None = None, **kw: Any) -> list[Any]:
    with read(kind, source, options, **kw) as reading:
        return list(reading)


def test_gzip_jsonl_is_read_record_by_record(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(
            '{"order_id": "O1", "customer_id": 7, "amount": 10.5, "ordered_at": "2026-01-01"}\n'
            "\nnot json\n"
            '{"order_id": "O2", "customer_id": "C1", "amount": "1", "ordered_at": "2026-01-02",'
            ' "line_items": [{"name": "Kurta", "quantity": 2}]}\n'
            "[1, 2]\n"
        )
    with read("orders", path) as reading:
        assert reading.header.format == "jsonl"
        assert reading.header.columns[:4] == ["order_id", "customer_id", "amount", "ordered_at"]
        found = list(reading)
    assert [r.first_line for r in found] == [1, 3, 4, 5]
    assert found[0].item == {
        "order_id": "O1",
        "customer_id": "7",
        "amount": "10.5",
        "ordered_at": "2026-01-01T00:00:00+05:30",
    }
    assert found[1].item is None and found[1].rows == [["not json"]]
    # The API's own names are read from any line, not only those of the first.
    assert found[2].item is not None
    assert found[2].item["line_items"] == [{"name": "Kurta", "quantity": 2}]
    assert found[3].problems == [("(row)", "not a JSON object")]


def test_semicolons_bom_crlf_and_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(
        "\ufeffCustomer ID;Name;Email;Note\r\n"
        'C1;Asha;asha@example.in;"a note\r\nover two lines; with a semicolon"\r\n'
        "\r\n"
        "C2;Ravi;ravi@example.in;\r\n".encode()
    )
    with read("customers", path) as reading:
        assert reading.header.delimiter == ";"
        assert reading.header.columns[0] == "Customer ID"  # no BOM left
        found = list(reading)
    assert [(r.first_line, r.last_line) for r in found] == [(2, 3), (5, 5)]
    assert found[0].rows[0][3] == "a note\r\nover two lines; with a semicolon"
    assert found[1].item == {"customer_id": "C2", "name": "Ravi", "email": "ravi@example.in"}


def test_a_stream_reads_like_a_file() -> None:
    body = io.BytesIO(
        b"Order ID,Email,Total,Date\nO1,a@b.in,10,25/03/2024\nO2,a@b.in,10,01/04/2024\n"
    )
    found = records("orders", body, name="upload.csv")
    assert [r.item["ordered_at"] for r in found if r.item] == [
        "2024-03-25T00:00:00+05:30",
        "2024-04-01T00:00:00+05:30",
    ]
    assert not body.closed  # the caller's stream is the caller's


def test_a_stream_read_once_cannot_detect_dates_and_says_so() -> None:
    class Once(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = b"Order ID,Email,Total,Date\nO1,a@b.in,10,25/03/2024\n"
    with pytest.raises(FormatError, match="read once"):
        records("orders", Once(data), name="pipe.csv")
    given = Options(date_format="%d/%m/%Y")
    assert records("orders", Once(data), given, name="pipe.csv")[0].item is not None


def test_shop_spellings_map_and_first_last_names_join(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Customer ID,First Name,Last Name,E-mail,Created At,Tags\nC1,Asha,Iyer,,,vip\n")
    with read("customers", path) as reading:
        header = reading.header
        found = list(reading)
    assert header.mapping == {
        "customer_id": "'Customer ID'",
        "email": "'E-mail'",
        "created_at": "'Created At'",
        "name": "'First Name' + 'Last Name'",
    }
    assert header.ignored == ["Tags"]
    assert found[0].item == {"customer_id": "C1", "name": "Asha Iyer"}


def test_unknown_headers_get_the_closest_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("Order ID,Customer ID,Amount,Ordred At\n")
    with pytest.raises(FormatError, match="did you mean 'Ordred At'"):
        read("orders", path)
    path.write_text("Customer ID,Full Name\n")
    with pytest.raises(FormatError, match="did you mean 'Full Name'"):
        read("customers", path, Options(overrides={"name": "Full Nme"}))
    with pytest.raises(FormatError, match="did you mean 'amount'"):
        parse_overrides("orders", ["amont=Total"])
    assert parse_overrides("orders", ["customer_email=E Mail"]) == {"customer_email": "E Mail"}


def test_a_preset_names_what_it_cannot_find(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("Order ID,Customer ID,Amount,Date\n")
    with pytest.raises(FormatError, match="shopify orders: no column for 'order_name'") as error:
        read("orders", path, Options(source="shopify"))
    assert error.value.hint and "--from" in error.value.hint
    with pytest.raises(FormatError, match="does not read 'status' from one column"):
        read("orders", path, Options(source="shopify", overrides={"status": "Amount"}))


def test_options_are_checked_before_the_file_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    with pytest.raises(FormatError, match="unknown time zone"):
        read("orders", path, Options(timezone="Mars/Olympus"))
    with pytest.raises(FormatError, match="unknown source"):
        read("orders", path, Options(source="magento"))
    with pytest.raises(FormatError, match="file not found"):
        read("orders", path)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(FormatError, match="is empty"):
        read("orders", tmp_path / "empty.csv")


def test_a_shopify_order_cut_from_its_first_row_is_one_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "orders_export_1.csv"
    path.write_text(
        "Name,Email,Financial Status,Total,Created at,Lineitem name,Lineitem quantity\n"
        "#1002,a@b.in,,,2024-02-21 07:55:00 +0530,Kurta,1\n"
        "#1002,a@b.in,,,2024-02-21 07:55:00 +0530,Saree,1\n"
        "#1001,a@b.in,paid,10.00,2024-02-20 07:55:00 +0530,Kurta,1\n"
    )
    found = records("orders", path, Options(source="shopify"))
    assert [(r.first_line, r.last_line, r.item is None) for r in found] == [
        (2, 3, True),
        (4, 4, False),
    ]
    assert "without the order's first row" in found[0].error
    assert len(found[0].rows) == 2  # both rows go to the report


def test_a_platform_s_export_read_as_generic_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "orders_export_1.csv"
    path.write_text(
        "Name,Email,Financial Status,Total,Created at,Lineitem name,Id\n"
        "#1001,a@b.in,paid,10.00,2024-02-20 07:55:00 +0530,Kurta,6790001\n"
    )
    with read("orders", path) as reading:
        assert reading.header.looks_like == "shopify"
        assert any("--from shopify" in note for note in reading.header.notes)
    with read("orders", path, Options(source="shopify")) as reading:
        assert reading.header.looks_like is None
    woo = tmp_path / "customers.csv"
    woo.write_text("Name,Username,Last active,Date registered,Email,Orders,Total spend,AOV\n")
    with read("customers", woo) as reading:
        assert reading.header.looks_like == "woocommerce"
    shop = tmp_path / "customers_export.csv"
    shop.write_text("First Name,Last Name,Phone,Accepts Marketing,Total Spent,Tax Exempt\n")
    with pytest.raises(FormatError, match="looks like a shopify customers export") as error:
        read("customers", shop)  # no email column for the generic preset: say why
    assert error.value.hint == "pass --from shopify."


def test_refused_records_are_written_back_in_the_file_s_layout() -> None:
    body = io.BytesIO(
        b"Name;Email;Financial Status;Total;Created at;Lineitem name\n"
        b'#1002;;paid;10.00;2024-02-21 07:55:00 +0530;"Kurta; blue"\n'
        b"#1002;;;;2024-02-21 07:55:00 +0530;Saree\n"
        b"#1001;a@b.in;paid;378,00;2024-02-20 07:55:00 +0530;Tea\n"
    )
    out = io.StringIO(newline="")
    with read("orders", body, Options(source="shopify"), name="orders_export_1.csv") as reading:
        bad = BadRows(out, reading.header)
        for record in reading:
            if record.item is None:
                bad.add(record.first_line, record.last_line, record.rows, record.problems)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Name;Email;Financial Status;Total;Created at;Lineitem name;Beacon Error"
    assert lines[1].startswith('#1002;;paid;10.00;2024-02-21 07:55:00 +0530;"Kurta; blue";')
    assert lines[2].startswith("#1002;;;;2024-02-21 07:55:00 +0530;Saree;lines 2-3: customer_")
    assert lines[3].startswith("#1001;a@b.in;paid;378,00;") and "line 4: amount:" in lines[3]
    # Read back: the same rows, the error in its own column.
    with read("orders", io.StringIO(out.getvalue()), Options(source="shopify")) as again:
        assert again.header.columns[-1] == "Beacon Error"
        assert [r.first_line for r in again] == [2, 4]
